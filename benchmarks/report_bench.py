"""ILL reports over a national year: 1,000,000 requests and about 4,000,000 events (target:
a report under 500 ms).

Fills its own database with synthetic libraries and a year of finished and open requests,
written in SQL (generate_series) for speed: each request's events (created, sent to a
lender, shipped, received, returned...), its rota entry and, for many that ended, the
patron's invitation to rate and the rating. Then it times:
- the nightly recount of every day's figures (ill.day_figures.rebuild),
- the 5-minute recount after a few hundred requests moved on (ill.day_figures.refresh),
- GET /ill/reports/ for the year through the whole Django stack, for the consortium and
  for one library (the page also runs the refresh, finding nothing new),
- and, for comparison, the same borrowing figures read straight from the requests and
  events, as the report did before it read day figures.

Usage (own database; it is filled once and reused by later runs):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ish_bench_report \\
        .venv/bin/python benchmarks/report_bench.py [--requests 1000000] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")
os.environ.setdefault("SECRET_KEY", "report-benchmark-only")

import django

from benchmarks.run_all import ensure_database

if os.environ.get("DATABASE_URL"):
    ensure_database(os.environ["DATABASE_URL"])

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from ill import day_figures  # noqa: E402
from ill.models import DayFigures, IllEvent, IllRequest, Rating, RotaEntry  # noqa: E402
from members.models import Library, Province, Role, User  # noqa: E402

BACKEND = "members.backends.EmailOrUsernameBackend"
N_LIBRARIES = 120
TITLE = "Report bench"

# Outcomes by a request's id: 72% supplied and completed, 12% not supplied (the lender said
# no, the borrower cancelled), 8% in progress with a lender, 4% timed out and at end of
# rota, 4% refused by the home library. Events: 5, 4, 3, 4, 2 (about 4.3 a request).
REQUESTS_SQL = f"""
INSERT INTO {IllRequest._meta.db_table}
  (title, author, publisher, year, isbn, record_format, service_type, article_title, pages,
   service_level, patron_note, status, supplier_status, rota_round, renewals_used, renewals_allowed,
   loan_condition, refusal_reason, fee_pkr, created_at, updated_at, status_changed_at, borrower_id,
   supplier_id, patron_reference, requesting_agency_request_id, preferred_suppliers)
SELECT %(title)s, '', '', '', '', '', 'loan', '', '', 'normal', '',
       CASE WHEN k < 72 THEN 'completed' WHEN k < 84 THEN 'cancelled' WHEN k < 92 THEN 'sent_to_supplier'
            WHEN k < 96 THEN 'end_of_rota' ELSE 'refused' END,
       CASE WHEN k < 72 THEN 'LoanCompleted' WHEN k < 84 THEN 'Unfilled' WHEN k < 92 THEN 'RequestReceived'
            ELSE '' END,
       1, 0, 0, '', '', 0, at, at, at, libs[1 + b], CASE WHEN k < 92 THEN libs[1 + (b + 1 + s) %% %(n)s] END,
       '', '', '{{}}'
  FROM (SELECT g, g %% 100 AS k, (g * 7919) %% %(n)s AS b, (g * 104729) %% (%(n)s - 1) AS s,
               now() - (((g * 2654435761) %% 31536000) || ' seconds')::interval AS at,
               (SELECT array_agg(id ORDER BY id) FROM {Library._meta.db_table} WHERE code LIKE 'PK-R%%') AS libs
          FROM generate_series(%(from)s::bigint, %(to)s::bigint) g) x"""

# Event offsets from the request: sent after 1 hour; shipped 0-6 days later; received 1-5
# days after that; returned 20 days after; cancelled or timed out 3 days after.
EVENTS_SQL = f"""
INSERT INTO {IllEvent._meta.db_table}
  (action, side, actor_role, from_status, to_status, from_supplier_status, to_supplier_status, note, data,
   created_at, request_id)
