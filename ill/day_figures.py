"""ILL figures pre-aggregated by Pakistan day and library (ill.models.DayFigures), so that a
report over any period sums a few rows per library and day instead of reading every
request and event (a year of a national consortium: about 1,000,000 requests and 4,000,000
events; benchmarks/report_bench.py measures both ways).

How they are kept: a scheduled job, not the writing transaction (a counter row per library
and day would serialise every ILL action of a busy library on one row).
- ``refresh()`` recounts the days that something happened to since the last count: the
  days on which the requests that have new events were placed, their lenders were asked
  and their patrons were invited to rate, and the days of ratings answered since. It runs
  every 5 minutes (consortium/schedules.py) and before a report page is shown unless the
  last count is under a minute old (settings.ILL_FIGURES_FRESH_FOR), so a report is
  current to within a minute; a page that finds a count already running shows the figures
  as they were counted last. Pages say when the figures were counted.
- ``rebuild()`` recounts every day, nightly: it is the check that nothing was missed, and
  what puts an admin's correction of the holiday calendar into the working-day figures.
A day's rows are replaced whole in one transaction, so a report never sees half a day.

Each request counts on the day it was placed (Pakistan time), by what became of it
since; ill.reports defines the categories. Turnaround counts working days
(policies.calendar): the working days after the day it was placed up to and including
the day it was shipped (or the copy delivered), or received; 0 is the same day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from ill import states
from ill.models import DayFigures, DayFiguresState, IllEvent, IllRequest, Rating, RotaEntry
from policies.calendar import PAKISTAN, pakistan_date, working_day_numbers

# Changes committed up to this long after a count started are looked at again by the next
# one (a transaction that began before the count and committed after it).
OVERLAP = timedelta(minutes=10)
LOCK_KEY = 0x111D_F160  # pg advisory lock: one count at a time

TZ = PAKISTAN.key
REQ, EVT, ROTA, RATING = (m._meta.db_table for m in (IllRequest, IllEvent, RotaEntry, Rating))
SUPPLY_ACTIONS = ["ship", "deliver_copy"]
ARRIVE_ACTIONS = ["receive", "deliver_copy"]
DAY_BOUNDS = "(d.day::timestamp AT TIME ZONE %(tz)s)", "((d.day + 1)::timestamp AT TIME ZONE %(tz)s)"

FIGURES = DayFigures._meta.db_table
_SCORES = ", ".join(f"count(*) FILTER (WHERE g.score = {score})" for score in range(1, 6))
# One statement counts the days and writes their rows: borrowing (requests placed, with the
# first supply and arrival event of each), lending (rota entries asked) and ratings
# (invitations), each grouped by day and library, joined, and inserted.
COUNT_DAYS = f"""
WITH days AS (SELECT unnest(%(days)s::date[]) AS day),
cal AS (SELECT * FROM unnest(%(cal_days)s::date[], %(cal_n)s::int[]) AS c(day, n)),
req AS (
  SELECT d.day, r.borrower_id AS library_id, r.status,
         min(e.created_at) FILTER (WHERE e.action = ANY(%(supply)s)) AS supplied_at,
         min(e.created_at) FILTER (WHERE e.action = ANY(%(arrive)s)) AS arrived_at,
         coalesce(bool_or(e.action = 'send_to_supplier'), false) AS reached
    FROM days d
    JOIN {REQ} r ON r.created_at >= {DAY_BOUNDS[0]} AND r.created_at < {DAY_BOUNDS[1]}
    LEFT JOIN {EVT} e ON e.request_id = r.id
   GROUP BY d.day, r.id
),
m AS MATERIALIZED (
  SELECT req.*, cs.n - c0.n AS ship_wd, ca.n - c0.n AS recv_wd
    FROM req JOIN cal c0 ON c0.day = req.day
    LEFT JOIN cal cs ON cs.day = (req.supplied_at AT TIME ZONE %(tz)s)::date
    LEFT JOIN cal ca ON ca.day = (req.arrived_at AT TIME ZONE %(tz)s)::date
),
borrowing AS (
  SELECT day, library_id, count(*) AS requested, count(supplied_at) AS supplied,
         count(*) FILTER (WHERE supplied_at IS NULL AND reached AND status = ANY(%(ended)s)) AS not_supplied,
         count(*) FILTER (WHERE supplied_at IS NULL AND NOT (status = ANY(%(ended)s))) AS in_progress,
         count(*) FILTER (WHERE supplied_at IS NULL AND NOT reached AND status = ANY(%(ended)s))
           AS ended_before_lender
    FROM m GROUP BY day, library_id
),
shipped AS (
  SELECT day, library_id, jsonb_object_agg(v, n) AS to_shipped
    FROM (SELECT day, library_id, ship_wd AS v, count(*) AS n FROM m WHERE ship_wd IS NOT NULL GROUP BY 1, 2, 3) x
   GROUP BY day, library_id
),
received AS (
  SELECT day, library_id, jsonb_object_agg(v, n) AS to_received
    FROM (SELECT day, library_id, recv_wd AS v, count(*) AS n FROM m WHERE recv_wd IS NOT NULL GROUP BY 1, 2, 3) x
   GROUP BY day, library_id
),
x AS MATERIALIZED (
  SELECT d.day, x.lender_id AS library_id, x.status, x.reason_unfilled,
         CASE WHEN x.answered_at IS NOT NULL AND x.status <> %(timed_out)s
              THEN floor(extract(epoch FROM x.answered_at - x.asked_at) / 3600)::int END AS exact_hours
    FROM days d JOIN {ROTA} x ON x.asked_at >= {DAY_BOUNDS[0]} AND x.asked_at < {DAY_BOUNDS[1]}
),
xh AS (
  SELECT x.*, CASE WHEN exact_hours < 48 THEN exact_hours ELSE exact_hours / 24 * 24 END AS hours FROM x
),
lending AS (
  SELECT day, library_id, count(*) AS asked,
         count(*) FILTER (WHERE status = %(supplying)s) AS lent,
         count(*) FILTER (WHERE status = %(unfilled)s) AS unfilled,
         count(*) FILTER (WHERE status = %(timed_out)s) AS timed_out,
         count(*) FILTER (WHERE status = %(asked)s) AS still_asked,
         count(*) FILTER (WHERE status = %(cancelled)s) AS withdrawn
    FROM x GROUP BY day, library_id
),
hours AS (
  SELECT day, library_id, jsonb_object_agg(v, n) AS answer_hours
    FROM (SELECT day, library_id, hours AS v, count(*) AS n FROM xh WHERE hours IS NOT NULL GROUP BY 1, 2, 3) y
   GROUP BY day, library_id
),
reasons AS (
  SELECT day, library_id, jsonb_object_agg(v, n) AS unfilled_reasons
    FROM (SELECT day, library_id, reason_unfilled AS v, count(*) AS n FROM x
           WHERE status = %(unfilled)s GROUP BY 1, 2, 3) y
   GROUP BY day, library_id
),
invited AS MATERIALIZED (
  SELECT d.day, r.borrower_id, r.supplier_id, r.supplier_status, g.score
    FROM days d JOIN {RATING} g ON g.invited_at >= {DAY_BOUNDS[0]} AND g.invited_at < {DAY_BOUNDS[1]}
    JOIN {REQ} r ON r.id = g.request_id
),
rated_b AS (
  SELECT day, borrower_id AS library_id, ARRAY[count(*), {_SCORES}]::int[] AS ratings_as_borrower
    FROM invited g GROUP BY 1, 2
),
rated_l AS (
  SELECT day, supplier_id AS library_id, ARRAY[count(*), {_SCORES}]::int[] AS ratings_as_lender
    FROM invited g WHERE supplier_status = ANY(%(supplied)s) AND supplier_id IS NOT NULL GROUP BY 1, 2
)
INSERT INTO {FIGURES} (day, month, library_id, requested, supplied, not_supplied, in_progress, ended_before_lender,
  to_shipped, to_received, asked, lent, unfilled, timed_out, still_asked, withdrawn, answer_hours,
  unfilled_reasons, ratings_as_borrower, ratings_as_lender)
