"""Small counts held back from what the consortium publishes, so that no figure lets a
reader pick out a patron.

A count of requests or ratings under MIN_SHOWN is shown as "fewer than 5" (0 included: showing
0 and hiding 1 to 4 would tell that a hidden figure is at least 1). A figure derived from such counts (a
rate, a median, a mean) is held back when the requests or ratings it is computed from, or
the count above it on the page, are fewer than MIN_SHOWN. Where rows are shown beside their
total (provinces and the consortium), the hidden rows' sum is the total less the rows shown,
so the smallest rows shown are held back too until that sum is 0 or at least MIN_SHOWN
(as ill.reports does for ratings). Counts of libraries, titles and holdings are about
institutions and are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MIN_SHOWN = 5

Number = int | float | Decimal


@dataclass(frozen=True)
class Figure:
    """A published figure: its value, or held back (``hidden``); ``value`` None when there is
    nothing to count or measure (a rate with no requests)."""

    value: Number | None
    hidden: bool = False

    @property
    def shown(self) -> bool:
        return not self.hidden and self.value is not None


def count(n: int) -> Figure:
    """A count of requests or ratings: held back under MIN_SHOWN."""
    return Figure(value=None if n < MIN_SHOWN else n, hidden=n < MIN_SHOWN)


def derived(value: Number | None, *bases: int) -> Figure:
    """A rate, median or mean computed from counts: held back when any base is under MIN_SHOWN."""
    if any(base < MIN_SHOWN for base in bases):
        return Figure(value=None, hidden=True)
    return Figure(value=value)


def hold_back(counts: list[int]) -> list[Figure]:
    """Rows' counts published beside their (published) total: the rows under MIN_SHOWN are
    hidden, then the smallest shown ones while the hidden rows' sum is 1 to MIN_SHOWN - 1."""
    shown = [n >= MIN_SHOWN for n in counts]
    hidden = sum(n for n, ok in zip(counts, shown, strict=True) if not ok)
    for index in sorted((i for i, ok in enumerate(shown) if ok), key=lambda i: counts[i]):
        if not 0 < hidden < MIN_SHOWN:
            break
        shown[index], hidden = False, hidden + counts[index]
    return [
        Figure(value=n) if ok else Figure(value=None, hidden=True)
        for n, ok in zip(counts, shown, strict=True)
    ]
