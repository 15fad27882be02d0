"""ILL figures for consortium admins (every library) and a member's staff (their own library
beside the consortium's totals): fill rate, turnaround, load.

Counts only, never a patron: the report is about libraries. Three grouped statements
(borrowing, lending, current load) with ROLLUP for the consortium's total row.

Definitions, as ILL statistics usually count them (the published figures in
docs/ill.md, "Published figures", are of this kind); the report page defines each under
its table (templates/ill/report.html), and every request placed falls in exactly one of the first four:
- *supplied*: a lender shipped it (Loaned) or delivered the copy, at any time since;
- *not supplied*: never supplied, it reached at least one lender and then ended
  (cancelled) or sits at end of rota;
- *in progress*: never supplied and not ended yet;
- *ended before a lender*: never supplied, no lender was asked, and it ended (refused by
  the home library, cancelled, or at end of rota because no member holds it);
- fill rate = supplied / (supplied + not supplied): of the requests that reached a lender
  and ended, the share filled;
- turnaround = request placed → item received by the borrowing library (loans) or copy
  delivered (copies), in days, the median;
- a lender's figures count the times it was asked in the period; each is exactly one of
  lent, said no (unfilled), no answer in time, still asked, or withdrawn (the borrowing
  library cancelled while it was asked);
- a lender's fill rate = times it lent / times it was asked;
- its answer time = asked → answered, in hours, the median.

Patron satisfaction (ill.ratings), for the patrons invited in the period (each request that
ended with a patron is invited once, when it ends): invited, rated (answered so far), the
response rate = rated / invited, the mean rating to one decimal and how many gave each of
1 to 5; per library as borrower (its patrons' requests) and as lender (requests it
supplied), and for the consortium. A row of fewer than ``MIN_RATINGS_SHOWN`` ratings shows
none of them (nor, then, the smallest rows that would let the consortium's row reveal it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ill import day_figures, states
from ill.figures import COUNTS, Cell, cells, merged, percentile, total
from ill.models import RATING_SCORES, DayFiguresState, IllRequest
from members.models import Library, Province
from policies.calendar import PAKISTAN

LIST_LIMIT = 50  # rows in each "needs a look" list; the queues hold the rest

# The CSV's figure columns: (column, LibraryFigures attribute, decimals for a rate or median).
CSV_FIGURES = [
    ("requested", "requested", None), ("supplied", "supplied", None),
    ("not_supplied", "not_supplied", None), ("in_progress", "in_progress", None),
    ("ended_before_lender", "ended_before_lender", None), ("fill_rate", "fill_rate", 3),
    ("shipped_p50_working_days", "to_shipped_p50", None), ("shipped_p90_working_days", "to_shipped_p90", None),
    ("received_p50_working_days", "to_received_p50", None),
    ("received_p90_working_days", "to_received_p90", None), ("asked_to_lend", "asked", None),
    ("lent", "lent", None), ("unfilled", "unfilled", None), ("no_answer_in_time", "timed_out", None),
    ("still_asked", "still_asked", None), ("withdrawn", "withdrawn", None),
    ("lender_fill_rate", "lender_fill_rate", 3), ("median_answer_hours", "answer_hours", None),
    ("on_loan_now", "on_loan_now", None), ("overdue_now", "overdue_now", None),
    ("net_lending", "net_lending", None),
]  # fmt: skip


def _percentile_of(histogram: str, share: float) -> cached_property:
    """A LibraryFigures figure: a percentile of one of its cell's histograms, summed when
    first read (ill.figures.Cell.histogram)."""

    def figure(self: LibraryFigures) -> int | None:
        return percentile(self.cell.histogram(histogram), share)

    return cached_property(figure)


@dataclass
class LibraryFigures:
    library: Library | None  # None: the whole consortium, a month or a province (``key``)
    key: object = None  # the month (its first day) or the province code of a row of those
    label: str = ""  # a province's name
    members: int = 0  # a province's active members
    requested: int = 0
    supplied: int = 0
    not_supplied: int = 0
    in_progress: int = 0
    ended_before_lender: int = 0
    asked: int = 0
    lent: int = 0
    unfilled: int = 0
    timed_out: int = 0
    still_asked: int = 0
    withdrawn: int = 0
    on_loan_now: int = 0
    overdue_now: int = 0
    # The summed figures the durations and reasons are read from, when first shown: a month's
    # trend shows turnaround alone, and its answer hours are then never summed.
    cell: Cell = field(default_factory=Cell, repr=False, compare=False)

    # Working days request placed -> shipped, and -> received (median, 90th percentile);
    # whole hours asked -> answered (median).
    to_shipped_p50 = _percentile_of("to_shipped", 0.5)
    to_shipped_p90 = _percentile_of("to_shipped", 0.9)
    to_received_p50 = _percentile_of("to_received", 0.5)
    to_received_p90 = _percentile_of("to_received", 0.9)
    answer_hours = _percentile_of("answer_hours", 0.5)

    @property
    def unfilled_reasons(self) -> dict[str, int]:
        return dict(self.cell.histogram("unfilled_reasons"))

    @property
    def settled(self) -> int:
        """Requests that reached a lender and ended: the fill rate's denominator."""
        return self.supplied + self.not_supplied

    @property
    def fill_rate(self) -> float | None:
        return self.supplied / self.settled if self.settled else None

    @property
    def net_lending(self) -> int:
        """Lent to others less supplied to it, in the period: above 0 a net lender."""
        return self.lent - self.supplied

    @property
    def lender_fill_rate(self) -> float | None:
        return self.lent / self.asked if self.asked else None

    def csv_values(self) -> list:
        """The row's figures in CSV_FIGURES order; a rate or median with its decimals, blank
        when there is nothing to divide or measure."""
        values = []
        for _column, attribute, digits in CSV_FIGURES:
            value = getattr(self, attribute)
            if value is None:
                value = ""
            values.append(value if digits is None or value == "" else f"{value:.{digits}f}")
        return values

    @property
    def shipped_in(self) -> str:
        """Working days to shipped as "median / 90th percentile" (— when none shipped)."""
        return "—" if self.to_shipped_p50 is None else f"{self.to_shipped_p50} / {self.to_shipped_p90}"

    @property
    def received_in(self) -> str:
        return "—" if self.to_received_p50 is None else f"{self.to_received_p50} / {self.to_received_p90}"

    @property
    def turnaround(self) -> tuple[int | None, ...]:
        """Working days to shipped and to received: median and 90th percentile of each."""
        return (self.to_shipped_p50, self.to_shipped_p90, self.to_received_p50, self.to_received_p90)

    @property
    def fill_rate_pct(self) -> int | None:
        return None if self.fill_rate is None else round(100 * self.fill_rate)

    @property
    def lender_fill_rate_pct(self) -> int | None:
        return None if self.lender_fill_rate is None else round(100 * self.lender_fill_rate)


