"""The collection overlap tables as CSV, one download per table (?format=csv&table=<name>).

Column names are stable English identifiers for spreadsheets and scripts; percentages
have one decimal, blank when there is nothing to divide by. Codes, names and headings go
through consortium.text.csv_writer (a cell starting with = + - @ is written as text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpResponse

from consortium.text import csv_writer
from evidence import selectors
from evidence.models import OverlapSnapshot, SingleCopyCount
from members.models import Library


@dataclass(frozen=True)
class Scope:
    snapshot: OverlapSnapshot
    library: Library | None  # None: the consortium


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _members(scope: Scope) -> Iterable[list]:
    yield ["library", "name", "titles", "unique_titles", "unique_pct", "single_copies"]
    for m in selectors.members(scope.snapshot):
        yield [
            m.library.code,
            m.library.name,
            m.titles,
            m.unique_titles,
            _pct(m.unique_share),
            m.single_copies,
        ]


def _overlap(scope: Scope) -> Iterable[list]:
    yield [
        "library",
        "other",
        "other_name",
        "titles_both_hold",
        "pct_of_library_titles",
        "pct_of_other_titles",
    ]
    everyone = selectors.members(scope.snapshot)
    for row in selectors.overlap_row(scope.snapshot, scope.library, everyone):
        yield [scope.library.code, row.other.code, row.other.name, row.titles,
               _pct(row.share_of_ours), _pct(row.share_of_theirs)]  # fmt: skip


def _single(kind: str, column: str) -> Callable[[Scope], Iterable[list]]:
    def rows(scope: Scope) -> Iterable[list]:
        yield ["scope", column, "titles", "single_copy_titles", "single_copy_pct"]
        code = scope.library.code if scope.library else "ALL"
        for row in selectors.single_copies(scope.snapshot, scope.library, kind):
            yield [code, row.value, row.titles, row.single, _pct(row.share)]

    return rows


def _matrix(scope: Scope) -> Iterable[list]:
    everyone = selectors.members(scope.snapshot)
    yield ["library", *(m.library.code for m in everyone)]
    for member, cells in selectors.matrix(scope.snapshot, everyone):
        yield [member.library.code, *cells]


TABLES: dict[str, Callable[[Scope], Iterable[list]]] = {
    "members": _members,
    "overlap": _overlap,
    "subjects": _single(SingleCopyCount.Kind.SUBJECT, "subject"),
    "decades": _single(SingleCopyCount.Kind.DECADE, "decade"),
    "matrix": _matrix,
}
# Tables of one member: not offered for the consortium as a whole.
MEMBER_TABLES = {"overlap"}


def download(scope: Scope, table: str, rows: Iterable[list] | None = None) -> HttpResponse:
    code = f"-{scope.library.code}" if scope.library else ""
    name = f"collection-overlap-{table}{code}-{scope.snapshot.taken_at:%Y-%m-%d}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv_writer(response)
    for values in rows if rows is not None else TABLES[table](scope):
        writer.writerow(values)
    return response
