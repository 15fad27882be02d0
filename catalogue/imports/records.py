"""What travels between an import's stages: a parsed record (from a parser process to
the batch's plan) or a rejected one, typed instead of dicts whose keys change at each stage."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from catalogue.import_messages import ImportMessage


@dataclass(slots=True, eq=False)
class ParsedRecord:
    """One readable record of the file: its BibRecord fields, match keys and holdings, and
    its own COPY columns rendered by the parser process (catalogue.imports.copy layouts'
    heads). ``source_id``, ``old_bib`` and ``bib_id`` are set while its batch is planned."""

    number: int  # the item's position in the file (1-based)
    local_id: str
    checksum: str
    richness: int
    fields: dict[str, Any]
    keys: list[str]  # matching.block_keys(fields)
    source_copy: str  # SOURCE_OWN columns (the marc bytes travel only in this form)
    bib_copy: str  # BIB_OWN columns: the record as a new BibRecord of its own
    holdings: list[tuple[str, dict[str, Any]]]  # (holding key, holding)
    holding_copy: list[str]  # HOLDING_OWN columns of each holding
    held: bool  # a live (not withdrawn) copy among its holdings
    source_id: int | None = None  # its SourceRecord (stored, or an id taken for it)
    old_bib: int | None = None  # the BibRecord its stored version belongs to
    bib_id: int | None = None  # the BibRecord it belongs to after this batch

    def __reduce__(self) -> tuple:
        # Positional: pickling (to and from parser processes) by __init__ arguments is
        # cheaper than the slots state dict of a dataclass.
        return (ParsedRecord, tuple(getattr(self, f) for f in _PARSED_FIELDS))


_PARSED_FIELDS = tuple(f.name for f in fields(ParsedRecord))


@dataclass(slots=True, eq=False)
class RejectedRecord:
    """An item of the file that is not imported, and why (stored as ImportRecordError)."""

    number: int
    error: ImportMessage | str
    local_id: str = ""

    def __reduce__(self) -> tuple:
        return (RejectedRecord, (self.number, self.error, self.local_id))


class Batch(list):
    """A batch's processed records (ParsedRecord or RejectedRecord, in file order), and
    how far into the file its last item goes (bytes: the job's progress once committed)."""

    __slots__ = ("end",)

    def __init__(self, results: list[ParsedRecord | RejectedRecord], end: int) -> None:
        super().__init__(results)
        self.end = end
