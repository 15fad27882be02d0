"""The tantivy index of the union catalogue: its schema, a record as a document, and the
index directory (one writer, many readers).

A document is built from the record's own search document (the tsvector PostgreSQL
searches), not from the record's text again: its lexemes at their positions and weights.
So the tantivy backend finds exactly the words, keys and variants PostgreSQL finds
(catalogue.indexing.document_parts made them once), phrases included: the field ``any``
holds every lexeme at its tsvector position, the fields ``A`` to ``D`` those of one weight
(title, authors, subjects, other) at theirs; a gap is filled with a token no query can
contain (fold leaves letters and digits only).

The directory (settings.SEARCH_INDEX_DIR) holds one index per build under ``builds/`` and
a symlink ``current`` to the one in use: ``manage.py reindex`` builds a new one beside the
old and swaps the link; readers notice the new target and reopen.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

GAP = "|"  # never a query word: fold leaves letters and digits only
# The documents' layout. A build of another version is not searched (PostgreSQL answers and
# /healthz says why) until manage.py reindex makes a new one; bump it when fields change.
# 2: province_set, a record's provinces as one number for counting (docs/search.md).
SCHEMA_VERSION = 2
VERSION_FILE = "ishtiraak-schema-version"
WEIGHT_FIELDS = ("A", "B", "C", "D")
ID_SPAN = 2**40  # record ids stay below this: year * ID_SPAN + id orders by year, then id
# tsvector's text form: 'lexeme':1A,4B (quotes doubled inside, positions optional).
_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")
_POSITION = re.compile(r"(\d+)([A-D]?)")
# Columns a document is built from (with the search document as text).
DOCUMENT_COLUMNS = (
    "id", "title", "year", "format", "language", "isbns", "issns", "subjects", "library_ids",
    "province_ids", "match_keys",
)  # fmt: skip


def schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", indexed=True, fast=True)
    for name in ("any", *WEIGHT_FIELDS):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for name in ("isbn", "issn", "match_key"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("library", indexed=True, fast=True)
    builder.add_unsigned_field("province", indexed=True, fast=True)
    # The same provinces as one bit each of one number: counting a single value a record is
    # ten times faster than counting a field of several (docs/search.md).
    builder.add_unsigned_field("province_set", fast=True)
    for name in ("format", "language", "decade", "subject"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    # Sort keys as the PostgreSQL backend orders: year then id (a missing year last both
    # ways, as NULLS LAST), lower-case title then id.
    builder.add_integer_field("year_desc", fast=True)
    builder.add_integer_field("year_asc", fast=True)
    builder.add_text_field("title_key", tokenizer_name="raw", fast=True, index_option="basic")
    return builder.build()


def parse_tsvector(text: str | None) -> list[tuple[str, list[tuple[int, str]]]]:
    """[(lexeme, [(position, weight), ...])] of a tsvector's text form (weight D unmarked)."""
    out = []
    for match in _LEXEME.finditer(text or ""):
        lexeme = match.group(1).replace("''", "'")
        positions = [(int(p), w or "D") for p, w in _POSITION.findall(match.group(2) or "")]
        out.append((lexeme, positions))
    return out


def _tokens(placed: dict[int, str]) -> str:
    """Tokens at their positions, gaps filled, from the first position on."""
    if not placed:
        return ""
    first, last = min(placed), max(placed)
    return " ".join(placed.get(pos, GAP) for pos in range(first, last + 1))


def province_set(numbers: Iterable[int] | None) -> int:
    """Provinces (numbered from 1, members.models.PROVINCE_NUMBERS) as bits of one number."""
    return sum({1 << number for number in numbers or []})


def provinces_in(value: int) -> Iterator[int]:
    """The province numbers of a province_set."""
    number = 1
    while value >> number:
        if value >> number & 1:
            yield number
        number += 1