SELECT e.action, 'requester', 'system', '', '', '', '', '', '{{}}',
       least(r.created_at + e.after, now() - interval '10 minutes'), r.id
  FROM {IllRequest._meta.db_table} r
  CROSS JOIN LATERAL (VALUES
     ('create', interval '0'),
     ('send_to_supplier', interval '1 hour'),
     ('ship', interval '1 hour' + ((r.id %% 7) || ' days')::interval),
     ('receive', interval '1 day' + ((r.id %% 7 + r.id %% 5) || ' days')::interval),
     ('complete', interval '20 days'),
     ('unfilled', interval '1 day'),
     ('cancel', interval '3 days'),
     ('time_out', interval '3 days'),
     ('refuse', interval '2 hours')
  ) AS e(action, after)
 WHERE r.title = %(title)s AND r.id BETWEEN %(lo)s AND %(hi)s AND CASE r.status
   WHEN 'completed' THEN e.action IN ('create', 'send_to_supplier', 'ship', 'receive', 'complete')
   WHEN 'cancelled' THEN e.action IN ('create', 'send_to_supplier', 'unfilled', 'cancel')
   WHEN 'sent_to_supplier' THEN e.action IN ('create', 'send_to_supplier') OR (e.action = 'unfilled' AND r.id %% 2 = 0)
   WHEN 'end_of_rota' THEN e.action IN ('create', 'send_to_supplier', 'time_out', 'cancel')
   ELSE e.action IN ('create', 'refuse') END"""

ROTA_SQL = f"""
INSERT INTO {RotaEntry._meta.db_table}
  (round, position, reason, reason_data, agreement_name, loan_period_days, renewals_allowed,
   response_deadline_days, fee_pkr, status, asked_at, deadline_at, answered_at, reason_unfilled, note,
   lender_id, request_id, supplier_request_id)
SELECT 1, 1, 'bench', '{{}}', '', 28, 1, 3, 0,
       CASE r.status WHEN 'completed' THEN 'supplying' WHEN 'cancelled' THEN 'unfilled'
                     WHEN 'sent_to_supplier' THEN 'asked' ELSE 'timed_out' END,
       r.created_at + interval '1 hour', r.created_at + interval '4 days',
       -- answered: when it lent or said no; at the deadline when it timed out; not yet when still asked
       CASE r.status WHEN 'completed' THEN least(r.created_at + interval '1 hour' + ((r.id %% 30) || ' hours')::interval,
                                                 now() - interval '10 minutes')
                     WHEN 'cancelled' THEN least(r.created_at + interval '1 day', now() - interval '10 minutes')
                     WHEN 'sent_to_supplier' THEN NULL
                     ELSE r.created_at + interval '4 days' END,
       CASE WHEN r.status = 'cancelled' THEN (ARRAY['NotOnShelf', 'NotHeld', 'NonCirculating', 'PoorCondition'])[1 + r.id %% 4]
            ELSE '' END,
       '', coalesce(r.supplier_id, r.borrower_id), r.id, ''
  FROM {IllRequest._meta.db_table} r
 WHERE r.title = %(title)s AND r.status <> 'refused' AND r.id BETWEEN %(lo)s AND %(hi)s"""

# Half of the requests that ended invite their patron; 40% of those answered.
RATINGS_SQL = f"""
INSERT INTO {Rating._meta.db_table} (invited_at, score, comment, answered_at, updated_at, request_id)
SELECT least(r.created_at + interval '20 days', now() - interval '10 minutes'),
       CASE WHEN r.id %% 5 < 2 THEN 1 + r.id %% 5 + r.id %% 3 END, '',
       CASE WHEN r.id %% 5 < 2 THEN least(r.created_at + interval '21 days', now() - interval '10 minutes') END,
       CASE WHEN r.id %% 5 < 2 THEN least(r.created_at + interval '21 days', now() - interval '10 minutes') END, r.id
  FROM {IllRequest._meta.db_table} r
 WHERE r.title = %(title)s AND r.status IN ('completed', 'cancelled', 'refused') AND r.id %% 2 = 0
   AND r.id BETWEEN %(lo)s AND %(hi)s"""

# The report as it read before day figures: the borrowing statement over requests and events.
DIRECT_SQL = f"""
WITH req AS (
  SELECT r.id, r.borrower_id, r.status, r.created_at,
         min(e.created_at) FILTER (WHERE e.action IN ('ship', 'deliver_copy')) AS supplied_at,
         min(e.created_at) FILTER (WHERE e.action IN ('receive', 'deliver_copy')) AS arrived_at,
         coalesce(bool_or(e.action = 'send_to_supplier'), false) AS reached_lender
    FROM {IllRequest._meta.db_table} r LEFT JOIN {IllEvent._meta.db_table} e ON e.request_id = r.id
   WHERE r.created_at >= now() - interval '365 days' GROUP BY r.id)
