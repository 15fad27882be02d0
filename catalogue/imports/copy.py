"""COPY's text format: the rows a batch loads into its tables and staging tables."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any


def copy_text(text: str) -> str:
    """Text in COPY's text format (chained str.replace: twice as fast as str.translate).
    Most text has no tab, newline, NUL (none is printable) or backslash: returned as is."""
    if text.isprintable() and "\\" not in text:
        return text
    return (
        text.replace("\x00", "")
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def copy_value(value: Any) -> str:
    kind = type(value)
    if kind is str:  # most values: test the common types first, by identity
        return copy_text(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if kind is list or kind is tuple:  # an array literal, then escaped as any text
        return copy_text("{" + ",".join([_array_item(v) for v in value]) + "}")
    if isinstance(value, bytes | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return copy_text(str(value))


_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value if type(value) is str else str(value)
    if '"' in text or "\\" in text:
        text = text.translate(_ARRAY_ESCAPES)
    return '"' + text + '"'


def copy_line(values: Iterable[Any]) -> str:
    """One row in COPY's text format."""
    return "\t".join([copy_value(v) for v in values])


def copy_rows(cursor, table: str, columns: str, lines: list[str]) -> None:
    """Load rows (lines of copy_line text) with COPY (PERFORMANCE.md: twice as fast as
    execute_values)."""
    text = "\n".join(lines) + "\n"
    # Read in 1 MB pieces, not 8 kB (positional: Django's debug cursor passes no keywords).
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text), 1 << 20)


class CopyLayout:
    """A table's columns for COPY, in one list: a row's text and the statement's column
    list are both built from it, so their order cannot disagree. The first ``head``
    columns can be rendered ahead as one text (a parser process renders a record's own
    columns; the main process adds ids), the rest are given by name."""

    __slots__ = ("_head_names", "_rest_names", "columns", "head", "rest", "table")

    def __init__(self, table: str, columns: tuple[str, ...], *, head: tuple[str, ...] = ()) -> None:
        if columns[: len(head)] != head:
            raise ValueError(f"COPY layout of {table}: the head {head} must start its columns")
        self.table = table
        self.columns = columns
        self.head = head
        self.rest = columns[len(head) :]
        self._head_names = frozenset(self.head)
        self._rest_names = frozenset(self.rest)

    def head_text(self, **values: Any) -> str:
        """The head columns of one row (every head column by name)."""
        return self._render(self.head, self._head_names, values)

    def rest_text(self, **values: Any) -> str:
        """The columns after the head (every one by name)."""
        return self._render(self.rest, self._rest_names, values)

    def line(self, head_text: str = "", **values: Any) -> str:
        """One row: its rendered head (if the layout has one) and the other columns by name."""
        rest = self._render(self.rest, self._rest_names, values)
        return f"{head_text}\t{rest}" if self.head else rest

    def load(self, cursor, lines: list[str]) -> None:
        """Load rows rendered by this layout (line, or head_text + tab + rest_text)."""
        copy_rows(cursor, self.table, ", ".join(self.columns), lines)

    def _render(self, names: tuple[str, ...], wanted: frozenset[str], values: dict[str, Any]) -> str:
        if values.keys() != wanted:
            missing, unknown = sorted(wanted - values.keys()), sorted(values.keys() - wanted)
            raise TypeError(f"COPY row of {self.table}: missing {missing}, unknown {unknown}")
        return "\t".join([copy_value(values[name]) for name in names])
