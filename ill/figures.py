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
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection

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
_PERIOD = """((f.month AND f.day >= %(whole_from)s AND f.day < %(whole_to)s)
   OR (NOT f.month AND f.day BETWEEN %(start)s AND %(end)s
       AND NOT (f.day >= %(whole_from)s AND f.day < %(whole_to)s)))"""
CELL_COUNTS = f"""
SELECT f.library_id, {_MONTH}, {", ".join(f"sum({name})::int" for name in COUNTS + _RATINGS)}
  FROM {_TABLE} f
 WHERE {_PERIOD} {{where}}
 GROUP BY 1, 2"""  # noqa: S608 - names from the model
CELL_HISTOGRAMS = " UNION ALL ".join(
    f"""(SELECT f.library_id, {_MONTH}, '{name}', h.key, sum(h.value::int)::int
  FROM {_TABLE} f CROSS JOIN jsonb_each_text(f.{name}) h
 WHERE {_PERIOD} {{where}}
 GROUP BY 1, 2, 4)"""  # noqa: S608 - names from the model
    for name in HISTOGRAMS
)


@dataclass
class Cell:
    """Summed figures: counts, ratings ([invited, rated 1..5] per side) and histograms."""

    counts: Counter = field(default_factory=Counter)
    ratings: dict[str, list[int]] = field(default_factory=lambda: {side: [0] * 6 for side in RATING_SIDES})
    histograms: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in HISTOGRAMS})

    def add(self, other: Cell) -> None:
        self.counts.update(other.counts)
        for side in RATING_SIDES:
            self.ratings[side] = [a + b for a, b in zip(self.ratings[side], other.ratings[side], strict=True)]
        for name in HISTOGRAMS:
            self.histograms[name].update(other.histograms[name])


def cells(*, start: date, end: date, library_id: int | None = None) -> dict[tuple[int, date], Cell]:
    """The period's figures (Pakistan dates, inclusive) per (library id, first of month)."""
    whole_from = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    whole_to = (end + timedelta(days=1)).replace(day=1)  # months ending on or before end
    whole_to = max(whole_to, whole_from)
    where = ""
    params = {"start": start, "end": end, "whole_from": whole_from, "whole_to": whole_to}
    if library_id is not None:
        where, params["library"] = "AND f.library_id = %(library)s", library_id
    found: dict[tuple[int, date], Cell] = {}
    with connection.cursor() as cursor:
        cursor.execute(CELL_COUNTS.format(where=where), params)
        for library, month, *values in cursor.fetchall():
            cell = found[library, month] = Cell(counts=Counter(dict(zip(COUNTS, values, strict=False))))
            ratings = values[len(COUNTS) :]
            cell.ratings = {side: ratings[6 * n : 6 * n + 6] for n, side in enumerate(RATING_SIDES)}
        cursor.execute(CELL_HISTOGRAMS.format(where=where), params)
        for library, month, name, value, n in cursor.fetchall():
            found[library, month].histograms[name][value if name == "unfilled_reasons" else int(value)] += n
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