SELECT day, false, library_id, coalesce(requested, 0), coalesce(supplied, 0), coalesce(not_supplied, 0),
       coalesce(in_progress, 0), coalesce(ended_before_lender, 0), coalesce(to_shipped, '{{}}'),
       coalesce(to_received, '{{}}'), coalesce(asked, 0), coalesce(lent, 0), coalesce(unfilled, 0),
       coalesce(timed_out, 0), coalesce(still_asked, 0), coalesce(withdrawn, 0), coalesce(answer_hours, '{{}}'),
       coalesce(unfilled_reasons, '{{}}'), coalesce(ratings_as_borrower, '{{0,0,0,0,0,0}}'),
       coalesce(ratings_as_lender, '{{0,0,0,0,0,0}}')
  FROM borrowing
  LEFT JOIN shipped USING (day, library_id) LEFT JOIN received USING (day, library_id)
  FULL JOIN (lending LEFT JOIN hours USING (day, library_id) LEFT JOIN reasons USING (day, library_id))
    USING (day, library_id)
  FULL JOIN rated_b USING (day, library_id)
  FULL JOIN rated_l USING (day, library_id)"""  # noqa: S608 - table names from the models

_SUMS = ", ".join(
    f"sum({name})" for name in ("requested", "supplied", "not_supplied", "in_progress", "ended_before_lender",
                                "asked", "lent", "unfilled", "timed_out", "still_asked", "withdrawn")
)  # fmt: skip
_RATING_SUMS = ", ".join(
    f"ARRAY[{', '.join(f'sum({side}[{n}])' for n in range(1, 7))}]::int[]"
    for side in ("ratings_as_borrower", "ratings_as_lender")
)
_MERGED = " ".join(
    f"""LEFT JOIN (SELECT library_id, m, jsonb_object_agg(k, n) AS {name} FROM (
      SELECT d.library_id, date_trunc('month', d.day)::date AS m, h.key AS k, sum(h.value::int) AS n
        FROM d CROSS JOIN jsonb_each_text(d.{name}) h GROUP BY 1, 2, 3) y GROUP BY 1, 2) {name}
      ON {name}.library_id = c.library_id AND {name}.m = c.m"""  # noqa: S608 - names from the model
    for name in ("to_shipped", "to_received", "answer_hours", "unfilled_reasons")
)
# The months' rows, summed from their days' rows.
COUNT_MONTHS = f"""
WITH d AS MATERIALIZED (
  SELECT * FROM {FIGURES} WHERE NOT month AND date_trunc('month', day)::date = ANY(%(months)s::date[])
),
c AS (
  SELECT date_trunc('month', day)::date AS m, true, library_id, {_SUMS}, {_RATING_SUMS} FROM d GROUP BY 1, 3
)
INSERT INTO {FIGURES} (day, month, library_id, requested, supplied, not_supplied, in_progress,
  ended_before_lender, asked, lent, unfilled, timed_out, still_asked, withdrawn, ratings_as_borrower,
  ratings_as_lender, to_shipped, to_received, answer_hours, unfilled_reasons)
