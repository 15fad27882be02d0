"""ILL routing benchmark: rota build time against the number of holders, and the time from
"validated" to "first lender notified" through a real Celery worker (idle) on Redis.

Usage (own database; it is filled with synthetic data):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ish_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python benchmarks/ill_routing.py [--libraries 200] [--open 10000] [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalogue.models import BibRecord, Holding, SourceRecord  # noqa: E402
from ill import states  # noqa: E402
from ill.models import IllEvent, IllRequest, RotaEntry  # noqa: E402
from ill.reports import ill_report  # noqa: E402
from ill.routing import build_rota  # noqa: E402
from ill.services import ill_request_create, ill_request_transition  # noqa: E402
from members.models import Library, OutboundEmail, PatronStatus, Province, Role, User  # noqa: E402
from policies.models import Agreement  # noqa: E402

PROVINCES = list(Province.values)
CITIES = ["Lahore", "Karachi", "Islamabad", "Peshawar", "Quetta", "Multan", "Gilgit", "Muzaffarabad"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def setup(n_libraries: int, n_open: int) -> tuple[list[Library], User, User, list[BibRecord]]:
    rng = random.Random(7)
    Library.objects.bulk_create(
        [
            Library(code=f"PK-B{i:04d}", name=f"Bench University {i}", kind="university",
                    city=CITIES[i % len(CITIES)], province=PROVINCES[i % len(PROVINCES)],
                    email=f"ill@b{i}.edu.pk")
            for i in range(n_libraries)
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    libraries = list(Library.objects.filter(code__startswith="PK-B").order_by("code"))
    Agreement.objects.get_or_create(
        name="Bench consortium-wide",
        defaults={"kind": "consortium", "all_members": True, "status": "active", "valid_from": date(2026, 1, 1),
                      "services_allowed": ["loan", "copy"], "loan_period_days": 21, "renewals_allowed": 1,
                      "response_deadline_days": 3, "max_open_loans": 50},
    )  # fmt: skip
    borrower = libraries[0]
    patron, _ = User.objects.get_or_create(
        username="bench-patron",
        defaults={"email": "bench-patron@b0.edu.pk", "role": Role.PATRON, "library": borrower,
                      "patron_status": PatronStatus.APPROVED, "card_number": "B-1"},
    )  # fmt: skip
    librarian, _ = User.objects.get_or_create(
        username="bench-librarian",
        defaults={"email": "bench-librarian@b0.edu.pk", "role": Role.LIBRARIAN, "library": borrower},
    )
    # Records held by 10, 50 and all libraries (the rota's size drives the cost).
    records = []
    for holders in (10, 50, n_libraries):
        title = f"Bench record held by {holders}"
        record = BibRecord.objects.filter(title=title).first()
        if record is None:
            record = BibRecord.objects.create(title=title, authors=["Bench"], format="book")
            chosen = libraries[1 : holders + 1] if holders < n_libraries else libraries[1:]
            sources = SourceRecord.objects.bulk_create(
                [SourceRecord(library=lib, local_id=f"bench-{record.pk}", bib_record=record, marc=b"",
                              source_format="csv", checksum="0" * 64) for lib in chosen]
            )  # fmt: skip
            Holding.objects.bulk_create(
                [Holding(source=s, library_id=s.library_id, bib_record=record) for s in sources]
            )
            record.library_ids = [lib.pk for lib in chosen]
            record.save(update_fields=["library_ids"])
        records.append(record)
    # Open requests in the network (load balance and history queries run against them).
    existing = IllRequest.objects.count()
    if existing < n_open:
        open_states = [states.SENT_TO_SUPPLIER, states.WILL_SUPPLY, states.CHECKED_OUT, states.SHIPPED]
        rows = []
        for _ in range(n_open - existing):
            b, s = rng.sample(libraries, 2)
            st = rng.choice(open_states)
            supplier_status = {
                states.SENT_TO_SUPPLIER: "RequestReceived",
                states.WILL_SUPPLY: "WillSupply",
            }.get(st, "Loaned")
            rows.append(IllRequest(borrower=b, supplier=s, status=st, supplier_status=supplier_status,
                                   title="Synthetic", due_date=date(2030, 1, 1)))  # fmt: skip
        IllRequest.objects.bulk_create(rows, batch_size=2000)
        # Answer history for fill-rate and speed statistics: one answered entry each, and
        # the events a shipped loan leaves (asked, will supply, shipped, received).
        now = timezone.now()
        synthetic = list(
            IllRequest.objects.filter(title="Synthetic", rota__isnull=True).only("pk", "supplier_id")
        )
        answered = [
            RotaEntry(request=r, position=1, lender_id=r.supplier_id, reason="bench", status="supplying",
                      asked_at=now - timedelta(hours=30), answered_at=now - timedelta(hours=rng.randint(1, 29)))
            for r in synthetic
        ]  # fmt: skip
        RotaEntry.objects.bulk_create(answered, batch_size=2000)
        events = [
            IllEvent(request=r, action=action, side="requester", actor_role="system", from_status="",
                     to_status="", supplier_id=r.supplier_id)
            for r in synthetic
            for action in ("send_to_supplier", "will_supply", "ship", "receive")
        ]  # fmt: skip
        IllEvent.objects.bulk_create(events, batch_size=5000)
    return libraries, patron, librarian, records


def bench_rota(patron: User, records: list[BibRecord], runs: int) -> None:
    for record in records:
        req = ill_request_create(actor=patron, bib_record_id=record.pk)
        req = IllRequest.objects.select_related("borrower").get(pk=req.pk)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            entries = build_rota(req)
            times.append((time.perf_counter() - start) * 1000)
        holders = len(record.library_ids)
        print(f"rota build, {holders:>3} holders, {len(entries)} ranked: "
              f"p50 {statistics.median(times):.1f} ms, p95 {pct(times, 95):.1f} ms")  # fmt: skip
        ill_request_transition(request_id=req.pk, action="cancel", actor=patron)


def bench_first_lender(patron: User, librarian: User, record: BibRecord, runs: int) -> None:
    from celery.contrib.testing.worker import start_worker

    from consortium.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    latencies = []
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        for _ in range(runs):
            req = ill_request_create(actor=patron, bib_record_id=record.pk)
            start = time.perf_counter()
            ill_request_transition(request_id=req.pk, action="validate", actor=librarian, override=True)
            # "Notified": the lender's new-request email left the outbox (sent by the worker).
            while True:
                sent = OutboundEmail.objects.filter(
                    subject__startswith=f"New ILL request ILL-{req.pk} from", status=OutboundEmail.Status.SENT
                ).exists()
                if sent:
                    break
                if time.perf_counter() - start > 30:
                    raise SystemExit("no lender notified within 30 s: is Redis up?")
                time.sleep(0.005)
            latencies.append((time.perf_counter() - start) * 1000)
            ill_request_transition(request_id=req.pk, action="request_cancel", actor=patron)
    print(f"validated → first lender notified (real worker, {runs} runs): "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {pct(latencies, 95):.0f} ms")  # fmt: skip


def bench_report(runs: int) -> None:
    """The consortium ILL report for the last year over every request in the database."""
    today = timezone.localdate()
    times = []
    for _ in range(max(5, runs // 3)):
        start = time.perf_counter()
        report = ill_report(start=today - timedelta(days=364), end=today)
        times.append((time.perf_counter() - start) * 1000)
    events = IllEvent.objects.count()
    print(f"consortium ILL report, {report.total.requested} requests, {events} events, {len(report.rows)} libraries: "
          f"p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--libraries", type=int, default=200)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    from django.conf import settings

    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    _libs, patron, librarian, records = setup(args.libraries, args.open)
    print(f"data: {Library.objects.count()} libraries, {IllRequest.objects.open().count()} open requests "
          f"(set-up {time.perf_counter() - start:.1f} s, database {connection.settings_dict['NAME']})")  # fmt: skip
    bench_rota(patron, records, args.runs)
    bench_first_lender(patron, librarian, records[0], args.runs)
    bench_report(args.runs)


if __name__ == "__main__":
    main()