# Fewer ratings than this in a row, and none of its rating figures is shown: with so few,
# someone who knows whose requests ended could tell who gave which rating.
MIN_RATINGS_SHOWN = 5


@dataclass
class RatingFigures:
    """Patrons' ratings of the requests of one library (or the consortium, library None)."""

    library: Library | None
    invited: int = 0
    rated: int = 0
    distribution: tuple[int, ...] = (0, 0, 0, 0, 0)  # how many rated 1, 2, 3, 4, 5
    shown: bool = False  # enough ratings to show their figures (MIN_RATINGS_SHOWN)

    @property
    def mean(self) -> Decimal | None:
        """The mean rating to one decimal (halves rounded up), from the distribution."""
        if not self.rated:
            return None
        total = sum(score * n for score, n in zip(RATING_SCORES, self.distribution, strict=True))
        return (Decimal(total) / Decimal(self.rated)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.invited if self.invited else None

    @property
    def response_rate_pct(self) -> int | None:
        return None if self.response_rate is None else round(100 * self.response_rate)

    @property
    def few(self) -> bool:
        """Fewer ratings than may be shown (a row held back with more says "not shown")."""
        return self.rated < MIN_RATINGS_SHOWN


@dataclass
class RatingTable:
    rows: list[RatingFigures]
    total: RatingFigures


@dataclass
class Satisfaction:
    as_borrower: RatingTable
    as_lender: RatingTable
    scores: range = RATING_SCORES

    @property
    def tables(self) -> list[tuple[str, RatingTable]]:
        return [("borrower", self.as_borrower), ("lender", self.as_lender)]


@dataclass
class Report:
    start: date
    end: date
    rows: list[LibraryFigures]
    total: LibraryFigures
    satisfaction: Satisfaction | None = None
    open_by_status: list[tuple[str, object, int]] = field(default_factory=list)
    overdue: list[IllRequest] = field(default_factory=list)
    end_of_rota: list[IllRequest] = field(default_factory=list)
    counted: DayFiguresState | None = None  # how current the figures are
    library: Library | None = None  # the months and reasons are this library's (None: all)
    staff_of: Library | None = None  # a library's own report: its rows only, no provinces
    scope: LibraryFigures | None = None  # its row (or the consortium's)
    months: list[LibraryFigures] = field(default_factory=list)
    provinces: list[LibraryFigures] = field(default_factory=list)
    reasons: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, how many

    @property
    def reasons_total(self) -> int:
        return sum(n for _code, _label, n in self.reasons)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Pakistan calendar days, end inclusive, as aware datetimes."""
    return (
        datetime.combine(start, time.min, PAKISTAN),
        datetime.combine(end + timedelta(days=1), time.min, PAKISTAN),
    )


def _library_figures(figures: LibraryFigures, cell: Cell) -> LibraryFigures:
    for name in COUNTS:
        setattr(figures, name, cell.counts[name])
    figures.cell = cell
    return figures


def _load_now() -> dict[int | None, dict]:
    """Items out on loan today per lender, and of those the overdue (by the status index)."""
    rows = (
        IllRequest.objects.filter(status__in=states.OPEN_LOAN_STATUSES, supplier__isnull=False)
        .values("supplier_id")
        .annotate(on_loan_now=Count("pk"), overdue_now=Count("pk", filter=Q(status=states.OVERDUE)))
    )
    found = {row.pop("supplier_id"): row for row in rows}
    found[None] = {name: sum(row[name] for row in found.values()) for name in ("on_loan_now", "overdue_now")}
    return found


def _rating_figures(counts: list[int]) -> RatingFigures:
    return RatingFigures(
        library=None, invited=counts[0], rated=sum(counts[1:]), distribution=tuple(counts[1:])
    )


def _rating_table(
    per_library: dict[int, Cell], whole: Cell, side: str, libraries: dict[int, Library]
) -> RatingTable:
    rows = []
    for pk, lib in libraries.items():
        if pk in per_library or lib.is_active:
            figures = _rating_figures(per_library[pk].ratings[side] if pk in per_library else [0] * 6)
            figures.library = lib
            rows.append(figures)
    total = _rating_figures(whole.ratings[side])
    _hold_back(rows, total)
    return RatingTable(rows=rows, total=total)


def _hold_back(rows: list[RatingFigures], total: RatingFigures) -> None:
    """Which rows' rating figures are shown: a library's from MIN_RATINGS_SHOWN ratings on.
    The consortium's figures less the rows shown are the hidden rows' together, so while
    those hold 1 to MIN_RATINGS_SHOWN - 1 ratings the smallest rows shown are held back too."""
    for row in rows:
        row.shown = row.rated >= MIN_RATINGS_SHOWN
    hidden = sum(row.rated for row in rows if not row.shown)
    for row in sorted((row for row in rows if row.shown), key=lambda row: row.rated):
        if not 0 < hidden < MIN_RATINGS_SHOWN:
            break
        row.shown, hidden = False, hidden + row.rated
    total.shown = total.rated >= MIN_RATINGS_SHOWN


def _satisfaction(per_library: dict[int, Cell], whole: Cell, libraries: dict[int, Library]) -> Satisfaction:
    return Satisfaction(
        as_borrower=_rating_table(per_library, whole, "ratings_as_borrower", libraries),
        as_lender=_rating_table(per_library, whole, "ratings_as_lender", libraries),
    )


def satisfaction(*, start: date, end: date) -> Satisfaction:
    """Patrons' ratings of the requests whose patron was invited from start to end (Pakistan
    dates): per library as borrower and as lender (requests it supplied), and for all."""
    day_figures.refresh(wait=False, unless_within=settings.ILL_FIGURES_FRESH_FOR)
    found = cells(start=start, end=end)
    libraries = {lib.pk: lib for lib in Library.objects.order_by("code")}
    per_library = merged(found, lambda library, _month: library)
    return _satisfaction(per_library, total(per_library.values()), libraries)


def _months(start: date, end: date) -> list[date]:
    first, months = start.replace(day=1), []
    while first <= end:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def _by_month(found: dict, start: date, end: date, library: Library | None) -> list[LibraryFigures]:
    """Every month of the period (empty ones too, so a trend has no gaps) for the library
    (None: the consortium)."""
    groups = merged(found, lambda lib, month: month if library is None or lib == library.pk else None)
    return [
        _library_figures(LibraryFigures(library=None, key=month), groups.get(month, Cell()))
        for month in _months(start, end)
    ]


def _by_province(per_library: dict[int, Cell], libraries: dict[int, Library]) -> list[LibraryFigures]:
    """Every province and territory, with how many active members it has."""
    groups: dict[str, Cell] = {}
    for pk, cell in per_library.items():
        groups.setdefault(libraries[pk].province, Cell()).add(cell)
    members = Counter(lib.province for lib in libraries.values() if lib.is_active)
    return [
        _library_figures(
            LibraryFigures(library=None, key=code, label=label, members=members[code]),
            groups.get(code, Cell()),
        )
        for code, label in Province.choices
    ]


def _reasons(figures: LibraryFigures) -> list[tuple[str, str, int]]:
    """Why lenders did not supply: the reasons they gave, and no answer in time; most first."""
    found = [
        (code, str(states.REASONS_UNFILLED.get(code) or _("No reason given")), n)
        for code, n in figures.unfilled_reasons.items()
    ]
    if figures.timed_out:
        found.append(("NoAnswer", str(_("No answer in time")), figures.timed_out))
    return sorted(found, key=lambda reason: (-reason[2], reason[1]))


def _only_own(rows: list, library: Library) -> list:
    return [row for row in rows if row.library == library]


def ill_report(
    *, start: date, end: date, library: Library | None = None, staff_of: Library | None = None
) -> Report:
    """Figures for requests placed (and lenders asked) from start to end, Pakistan dates;
    the months and unfilled reasons of one library, or of the consortium.

    ``staff_of``: the report a member library's staff see, of that library only: its own rows
    beside the consortium's totals, its own requests in the lists, and no provinces (a
    province with one member would show that member's figures).
    """
    if staff_of is not None:
        library = staff_of
    day_figures.refresh(wait=False, unless_within=settings.ILL_FIGURES_FRESH_FOR)
    found = cells(start=start, end=end)
    per_library = merged(found, lambda library, _month: library)
    whole = total(per_library.values())  # (120 sums for a year, not 1,560)
    now = _load_now()
    libraries = {lib.pk: lib for lib in Library.objects.order_by("code")}
    rows = []
    for pk, lib in libraries.items():
        figures = LibraryFigures(library=lib)
        if pk in per_library:
            _library_figures(figures, per_library[pk])
        for key, value in now.get(pk, {}).items():
            setattr(figures, key, value)
        if lib.is_active or pk in per_library or pk in now:
            rows.append(figures)
    total_row = _library_figures(LibraryFigures(library=None), whole)
    for key, value in now.get(None, {}).items():
        setattr(total_row, key, value)
    scope = next((row for row in rows if row.library == library), total_row) if library else total_row
    open_qs = (
        IllRequest.objects.filter(status__in=states.OPEN_STATUSES)
        .values_list("status")
        .order_by("status")
        .annotate(n=Count("*"))  # count(*): answered from the status index alone
    )
    open_by_status = [(code, states.status(states.Side.REQUESTER, code).label, n) for code, n in open_qs]
    attention = IllRequest.objects.select_related("borrower", "supplier").order_by("status_changed_at", "pk")
    satisfaction = _satisfaction(per_library, whole, libraries)  # held back as for all rows
    provinces = _by_province(per_library, libraries)
    if staff_of is not None:
        rows = _only_own(rows, staff_of)
        for _side, table in satisfaction.tables:
            table.rows = _only_own(table.rows, staff_of)
        attention = attention.filter(Q(borrower=staff_of) | Q(supplier=staff_of))
        provinces = []
    return Report(
        start=start,
        end=end,
        rows=rows,
        total=total_row,
        satisfaction=satisfaction,
        counted=day_figures.state(),
        library=library,
        staff_of=staff_of,
        scope=scope,
        months=_by_month(found, start, end, library),
        provinces=provinces,
        reasons=_reasons(scope),
        open_by_status=open_by_status,
        overdue=list(attention.filter(status=states.OVERDUE)[:LIST_LIMIT]),
        end_of_rota=list(attention.filter(status=states.END_OF_ROTA)[:LIST_LIMIT]),
    )
