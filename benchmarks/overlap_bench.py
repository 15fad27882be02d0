"""Collection overlap over the 1,000,000-record / 2,600,000-holding catalogue (targets: the
nightly recount under 60 s, its pages under 500 ms at p50).

The titles are benchmarks/generate_catalogue.py's: title i's year, language and number of
holding libraries come from its title_data(i), and each holder's copy has one holding, or
two (one in five), as the generator's 852 fields do. Rather than writing MARC files and
importing 2.6 million copies (an hour on this machine), the merged records the import
would make are written straight into the catalogue's tables with COPY: one record a
title, one source record and its holdings a holding library. Statuses and item counts are
drawn as real catalogues have them (3% withdrawn, 1% missing, 6% on loan; one holding in
ten has 2 or 3 items); subjects come from a pool of 2,000 headings, one to three a title.

Then it times:
- the recount (evidence.overlap.take_snapshot), a few runs,
- GET /collection-overlap/ for a librarian (the library's row, single-copy tables, and
  the member x member matrix) and for a consortium admin choosing a library,
- GET /collection-overlap/unique/ (first page and a deep page), and a CSV of the matrix.

Usage (own database, filled once and reused by later runs with the same sizes):
    .venv/bin/python benchmarks/overlap_bench.py [--records 1000000] [--libraries 200] \\
        [--db-url postgres://postgres@127.0.0.1:5432/ish_bench_overlap] [--runs 3] [--page-runs 15]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate_catalogue import ENGLISH, title_data  # noqa: E402
from benchmarks.run_all import ensure_database  # noqa: E402
from benchmarks.search_bench import bench_libraries, setup_django  # noqa: E402

BACKEND = "members.backends.EmailOrUsernameBackend"
# Record columns the import leaves empty for these titles (no database defaults).
EMPTY_RECORD_COLUMNS = {
    "subtitle": "",
    "volume": "",
    "issns": "{}",
    "lccn": "",
    "oclc_numbers": "{}",
    "summary": "",
    "match_key": "",
    "match_keys": "{}",
}
SEED = 1  # generate_catalogue's default --seed: title i is title_data(i + SEED * 10_000_000)


def subject_pool(size: int = 2000) -> list[str]:
    rng = random.Random(20261206)
    pool: set[str] = set()
    while len(pool) < size:
        head = " ".join(rng.sample(ENGLISH, 2)).capitalize()
        pool.add(
            f"{head} -- {rng.choice(['History', 'Pakistan', 'Study and teaching', 'Law and legislation'])}"
        )
    return sorted(pool)


def _status(rng: random.Random) -> str:
    x = rng.random()
    if x < 0.03:
        return "withdrawn"
    if x < 0.04:
        return "missing"
    if x < 0.10:
        return "on_loan"
    return "available"


def load(n_records: int, n_libraries: int) -> None:
    """Fill the catalogue tables (reused when they already hold n_records records)."""
    from django.core.management import call_command
    from django.db import connection

    from members.models import PROVINCE_NUMBERS

    call_command("migrate", verbosity=0)
    libraries = bench_libraries(
        n_libraries, random.Random(5), code="PK-O", name="Overlap Library", name_ur="کتب خانہ"
    )[:n_libraries]
    lib_ids = [lib.pk for lib in libraries]
    lib_province = {lib.pk: PROVINCE_NUMBERS[lib.province] for lib in libraries}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM catalogue_bibrecord")
        existing = cur.fetchone()[0]
    if existing == n_records:
        print(f"Reusing the {existing:,} records already loaded.", flush=True)
        return
    t0 = time.perf_counter()
    pool = subject_pool()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE catalogue_bibrecord, catalogue_sourcerecord, catalogue_matchkey CASCADE")
        cur.execute("TRUNCATE catalogue_facetcount, catalogue_setdeparture")
    batch = 50_000
    source_id = holding_id = 0
    created = "2026-01-01 00:00:00+00"
    for start in range(0, n_records, batch):
        records, sources, holdings = io.StringIO(), io.StringIO(), io.StringIO()
        for i in range(start, min(start + batch, n_records)):
            t = title_data(i + SEED * 10_000_000)
            rng = random.Random(t["rng_seed"])
            holders = sorted(rng.sample(lib_ids, min(t["holders"], len(lib_ids))))
            subjects = rng.sample(pool, rng.choice((1, 1, 2, 2, 3)))
            live = set()
            for library in holders:
                source_id += 1
                sources.write(
                    f"{source_id}\t{library}\tT{i:08d}\t{i + 1}\t\\\\x\tmarc\t\tf\t{{}}\t0\t{created}\t{created}\n"
                )
                for n in range(1 if rng.random() < 0.8 else 2):
                    holding_id += 1
                    status = _status(rng)
                    items = 1 if rng.random() < 0.9 else rng.choice((2, 3))
                    if status != "withdrawn":
                        live.add(library)
                    holdings.write(
                        f"{holding_id}\t{source_id}\t{library}\t{i + 1}\t{n}\tDS{rng.randint(1, 999)}\tMain\t"
                        f"\t{items}\tt\t{status}\t{created}\t{created}\n"
                    )
            title = t["title"] + (f" : {t['subtitle']}" if t["subtitle"] else "")
            libs = sorted(live)
            provs = sorted({lib_province[h] for h in libs})
            vern = t["vernacular"][0] if t["vernacular"] else ""
            fmt = "ebook" if t["ebook"] else "book"
            row = [
                str(i + 1),
                title.replace("\t", " "),
                vern,
                "{" + '"' + t["author"] + '"}',
                t["publisher"],
                t["place"],
                str(t["year"]),
                t["edition"],
                t["lang"],
                fmt,
                "{" + t["isbn"] + "}" if t["isbn"] else "{}",
                "{" + ",".join('"' + s + '"' for s in subjects) + "}",
                "{" + ",".join(map(str, libs)) + "}",
                "{" + ",".join(map(str, provs)) + "}",
                created,
                created,
                *EMPTY_RECORD_COLUMNS.values(),
            ]
            records.write("\t".join(row) + "\n")
        with connection.cursor() as cur:
            records.seek(0)
            cur.copy_expert(
                "COPY catalogue_bibrecord (id, title, title_vernacular, authors, publisher, place, year, edition,"
                " language, format, isbns, subjects, library_ids, province_ids, created_at, updated_at, "
                + ", ".join(EMPTY_RECORD_COLUMNS)
                + ") FROM STDIN",
                records,
            )
            sources.seek(0)
            cur.copy_expert(
                "COPY catalogue_sourcerecord (id, library_id, local_id, bib_record_id, marc, source_format,"
                " checksum, withdrawn, data, richness, created_at, updated_at) FROM STDIN",
                sources,
            )
            holdings.seek(0)
            cur.copy_expert(
                "COPY catalogue_holding (id, source_id, library_id, bib_record_id, holding_key, call_number,"
                " location, barcode, item_count, lendable, status, created_at, updated_at) FROM STDIN",
                holdings,
            )
        print(f"  copied {min(start + batch, n_records):,} records, {holding_id:,} holdings", flush=True)
    with connection.cursor() as cur:
        for table in ("catalogue_bibrecord", "catalogue_sourcerecord", "catalogue_holding"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cur.execute("VACUUM ANALYZE catalogue_bibrecord")
        cur.execute("VACUUM ANALYZE catalogue_sourcerecord")
        cur.execute("VACUUM ANALYZE catalogue_holding")
    print(
        f"Loaded {n_records:,} records, {source_id:,} source records and {holding_id:,} holdings"
        f" in {time.perf_counter() - t0:.0f} s.",
        flush=True,
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(label: str, runs: int, call) -> tuple[float, float]:
    call()  # warm: the first read of a snapshot's rows
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    p50, p95 = statistics.median(times), pct(times, 95)
    print(f"{label:<64} n={runs:<3} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
    return p50, p95


def recount(runs: int) -> None:
    from evidence.models import OverlapPair, OverlapUniqueTitle, SingleCopyCount
    from evidence.overlap import take_snapshot

    totals, steps = [], {}
    for _ in range(runs):
        start = time.perf_counter()
        taken = take_snapshot()
        totals.append(time.perf_counter() - start)
        for name, seconds in taken.timings.items():
            steps.setdefault(name, []).append(seconds)
    snapshot = taken.snapshot
    print(
        f"snapshot: {snapshot.titles:,} titles held by {snapshot.members} members, {snapshot.holdings:,} holdings"
        f" counted ({snapshot.copies:,} copies), {snapshot.unique_titles:,} unique titles,"
        f" {snapshot.single_copy_titles:,} single copies; rows: {OverlapPair.objects.filter(snapshot=snapshot).count():,}"
        f" pairs, {SingleCopyCount.objects.filter(snapshot=snapshot).count():,} subject/decade counts,"
        f" {OverlapUniqueTitle.objects.filter(snapshot=snapshot).count():,} unique titles listed"
    )
    print(
        f"nightly recount (take_snapshot), {runs} runs: median {statistics.median(totals):.1f} s,"
        f" worst {max(totals):.1f} s (target < 60 s)"
    )
    for name, values in steps.items():
        print(f"  {name:<40} median {statistics.median(values):6.2f} s")


def pages(runs: int) -> None:
    from django.test import Client

    from evidence.models import OverlapLibrary
    from evidence.selectors import latest_snapshot
    from members.models import Role, User

    snapshot = latest_snapshot()
    # the member with the most unique titles: its list is the longest
    biggest = (
        OverlapLibrary.objects.filter(snapshot=snapshot)
        .select_related("library")
        .order_by("-unique_titles")[0]
    )
    library = biggest.library
    librarian, _ = User.objects.get_or_create(
        username="overlap-bench-librarian",
        defaults={"email": "librarian@overlap.pk", "role": Role.LIBRARIAN, "library": library},
    )
    admin, _ = User.objects.get_or_create(
        username="overlap-bench-admin", defaults={"email": "admin@overlap.pk", "role": Role.CONSORTIUM_ADMIN}
    )
    staff, consortium = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
    staff.force_login(librarian, backend=BACKEND)
    consortium.force_login(admin, backend=BACKEND)
    last_page = (biggest.unique_titles + 49) // 50

    def get(client, url: str):
        def call() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            if response.streaming:
                b"".join(response.streaming_content)

        return call

    members = OverlapLibrary.objects.filter(snapshot=snapshot).count()
    print(
        f"pages for {library.code} ({biggest.titles:,} titles, {biggest.unique_titles:,} unique), {members} members:"
    )
    results = [
        timed("GET /collection-overlap/ (librarian: own row, subjects, decades)", runs,
              get(staff, "/collection-overlap/")),
        timed(f"GET /collection-overlap/?library={library.code} (admin)", runs,
              get(consortium, f"/collection-overlap/?library={library.code}")),
        timed("GET /collection-overlap/ (admin: the consortium)", runs, get(consortium, "/collection-overlap/")),
        timed(f"GET /collection-overlap/matrix/ ({members} x {members})", runs,
              get(staff, "/collection-overlap/matrix/")),
        timed("GET /collection-overlap/unique/ (first page)", runs, get(staff, "/collection-overlap/unique/")),
        timed(f"GET /collection-overlap/unique/?page={last_page} (last page)", runs,
              get(staff, f"/collection-overlap/unique/?page={last_page}")),
        timed("GET /collection-overlap/?format=csv&table=matrix", runs,
              get(staff, "/collection-overlap/?format=csv&table=matrix")),
        timed("GET /collection-overlap/?format=csv&table=subjects (admin: all)", runs,
              get(consortium, "/collection-overlap/?format=csv&table=subjects")),
        timed(f"GET /collection-overlap/unique/?format=csv ({biggest.unique_titles:,} titles)", max(3, runs // 5),
              get(staff, "/collection-overlap/unique/?format=csv")),
    ]  # fmt: skip
    worst = max(p50 for p50, _p95 in results)
    print(f"slowest page p50: {worst:.0f} ms (target < 500 ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--libraries", type=int, default=200)
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432/ish_bench_overlap")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-runs", type=int, default=15)
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args()
    ensure_database(args.db_url)
    setup_django(args.db_url)
    load(args.records, args.libraries)
    if args.load_only:
        return 0
    recount(args.runs)
    pages(args.page_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
