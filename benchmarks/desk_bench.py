"""The desk's response time with 10,000 open ILL requests (target: under 200 ms).

Fills its own database with libraries, open requests in every state the desk counts (one
library, the busiest, takes part in a tenth of them), their rota entries and a history of
finished requests, then times GET /desk/ through the whole Django stack (middleware,
session, template) for a librarian of the busiest library and for a consortium admin.

Measured on this project's 2-core machine shared with other jobs (200 libraries, 10,000 open
and 30,000 finished requests, the librarian's library in 911 open ones): p50 19 ms, p95 27 ms
for a librarian (4 queries, 2 ms in the database) and p50 18 ms, p95 28 ms for a consortium
admin (5 queries, 7 ms): the existing (borrower, status) and (supplier, supplier_status)
indexes serve every card, so no index was added.

Usage (own database; it is filled with synthetic data and reused by later runs):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ish_bench_desk \
        .venv/bin/python benchmarks/desk_bench.py [--open 10000] [--finished 30000] [--runs 100]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")
os.environ.setdefault("SECRET_KEY", "desk-benchmark-only")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalogue.models import ImportJob  # noqa: E402
from desk.selectors import desk_for  # noqa: E402
from ill import states  # noqa: E402
from ill.models import IllRequest, RotaEntry  # noqa: E402
from members.models import Library, PatronStatus, Province, Role, User  # noqa: E402

PROVINCES = list(Province.values)
CITIES = ["Lahore", "Karachi", "Islamabad", "Peshawar", "Quetta", "Multan", "Gilgit", "Muzaffarabad"]
BACKEND = "members.backends.EmailOrUsernameBackend"

# (requester status, supplier status, share of the open requests): every queue of the desk
# and the states between them.
OPEN_MIX = [
    (states.SUBMITTED, states.NONE, 0.10),
    (states.VALIDATED, states.NONE, 0.02),
    (states.SENT_TO_SUPPLIER, states.REQUEST_RECEIVED, 0.20),
    (states.EXPECT_TO_SUPPLY, states.EXPECT_TO_SUPPLY_S, 0.05),
    (states.WILL_SUPPLY, states.WILL_SUPPLY_S, 0.12),
    (states.SHIPPED, states.LOANED, 0.10),
    (states.RECEIVED, states.LOANED, 0.06),
    (states.CHECKED_OUT, states.LOANED, 0.20),
    (states.OVERDUE, states.OVERDUE_S, 0.05),
    (states.RETURNED_BY_PATRON, states.LOANED, 0.03),
    (states.SHIPPED_RETURN, states.RETURN_SHIPPED, 0.04),
    (states.END_OF_ROTA, states.NONE, 0.03),
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def setup(n_libraries: int, n_open: int, n_finished: int) -> tuple[User, User]:
    rng = random.Random(16)
    Library.objects.bulk_create(
        [
            Library(code=f"PK-D{i:04d}", name=f"Desk Bench University {i}", kind="university",
                    city=CITIES[i % len(CITIES)], province=PROVINCES[i % len(PROVINCES)],
                    email=f"ill@d{i}.edu.pk")
            for i in range(n_libraries)
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    libraries = list(Library.objects.filter(code__startswith="PK-D").order_by("code"))
    busiest = libraries[0]
    librarian, _ = User.objects.get_or_create(
        username="desk-bench-librarian",
        defaults={"email": "librarian@d0.edu.pk", "role": Role.LIBRARIAN, "library": busiest},
    )
    cadmin, _ = User.objects.get_or_create(
        username="desk-bench-cadmin", defaults={"email": "cadmin@desk.pk", "role": Role.CONSORTIUM_ADMIN}
    )
    if not User.objects.filter(username__startswith="desk-bench-patron").exists():
        User.objects.bulk_create(
            [
                User(username=f"desk-bench-patron{i}", email=f"p{i}@d.edu.pk", role=Role.PATRON,
                     library=libraries[i % n_libraries],
                     patron_status=PatronStatus.PENDING if i % 10 == 0 else PatronStatus.APPROVED)
                for i in range(2000)
            ]
        )  # fmt: skip
        ImportJob.objects.bulk_create(
            [
                ImportJob(library=libraries[i % n_libraries], file="imports/x.mrc", original_name=f"{i}.mrc",
                          format="marc", status=ImportJob.Status.FAILED if i % 7 == 0 else ImportJob.Status.DONE)
                for i in range(1000)
            ]
        )  # fmt: skip

    def pair() -> tuple[Library, Library]:
        # The busiest library borrows or lends in a tenth of all requests.
        other = rng.choice(libraries[1:])
        if rng.random() < 0.1:
            return (busiest, other) if rng.random() < 0.5 else (other, busiest)
        return tuple(rng.sample(libraries[1:], 2))

    now = timezone.now()
    have_open = IllRequest.objects.open().filter(title="Desk bench").count()
    rows = []
    weights = [share for _r, _s, share in OPEN_MIX]
    for _ in range(max(0, n_open - have_open)):
        status, supplier_status, _share = rng.choices(OPEN_MIX, weights)[0]
        borrower, supplier = pair()
        on_loan = status in (states.SHIPPED, states.RECEIVED, states.CHECKED_OUT, states.OVERDUE)
        rows.append(
            IllRequest(
                borrower=borrower, supplier=supplier if supplier_status else None, status=status,
                supplier_status=supplier_status, title="Desk bench",
                status_changed_at=now - timedelta(hours=rng.randint(1, 24 * 30)),
                due_date=(now + timedelta(days=rng.randint(-10, 30))).date() if on_loan else None,
            )
        )  # fmt: skip
    have_finished = IllRequest.objects.filter(title="Desk bench", status=states.COMPLETED).count()
    for _ in range(max(0, n_finished - have_finished)):
        borrower, supplier = pair()
        rows.append(
            IllRequest(borrower=borrower, supplier=supplier, status=states.COMPLETED,
                       supplier_status=states.LOAN_COMPLETED, title="Desk bench",
                       status_changed_at=now - timedelta(days=rng.randint(1, 700)))
        )  # fmt: skip
    IllRequest.objects.bulk_create(rows, batch_size=5000)
    asked = IllRequest.objects.filter(supplier_status=states.REQUEST_RECEIVED, rota__isnull=True).only(
        "pk", "supplier_id", "status_changed_at"
    )
    RotaEntry.objects.bulk_create(
        [
            RotaEntry(request=r, position=1, lender_id=r.supplier_id, reason="bench", status="asked",
                      asked_at=r.status_changed_at, deadline_at=r.status_changed_at + timedelta(days=3))
            for r in asked
        ],
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return librarian, cadmin


def measure(user: User, runs: int) -> None:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend=BACKEND)
    response = client.get("/desk/")  # warm: URLconf, templates, connection
    if response.status_code != 200:
        raise SystemExit(f"GET /desk/ answered {response.status_code} for {user.username}")
    with CaptureQueriesContext(connection) as captured:
        desk_for(user=user)
    queries = list(captured)  # now: every request resets the connection's log
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get("/desk/")
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"GET /desk/ as {user.get_role_display().lower():<16} n={runs}  p50 {statistics.median(times):6.1f} ms"
        f"  p95 {pct(times, 95):6.1f} ms  max {max(times):6.1f} ms  (cards: {len(queries)} queries"
        f" {sum(float(q['time']) for q in queries) * 1000:.1f} ms; page "
        f"{len(response.content) // 1024} KB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--libraries", type=int, default=200)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--finished", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    librarian, cadmin = setup(args.libraries, args.open, args.finished)
    busiest = librarian.library
    print(
        f"data: {Library.objects.count()} libraries, {IllRequest.objects.open().count()} open requests, "
        f"{IllRequest.objects.exclude(pk__in=IllRequest.objects.open().values('pk')).count()} finished, "
        f"{RotaEntry.objects.count()} rota entries; the librarian's library takes part in "
        f"{IllRequest.objects.open().filter(borrower=busiest).count()} open as borrower and "
        f"{IllRequest.objects.open().filter(supplier=busiest).count()} as lender "
        f"(set-up {time.perf_counter() - start:.1f} s, database {connection.settings_dict['NAME']})"
    )
    measure(librarian, args.runs)
    measure(cadmin, args.runs)


if __name__ == "__main__":
    main()