SELECT borrower_id, count(*), count(supplied_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM arrived_at - created_at))
  FROM req GROUP BY ROLLUP (borrower_id)"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def fill(n_requests: int) -> None:
    provinces = list(Province.values)
    Library.objects.bulk_create(
        [
            Library(code=f"PK-R{i:03d}", name=f"Report Bench University {i}", kind="university",
                    city=f"City {i % 30}", province=provinces[i % len(provinces)], email=f"ill@r{i}.edu.pk")
            for i in range(N_LIBRARIES)
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    have = IllRequest.objects.filter(title=TITLE).count()
    step = 100_000
    for start in range(have + 1, n_requests + 1, step):
        end = min(n_requests, start + step - 1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM ill_illrequest")
            (before,) = cursor.fetchone()
            cursor.execute(REQUESTS_SQL, {"title": TITLE, "n": N_LIBRARIES, "from": start, "to": end})
            cursor.execute("SELECT max(id) FROM ill_illrequest")
            (after,) = cursor.fetchone()
            bounds = {"title": TITLE, "lo": before + 1, "hi": after}
            cursor.execute(EVENTS_SQL, bounds)
            cursor.execute(ROTA_SQL, bounds)
            cursor.execute(RATINGS_SQL, bounds)
        print(f"  filled requests {start:,}-{end:,}", flush=True)
    with connection.cursor() as cursor:
        # As autovacuum leaves a table that has settled: the visibility map set, so the
        # open requests are counted from the status index alone (an index-only scan).
        cursor.execute("VACUUM ANALYZE")


def timed(label: str, runs: int, call) -> None:
    call()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<58} n={runs:<3} p50 {statistics.median(times):7.1f} ms  p95 {pct(times, 95):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    fill(args.requests)
    print(
        f"data: {Library.objects.count()} libraries, {IllRequest.objects.count():,} requests, "
        f"{IllEvent.objects.count():,} events, {RotaEntry.objects.count():,} rota entries, "
        f"{Rating.objects.count():,} ratings (fill {time.perf_counter() - start:.0f} s)"
    )
    start = time.perf_counter()
    kept = day_figures.rebuild()
    print(f"nightly recount (rebuild): {time.perf_counter() - start:.1f} s, {kept:,} library-days")
    # a few hundred requests move on: their events are new, their days are recounted
    moved = list(
        IllRequest.objects.filter(title=TITLE, status="sent_to_supplier").values_list("pk", flat=True)[:300]
    )
    IllEvent.objects.bulk_create(
        [IllEvent(request_id=pk, action="ship", side="supplier", actor_role="system", from_status="",
                  to_status="", created_at=timezone.now()) for pk in moved]
    )  # fmt: skip
    start = time.perf_counter()
    day_figures.refresh()
    print(
        f"5-minute recount (refresh) after {len(moved)} requests moved on: "
        f"{(time.perf_counter() - start) * 1000:.0f} ms ({DayFigures.objects.count():,} library-days in all)"
    )
    with connection.cursor() as cursor:
        # The nightly recount rewrote every row; autovacuum clears the old ones within a
        # minute or so (44,000 dead rows are far over its threshold), long before the day's
        # reports. Read straight after the recount, the period's rows cost a third more.
        cursor.execute(f"VACUUM ANALYZE {DayFigures._meta.db_table}")
    admin, _ = User.objects.get_or_create(
        username="report-bench-admin", defaults={"email": "admin@report.pk", "role": Role.CONSORTIUM_ADMIN}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin, backend=BACKEND)

    def page(query: str = "") -> None:
        response = client.get(f"/ill/reports/{query}")
        if response.status_code != 200:
            raise SystemExit(f"GET /ill/reports/{query} answered {response.status_code}")

    timed("GET /ill/reports/ (12 months and this one, the consortium)", args.runs, page)
    today = timezone.localdate()
    cut = f"?start={today - timedelta(days=350)}&end={today - timedelta(days=20)}"
    timed("GET /ill/reports/ for a period cutting months at both ends", args.runs, lambda: page(cut))
    timed("GET /ill/reports/?library=PK-R007 (the same year, one library)", args.runs,
          lambda: page("?library=PK-R007"))  # fmt: skip
    timed("GET /ill/reports/?format=csv&table=months", args.runs, lambda: page("?format=csv&table=months"))

    def direct() -> None:
        with connection.cursor() as cursor:
            cursor.execute(DIRECT_SQL)
            cursor.fetchall()

    timed("for comparison: borrowing figures straight from requests and events", 3, direct)


if __name__ == "__main__":
    main()
