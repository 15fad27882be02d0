"""Consortium-wide ILL figures for consortium admins: fill rate, turnaround, load.

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

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet

from ill import states
from ill.models import RATING_SCORES, IllEvent, IllRequest, Rating, RotaEntry
from members.models import Library
from policies.calendar import PAKISTAN

LIST_LIMIT = 50  # rows in each "needs a look" list; the queues hold the rest

# The CSV's figure columns: (column, LibraryFigures attribute, decimals for a rate or median).
CSV_FIGURES = [
    ("requested", "requested", None), ("supplied", "supplied", None),
    ("not_supplied", "not_supplied", None), ("in_progress", "in_progress", None),
    ("ended_before_lender", "ended_before_lender", None), ("fill_rate", "fill_rate", 3),
    ("median_turnaround_days", "turnaround_days", 1), ("asked_to_lend", "asked", None),
    ("lent", "lent", None), ("unfilled", "unfilled", None), ("no_answer_in_time", "timed_out", None),
    ("still_asked", "still_asked", None), ("withdrawn", "withdrawn", None),
    ("lender_fill_rate", "lender_fill_rate", 3), ("median_answer_hours", "answer_hours", 1),
    ("on_loan_now", "on_loan_now", None), ("overdue_now", "overdue_now", None),
    ("net_lending", "net_lending", None),
]  # fmt: skip


@dataclass
class LibraryFigures:
    library: Library | None  # None: the whole consortium
    requested: int = 0
    supplied: int = 0
    not_supplied: int = 0
    in_progress: int = 0
    ended_before_lender: int = 0
    turnaround_days: float | None = None
    asked: int = 0
    lent: int = 0
    unfilled: int = 0
    timed_out: int = 0
    still_asked: int = 0
    withdrawn: int = 0
    answer_hours: float | None = None
    on_loan_now: int = 0
    overdue_now: int = 0

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
            values.append(value if digits is None else ("" if value is None else f"{value:.{digits}f}"))
        return values

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


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Pakistan calendar days, end inclusive, as aware datetimes."""
    return (
        datetime.combine(start, time.min, PAKISTAN),
        datetime.combine(end + timedelta(days=1), time.min, PAKISTAN),
    )


def _borrowing(lo: datetime, hi: datetime) -> dict[int | None, dict]:
    ended = sorted({*states.TERMINAL, states.END_OF_ROTA})
    sql = f"""
WITH req AS (
  SELECT r.id, r.borrower_id, r.status, r.created_at,
         min(e.created_at) FILTER (WHERE e.action IN ('ship', 'deliver_copy')) AS supplied_at,
         min(e.created_at) FILTER (WHERE e.action IN ('receive', 'deliver_copy')) AS arrived_at,
         coalesce(bool_or(e.action = 'send_to_supplier'), false) AS reached_lender
    FROM {IllRequest._meta.db_table} r
    LEFT JOIN {IllEvent._meta.db_table} e ON e.request_id = r.id
   WHERE r.created_at >= %s AND r.created_at < %s
   GROUP BY r.id
)
SELECT borrower_id, count(*), count(supplied_at),
       count(*) FILTER (WHERE supplied_at IS NULL AND reached_lender AND status = ANY(%s)),
       count(*) FILTER (WHERE supplied_at IS NULL AND NOT (status = ANY(%s))),
       count(*) FILTER (WHERE supplied_at IS NULL AND NOT reached_lender AND status = ANY(%s)),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM arrived_at - created_at))
         FILTER (WHERE arrived_at IS NOT NULL)
  FROM req GROUP BY ROLLUP (borrower_id)"""  # noqa: S608 - table names from the models
    rows = _by_key(
        sql, [lo, hi, ended, ended, ended],
        ["requested", "supplied", "not_supplied", "in_progress", "ended_before_lender", "turnaround_days"],
    )  # fmt: skip
    return _scaled(rows, "turnaround_days", 86400)


def _lending(lo: datetime, hi: datetime) -> dict[int | None, dict]:
    sql = f"""
SELECT lender_id, count(*),
       count(*) FILTER (WHERE status = %s), count(*) FILTER (WHERE status = %s),
       count(*) FILTER (WHERE status = %s), count(*) FILTER (WHERE status = %s),
       count(*) FILTER (WHERE status = %s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - asked_at))
         FILTER (WHERE answered_at IS NOT NULL AND status <> %s)
  FROM {RotaEntry._meta.db_table}
 WHERE asked_at >= %s AND asked_at < %s
 GROUP BY ROLLUP (lender_id)"""  # noqa: S608 - table name from the model
    s = RotaEntry.Status
    rows = _by_key(
        sql, [s.SUPPLYING, s.UNFILLED, s.TIMED_OUT, s.ASKED, s.CANCELLED, s.TIMED_OUT, lo, hi],
        ["asked", "lent", "unfilled", "timed_out", "still_asked", "withdrawn", "answer_hours"],
    )  # fmt: skip
    return _scaled(rows, "answer_hours", 3600)