SELECT c.*, coalesce(to_shipped.to_shipped, '{{}}'), coalesce(to_received.to_received, '{{}}'),
       coalesce(answer_hours.answer_hours, '{{}}'), coalesce(unfilled_reasons.unfilled_reasons, '{{}}')
  FROM c {_MERGED}"""  # noqa: S608 - names from the model

CHANGED_DAYS = f"""
WITH touched AS (SELECT DISTINCT request_id FROM {EVT} WHERE created_at >= %(since)s)
SELECT (created_at AT TIME ZONE %(tz)s)::date FROM {REQ}
 WHERE created_at >= %(since)s OR id IN (SELECT request_id FROM touched)
UNION
SELECT (asked_at AT TIME ZONE %(tz)s)::date FROM {ROTA}
 WHERE asked_at >= %(since)s OR (asked_at IS NOT NULL AND request_id IN (SELECT request_id FROM touched))
UNION
SELECT (invited_at AT TIME ZONE %(tz)s)::date FROM {RATING}
 WHERE invited_at >= %(since)s OR updated_at >= %(since)s OR request_id IN (SELECT request_id FROM touched)"""  # noqa: S608

SPAN = f"""
SELECT least((SELECT min(created_at) FROM {REQ}), (SELECT min(asked_at) FROM {ROTA}),
             (SELECT min(invited_at) FROM {RATING})),
       greatest((SELECT max(created_at) FROM {REQ}), (SELECT max(asked_at) FROM {ROTA}),
                (SELECT max(invited_at) FROM {RATING}))"""  # noqa: S608


def _replace(days: list[date]) -> int:
    """Recount these days: their rows are deleted and written again from the requests,
    events, rota and ratings. Returns how many library-days hold figures."""
    if not days:
        return 0
    cal = working_day_numbers(min(days), max(max(days), pakistan_date()) + timedelta(days=366))
    params = {
        "days": days, "tz": TZ, "cal_days": [day for day, _n in cal], "cal_n": [n for _day, n in cal],
        "supply": SUPPLY_ACTIONS, "arrive": ARRIVE_ACTIONS, "ended": sorted({*states.TERMINAL, states.END_OF_ROTA}),
        "supplied": sorted(states.SUPPLIED_STATUSES), **{s.name.lower(): s.value for s in RotaEntry.Status},
    }  # fmt: skip
    months = sorted({day.replace(day=1) for day in days})
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FIGURES} WHERE NOT month AND day = ANY(%s::date[])", [days])  # noqa: S608
        cursor.execute(COUNT_DAYS, params)
        counted = cursor.rowcount
        cursor.execute(f"DELETE FROM {FIGURES} WHERE month AND day = ANY(%s::date[])", [months])  # noqa: S608
        cursor.execute(COUNT_MONTHS, {"months": months})
        return counted


def _lock(*, wait: bool) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cursor.fetchone()[0]


def _changed_days(since: datetime) -> list[date]:
    with connection.cursor() as cursor:
        cursor.execute(CHANGED_DAYS, {"since": since, "tz": TZ})
        return sorted(day for (day,) in cursor.fetchall())


def state() -> DayFiguresState | None:
    return DayFiguresState.objects.first()


def _save_state(started: datetime, *, rebuilt: bool) -> None:
    values = {"counted_through": started - OVERLAP, "refreshed_at": timezone.now()}
    if rebuilt:
        values["rebuilt_at"] = values["refreshed_at"]
    updated = DayFiguresState.objects.update(**values)
    if not updated:
        DayFiguresState.objects.create(**values)


def refresh(*, wait: bool = True, unless_within: timedelta | None = None) -> bool:
    """Recount the days changed since the last count (all days the first time). Returns
    False, having done nothing, when another count holds the lock and ``wait`` is False,
    or when the last count is more recent than ``unless_within`` (a report page asks with
    settings.ILL_FIGURES_FRESH_FOR: pages opened one after another do not each recount)."""
    started = timezone.now()
    if unless_within is not None:
        last = DayFiguresState.objects.values_list("refreshed_at", flat=True).first()
        if last is not None and started - last < unless_within:
            return False
    with transaction.atomic():
        if not _lock(wait=wait):
            return False
        current = DayFiguresState.objects.select_for_update().first()
        if current is None:
            for days in _by_month(_all_days()):
                _replace(days)
        else:
            _replace(_changed_days(current.counted_through))
        _save_state(started, rebuilt=current is None)
    return True


def _all_days() -> list[date]:
    with connection.cursor() as cursor:
        cursor.execute(SPAN)
        first, last = cursor.fetchone()
    if first is None:
        return []
    start, end = pakistan_date(first), max(pakistan_date(), pakistan_date(last))
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _by_month(days: list[date]) -> list[list[date]]:
    months: dict[date, list[date]] = {}
    for day in days:
        months.setdefault(day.replace(day=1), []).append(day)
    return list(months.values())


def rebuild() -> int:
    """Recount every day, a month per transaction (rows of days with nothing left are
    removed). Returns how many library-days hold figures."""
    started = timezone.now()
    days = _all_days()
    kept = 0
    for month in _by_month(days):
        with transaction.atomic():
            _lock(wait=True)
            kept += _replace(month)
    with transaction.atomic():
        _lock(wait=True)
        if days:
            DayFigures.objects.exclude(day__range=(days[0].replace(day=1), days[-1])).delete()
        else:
            DayFigures.objects.all().delete()
        _save_state(started, rebuilt=True)
    return kept
