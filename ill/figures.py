"""Sums of the ILL day figures (ill.day_figures) for a period, per library and month.

A report reads two grouped statements over ill_dayfigures: the counts, and the duration
and reason histograms, per (library, month); the months wholly inside the period come from
their month rows, the days of the months it cuts from day rows. Every other grouping a report shows (per
library, per month, per province, the consortium) is a merge of those cells in Python: a
year of 120 libraries is 1,440 cells, so one pair of statements serves every table and
chart of the page (benchmarks/report_bench.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import orjson
from django.db import connection

from consortium import clock
from ill.models import DayFigures

COUNTS = [
    "requested", "supplied", "not_supplied", "in_progress", "ended_before_lender",
    "asked", "lent", "unfilled", "timed_out", "still_asked", "withdrawn",
]  # fmt: skip
HISTOGRAMS = ["to_shipped", "to_received", "answer_hours", "unfilled_reasons"]
RATING_SIDES = ["ratings_as_borrower", "ratings_as_lender"]
_TABLE = DayFigures._meta.db_table
_MONTH = "date_trunc('month', f.day)::date"
_RATINGS = [f"{side}[{n}]" for side in RATING_SIDES for n in range(1, 7)]
# Whole months inside the period from their month rows, the rest from day rows.
# (Three ranges of the day, so that each is read from an index, not the whole table.)
_PERIOD = """((f.month AND f.day >= %(whole_from)s AND f.day < %(whole_to)s)
   OR (NOT f.month AND f.day >= %(start)s AND f.day < %(whole_from)s AND f.day <= %(end)s)
   OR (NOT f.month AND f.day >= %(whole_to)s AND f.day >= %(start)s AND f.day <= %(end)s))"""
# The period's rows summed per (library, month): counts and ratings by PostgreSQL, the
# histograms gathered as one JSON array of each row's four (a year of 120 libraries is 1,440
# groups of 1,560 rows; a period cutting months adds about 4,800 day rows to their months'
# groups). Summing the histograms in Python is cheaper than expanding the jsonb in SQL
# (benchmarks/report_bench.py); a row a group is cheaper than a Python object a day row.
CELL_ROWS = f"""
SELECT f.library_id, {_MONTH}, {", ".join(f"sum({column})::int" for column in COUNTS + _RATINGS)},
       json_agg(json_build_array({", ".join(HISTOGRAMS)}))::text
  FROM {_TABLE} f
 WHERE {_PERIOD} {{where}}
 GROUP BY 1, 2"""  # noqa: S608 - names from the model


class Cell:
    """Summed figures: counts, ratings ([invited, rated 1..5] per side) and histograms.

    Adding cells adds counts and ratings at once but only gathers the parts, and each of the
    four histograms is summed when it is first read: a cell added to another goes in whole
    and is summed (once) for the histograms the other is read for, so the consortium sums
    its 120 library cells, not 1,560 rows again, and a month's trend that shows only the
    turnaround never sums the answer hours or reasons. Summing every histogram at every add
    took most of a year's report (docs/performance.md, "ILL reports"). A cell added to
    another is not changed afterwards."""

    __slots__ = ("_parts", "_sums", "counts", "ratings")

    def __init__(
        self,
        counts: dict[str, int] | None = None,
        ratings: dict[str, list[int]] | None = None,
        parts: list[list[dict[str, int]]] | None = None,
    ) -> None:
        self.counts = counts if counts is not None else dict.fromkeys(COUNTS, 0)
        self.ratings = ratings if ratings is not None else {side: [0] * 6 for side in RATING_SIDES}
        # Rows' histograms as stored (keys as text, a list of the four each) and cells added.
        self._parts: list[list[dict[str, int]] | Cell] = list(parts) if parts is not None else []
        self._sums: dict[str, dict] = {}  # name -> summed histogram, keys as read

    def add(self, other: Cell) -> None:
        counts = self.counts
        for name, n in other.counts.items():
            counts[name] = counts.get(name, 0) + n
        for side in RATING_SIDES:
            self.ratings[side] = [a + b for a, b in zip(self.ratings[side], other.ratings[side], strict=True)]
        self._parts.append(other)
        self._sums.clear()

    def histogram(self, name: str) -> dict:
        """One histogram summed: durations keyed by whole numbers, reasons by their codes."""
        found = self._sums.get(name)
        if found is None:
            index = HISTOGRAMS.index(name)
            # the rows' histograms summed as stored, their keys read once, then the cells'
            found = _summed(part[index] for part in self._parts if not isinstance(part, Cell))
            if name != "unfilled_reasons":
                found = {int(key): n for key, n in found.items()}
            added = [part.histogram(name) for part in self._parts if isinstance(part, Cell)]
            if added:
                found = _summed((found, *added))
            self._sums[name] = found
        return found

    @property
    def histograms(self) -> dict[str, dict]:
        return {name: self.histogram(name) for name in HISTOGRAMS}


def _summed(histograms: Iterable[dict]) -> dict:
    """Histograms added up, key by key, into a new one."""
    found: dict = {}
    get = found.get
    for histogram in histograms:
        if not found:
            found.update(histogram)
            continue
        for key, n in histogram.items():
            found[key] = get(key, 0) + n
    return found


def cells(*, start: date, end: date, library_id: int | None = None) -> dict[tuple[int, date], Cell]:
    """The period's figures (Pakistan dates, inclusive) per (library id, first of month)."""
    whole_from = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    # Months ending on or before the end; a period running to today (or on) also takes this
    # month's row, which holds its days so far and no later ones.
    last = end if end < clock.today() else (clock.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    whole_to = (last + timedelta(days=1)).replace(day=1)
    whole_to = max(whole_to, whole_from)
    where = ""
    params = {"start": start, "end": end, "whole_from": whole_from, "whole_to": whole_to}
    if library_id is not None:
        where, params["library"] = "AND f.library_id = %(library)s", library_id
    found: dict[tuple[int, date], Cell] = {}
    n_counts = len(COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(CELL_ROWS.format(where=where), params)
        for library, month, *values, parts in cursor.fetchall():
            ratings = values[n_counts:]
            found[library, month] = Cell(
                counts=dict(zip(COUNTS, values, strict=False)),
                ratings={side: ratings[6 * n : 6 * n + 6] for n, side in enumerate(RATING_SIDES)},
                # the rows' histograms (Django leaves json as text on psycopg2 connections);
                # orjson reads a year's 1.4 MB of them in half the time json does
                parts=orjson.loads(parts) if isinstance(parts, str) else parts,
            )
    return found


def merged(found: dict[tuple[int, date], Cell], key: Callable[[int, date], object]) -> dict[object, Cell]:
    """The cells summed by key(library id, month) (a key of None leaves a cell out)."""
    groups: dict[object, Cell] = {}
    for (library, month), cell in found.items():
        group = key(library, month)
        if group is not None:
            groups.setdefault(group, Cell()).add(cell)
    return groups


def total(found: Iterable[Cell]) -> Cell:
    whole = Cell()
    for cell in found:
        whole.add(cell)
    return whole


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile of whole numbers counted in a histogram (value -> how
    many): the smallest value that at least ``share`` of them do not exceed."""
    count = sum(histogram.values())
    if not count:
        return None
    rank, seen = math.ceil(share * count), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - seen reaches the count