def _load_now() -> dict[int | None, dict]:
    sql = f"""
SELECT supplier_id, count(*) FILTER (WHERE status = ANY(%s)), count(*) FILTER (WHERE status = %s)
  FROM {IllRequest._meta.db_table} WHERE supplier_id IS NOT NULL
 GROUP BY ROLLUP (supplier_id)"""  # noqa: S608 - table name from the model
    return _by_key(sql, [sorted(states.OPEN_LOAN_STATUSES), states.OVERDUE], ["on_loan_now", "overdue_now"])


def _by_key(sql: str, params: list, names: list[str]) -> dict[int | None, dict]:
    """Rows of a grouped statement (library id first, None for the ROLLUP total) as named figures."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor.fetchall()}


def _scaled(rows: dict[int | None, dict], name: str, seconds: int) -> dict[int | None, dict]:
    """A median in seconds (from extract(epoch ...)) as days or hours."""
    for figures in rows.values():
        if figures[name] is not None:
            figures[name] /= seconds
    return rows


def _rating_counts(invitations: QuerySet, key: str) -> tuple[dict[int, RatingFigures], RatingFigures]:
    """Invited, rated and the distribution, per library (``key``) and for all."""
    counts = {
        "invited": Count("pk"),
        "rated": Count("score"),
        **{f"n{score}": Count("pk", filter=Q(score=score)) for score in RATING_SCORES},
    }

    def figures(row: dict) -> RatingFigures:
        spread = tuple(row[f"n{score}"] for score in RATING_SCORES)
        return RatingFigures(library=None, invited=row["invited"], rated=row["rated"], distribution=spread)

    per_library = {row[key]: figures(row) for row in invitations.values(key).annotate(**counts)}
    return per_library, figures(invitations.aggregate(**counts))


def _rating_table(invitations: QuerySet, key: str, libraries: dict[int, Library]) -> RatingTable:
    per_library, total = _rating_counts(invitations, key)
    rows = []
    for pk, lib in libraries.items():
        figures = per_library.get(pk) or RatingFigures(library=None)
        figures.library = lib
        if lib.is_active or pk in per_library:
            rows.append(figures)
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


def satisfaction(*, start: date, end: date, libraries: dict[int, Library] | None = None) -> Satisfaction:
    """Patrons' ratings of the requests whose patron was invited from start to end (Pakistan
    dates): per library as borrower and as lender (requests it supplied), and for all."""
    lo, hi = _bounds(start, end)
    if libraries is None:
        libraries = {lib.pk: lib for lib in Library.objects.order_by("code")}
    invited = Rating.objects.filter(invited_at__gte=lo, invited_at__lt=hi)
    supplied = invited.filter(request__supplier_status__in=states.SUPPLIED_STATUSES)
    return Satisfaction(
        as_borrower=_rating_table(invited, "request__borrower_id", libraries),
        as_lender=_rating_table(supplied, "request__supplier_id", libraries),
    )


def ill_report(*, start: date, end: date) -> Report:
    """Figures for requests placed (and lenders asked) from start to end, Pakistan dates."""
    lo, hi = _bounds(start, end)
    parts = [_borrowing(lo, hi), _lending(lo, hi), _load_now()]
    libraries = {lib.pk: lib for lib in Library.objects.order_by("code")}
    rows = []
    for pk, lib in libraries.items():
        figures = LibraryFigures(library=lib)
        for part in parts:
            for key, value in part.get(pk, {}).items():
                setattr(figures, key, value)
        if lib.is_active or any(pk in part for part in parts):
            rows.append(figures)
    total = LibraryFigures(library=None)
    for part in parts:
        for key, value in part.get(None, {}).items():
            setattr(total, key, value)
    open_qs = (
        IllRequest.objects.exclude(status__in=states.TERMINAL)
        .values_list("status")
        .order_by("status")
        .annotate(n=Count("pk"))
    )
    open_by_status = [(code, states.status(states.Side.REQUESTER, code).label, n) for code, n in open_qs]
    attention = IllRequest.objects.select_related("borrower", "supplier").order_by("status_changed_at", "pk")
    return Report(
        start=start,
        end=end,
        rows=rows,
        total=total,
        satisfaction=satisfaction(start=start, end=end, libraries=libraries),
        open_by_status=open_by_status,
        overdue=list(attention.filter(status=states.OVERDUE)[:LIST_LIMIT]),
        end_of_rota=list(attention.filter(status=states.END_OF_ROTA)[:LIST_LIMIT]),
    )