def decade(year: int | None) -> str | None:
    """The decade facet's value, as catalogue_decade() (migration 0006) gives it."""
    if year is None:
        return None
    return "pre1900" if year < 1900 else str(year // 10 * 10)


def document(row: dict, search_document: str | None) -> Any:
    import tantivy

    doc = tantivy.Document()
    doc.add_unsigned("id", row["id"])
    placed: dict[str, dict[int, str]] = {name: {} for name in ("any", *WEIGHT_FIELDS)}
    for lexeme, positions in parse_tsvector(search_document):
        if " " in lexeme or not lexeme:
            continue
        for position, weight in positions:
            placed["any"][position] = lexeme
            placed[weight][position] = lexeme
    for name, tokens in placed.items():
        if tokens:
            doc.add_text(name, _tokens(tokens))
    for name, column in (("isbn", "isbns"), ("issn", "issns"), ("match_key", "match_keys")):
        for value in row[column] or []:
            doc.add_text(name, value)
    for library in row["library_ids"] or []:
        doc.add_unsigned("library", library)
    for province in row["province_ids"] or []:
        doc.add_unsigned("province", province)
    doc.add_unsigned("province_set", province_set(row["province_ids"]))
    if row["format"]:
        doc.add_text("format", row["format"])
    if row["language"]:
        doc.add_text("language", row["language"])
    year = row["year"]
    if year is not None:
        doc.add_integer("year", year)
        doc.add_text("decade", decade(year))
    sort_year = year if year is not None else -1  # NULLS LAST
    doc.add_integer("year_desc", sort_year * ID_SPAN + row["id"])
    doc.add_integer("year_asc", (year if year is not None else 10_000) * ID_SPAN + row["id"])
    for subject in row["subjects"] or []:
        doc.add_text("subject", subject)
    doc.add_text("title_key", f"{(row['title'] or '').lower()}\x01{row['id']:015d}")
    return doc


# --- the directory ---------------------------------------------------------------------


def root() -> Path:
    return Path(settings.SEARCH_INDEX_DIR)


def current_path() -> Path | None:
    """The build in use (the target of ``current``), or None before the first build."""
    link = root() / "current"
    return link.resolve() if link.exists() else None


def build_version(path: Path) -> int:
    """The schema version a build was made with (1: before versions were written)."""
    try:
        return int((path / VERSION_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return 1


def usable_path() -> Path | None:
    """The build in use if this version of the code can search it."""
    path = current_path()
    return path if path is not None and build_version(path) == SCHEMA_VERSION else None


def state() -> str:
    """ "ok", "missing" (no build yet) or "stale" (a build of another schema version)."""
    path = current_path()
    if path is None:
        return "missing"
    return "ok" if build_version(path) == SCHEMA_VERSION else "stale"


PROBLEMS = {
    "missing": "no index built (manage.py reindex)",
    "stale": "the index was built by another version of the portal (manage.py reindex)",
}


def new_build_path() -> Path:
    path = root() / "builds" / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def swap_to(path: Path) -> None:
    """Point ``current`` at this build atomically (a new symlink renamed over the old)."""
    link = root() / "current"
    tmp = root() / f".current-{os.getpid()}"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(path.relative_to(root()))
    os.replace(tmp, link)


def remove_old_builds(keep: Path) -> None:
    for build in (root() / "builds").iterdir():
        if build.resolve() != keep.resolve():
            shutil.rmtree(build, ignore_errors=True)


@dataclass
class _Opened:
    path: Path
    index: Any
    checked_at: float


_opened: dict[str, _Opened] = {}
_lock = threading.Lock()
# A reader looks for a new build (or a commit by the writer) at most this often.
RECHECK_SECONDS = 0.5


def reader() -> Any | None:
    """The current build's index for searching (None before the first build), reopened when
    ``current`` moves and reloaded to the writer's last commit."""
    now = time.monotonic()
    with _lock:
        opened = _opened.get("reader")
        if opened is not None and now - opened.checked_at < RECHECK_SECONDS:
            return opened.index
        path = usable_path()
        if path is None:
            _opened.pop("reader", None)
            return None
        if opened is None or opened.path != path:
            import tantivy

            opened = _Opened(path, tantivy.Index.open(str(path)), now)
            _opened["reader"] = opened
        else:
            opened.index.reload()
            opened.checked_at = now
        return opened.index


def forget() -> None:
    """Drop the opened index (after a reindex in this process)."""
    with _lock:
        _opened.clear()


def committed() -> None:
    """The writer committed in this process: the next search here reloads at once."""
    with _lock:
        if (opened := _opened.get("reader")) is not None:
            opened.checked_at = float("-inf")


def create(path: Path) -> Any:
    import tantivy

    index = tantivy.Index(schema(), path=str(path), reuse=False)
    (path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n")
    return index


def open_for_writing() -> Any | None:
    """The current build's index, or None when there is none this code can write (the
    changes wait in the outbox for manage.py reindex; an empty index made current would
    answer every search with almost nothing)."""
    import tantivy

    path = usable_path()
    return tantivy.Index.open(str(path)) if path is not None else None


def rows(ids: Iterable[int] | None = None, *, itersize: int = 5000) -> Iterator[tuple[dict, str | None]]:
    """(record columns, search document as text) of these records (None: every record),
    streamed by a server-side cursor inside a repeatable-read snapshot of the caller's."""
    from django.db import connection

    columns = ", ".join(f"b.{name}" for name in DOCUMENT_COLUMNS)
    sql = f"SELECT {columns}, b.search_document::text FROM catalogue_bibrecord b"  # noqa: S608 - constants
    params: list[Any] = []
    if ids is not None:
        sql += " WHERE b.id = ANY(%s)"
        params.append(list(ids))
    connection.ensure_connection()
    with connection.connection.cursor(name=f"tantivy_rows_{os.getpid()}_{threading.get_ident()}") as cursor:
        cursor.itersize = itersize
        cursor.execute(sql, params)
        for record in cursor:
            yield dict(zip(DOCUMENT_COLUMNS, record[:-1], strict=True)), record[-1]
