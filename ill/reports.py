"""Consortium-wide ILL figures for consortium admins: fill rate, turnaround, load.

Counts only, never a patron: the report is about libraries. Three grouped statements
(borrowing, lending, current load) with ROLLUP for the consortium's total row.

Definitions, as ILL statistics usually count them (the published figures in
docs/ill.md, "Published figures", are of this kind):
- a request *supplied*: a lender shipped it (Loaned) or delivered the copy;
- a request *not supplied*: it reached at least one lender and ended (cancelled) or sits
  at end of rota without being supplied; refused by the home library does not count;
- fill rate = supplied / (supplied + not supplied);
- turnaround = request placed → item received by the borrowing library (loans) or copy
  delivered (copies), in days;
- a lender's fill rate = times it supplied / times it answered (supplied, unfilled or
  no answer in time); its answer time = asked → answered, in hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count

from ill import states
from ill.models import IllEvent, IllRequest, RotaEntry
from members.models import Library
from policies.calendar import PAKISTAN

LIST_LIMIT = 50  # rows in each "needs a look" list; the queues hold the rest


@dataclass
class LibraryFigures:
    library: Library | None  # None: the whole consortium
    requested: int = 0
    supplied: int = 0
    not_supplied: int = 0
    open: int = 0
    turnaround_days: float | None = None
    asked: int = 0
    lent: int = 0
    unfilled: int = 0
    timed_out: int = 0
    answer_hours: float | None = None
    on_loan_now: int = 0
    overdue_now: int = 0

    @property
    def fill_rate(self) -> float | None:
        closed = self.supplied + self.not_supplied
        return self.supplied / closed if closed else None

    @property
    def lender_fill_rate(self) -> float | None:
        answered = self.lent + self.unfilled + self.timed_out
        return self.lent / answered if answered else None

    @property
    def fill_rate_pct(self) -> int | None:
        return None if self.fill_rate is None else round(100 * self.fill_rate)

    @property
    def lender_fill_rate_pct(self) -> int | None:
        return None if self.lender_fill_rate is None else round(100 * self.lender_fill_rate)


@dataclass
class Report:
    start: date
    end: date
    rows: list[LibraryFigures]
    total: LibraryFigures
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
    unsupplied_end = [states.CANCELLED, states.END_OF_ROTA]
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
       count(*) FILTER (WHERE NOT (status = ANY(%s))),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM arrived_at - created_at))
         FILTER (WHERE arrived_at IS NOT NULL)
  FROM req GROUP BY ROLLUP (borrower_id)"""  # noqa: S608 - table names from the models
    rows = _by_key(
        sql, [lo, hi, unsupplied_end, sorted(states.TERMINAL)],
        ["requested", "supplied", "not_supplied", "open", "turnaround_days"],
    )  # fmt: skip
    return _scaled(rows, "turnaround_days", 86400)


def _lending(lo: datetime, hi: datetime) -> dict[int | None, dict]:
    sql = f"""
SELECT lender_id, count(*),
       count(*) FILTER (WHERE status = %s), count(*) FILTER (WHERE status = %s),
       count(*) FILTER (WHERE status = %s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - asked_at))
         FILTER (WHERE answered_at IS NOT NULL AND status <> %s)
  FROM {RotaEntry._meta.db_table}
 WHERE asked_at >= %s AND asked_at < %s
 GROUP BY ROLLUP (lender_id)"""  # noqa: S608 - table name from the model
    s = RotaEntry.Status
    rows = _by_key(
        sql, [s.SUPPLYING, s.UNFILLED, s.TIMED_OUT, s.TIMED_OUT, lo, hi],
        ["asked", "lent", "unfilled", "timed_out", "answer_hours"],
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
        open_by_status=open_by_status,
        overdue=list(attention.filter(status=states.OVERDUE)[:LIST_LIMIT]),
        end_of_rota=list(attention.filter(status=states.END_OF_ROTA)[:LIST_LIMIT]),
    )
