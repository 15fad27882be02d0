"""Sums of the ILL day figures (ill.day_figures) for a period, per library and month.

A report reads two grouped statements over ill_dayfigures: the counts, and the duration
and reason histograms, per (library, month); the months wholly inside the period come from
their month rows, the days of the months it cuts from day rows. Every other grouping a report shows (per
library, per month, per province, the consortium) is a merge of those cells in Python: a
year of 120 libraries is 1,440 cells, so one pair of statements serves every table and
chart of the page (benchmarks/report_bench.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from datetime import date, timedelta

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
_PERIOD = """((f.month AND f.day >= %(whole_from)s AND f.day < %(whole_to)s)
   OR (NOT f.month AND f.day BETWEEN %(start)s AND %(end)s
       AND NOT (f.day >= %(whole_from)s AND f.day < %(whole_to)s)))"""
# One row a (library, month) for whole months, a row a day for the rest: few enough (a year
# of 120 libraries is 1,560 rows) to sum in Python, which is cheaper than expanding the
# histograms in SQL (benchmarks/report_bench.py).
CELL_ROWS = f"""
SELECT f.library_id, {_MONTH}, {", ".join(COUNTS + _RATINGS)},
       json_build_array({", ".join(HISTOGRAMS)})::text
  FROM {_TABLE} f
 WHERE {_PERIOD} {{where}}"""  # noqa: S608 - names from the model


class Cell:
    """Summed figures: counts, ratings ([invited, rated 1..5] per side) and histograms.

    Adding cells adds counts and ratings at once but only gathers histograms, which are
    summed when first read; a cell of several rows added to another is summed first and
    goes in as one histogram, so the consortium sums 120 library cells, not 1,560 rows.
    Summing every histogram at every add took most of a year's report (docs/performance.md,
    "ILL reports"). A cell added to another is not changed afterwards."""

    __slots__ = ("_histograms", "_parts", "_sums", "counts", "ratings")

    def __init__(
        self,
        counts: dict[str, int] | None = None,
        ratings: dict[str, list[int]] | None = None,
        histograms: list[dict[str, int]] | None = None,
    ) -> None:
        self.counts = counts if counts is not None else dict.fromkeys(COUNTS, 0)
        self.ratings = ratings if ratings is not None else {side: [0] * 6 for side in RATING_SIDES}
        # Histograms as stored (keys as text), one list per part added; summed on reading.
        self._parts: list[list[dict[str, int]]] = [histograms] if histograms is not None else []
        self._sums: list[dict[str, int]] | None = None
        self._histograms: dict[str, dict] | None = None

    def add(self, other: Cell) -> None:
        counts = self.counts
        for name, n in other.counts.items():
            counts[name] = counts.get(name, 0) + n
        for side in RATING_SIDES:
            self.ratings[side] = [a + b for a, b in zip(self.ratings[side], other.ratings[side], strict=True)]
        self._parts.append(other._summed())
        self._sums = self._histograms = None

    def _summed(self) -> list[dict[str, int]]:
        if self._sums is None:
            if len(self._parts) == 1:
                self._sums = self._parts[0]
            else:
                self._sums = [{} for _name in HISTOGRAMS]
                for part in self._parts:
                    for summed, stored in zip(self._sums, part, strict=True):
                        get = summed.get
                        for key, n in stored.items():
                            summed[key] = get(key, 0) + n
        return self._sums

    @property
    def histograms(self) -> dict[str, dict]:
        """Durations keyed by whole numbers, reasons by their codes."""
        if self._histograms is None:
            self._histograms = {
                name: summed if name == "unfilled_reasons" else {int(key): n for key, n in summed.items()}
                for name, summed in zip(HISTOGRAMS, self._summed(), strict=True)
            }
        return self._histograms


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
        for library, month, *values, histograms in cursor.fetchall():
            ratings = values[n_counts:]
            row = Cell(
                counts=dict(zip(COUNTS, values, strict=False)),
                ratings={side: ratings[6 * n : 6 * n + 6] for n, side in enumerate(RATING_SIDES)},
                # one JSON array of the row's histograms (Django leaves jsonb as text on
                # psycopg2 connections): one decode a row rather than four
                histograms=json.loads(histograms) if isinstance(histograms, str) else histograms,
            )
            if (library, month) in found:
                found[library, month].add(row)
            else:
                found[library, month] = row
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
