"""Import benchmark: records/s end to end (parse, match, write, index) and peak memory,
next to pymarc's bare parse rate on the same files in the same run.

Uses the database in DATABASE_URL; --reset empties the catalogue tables first (never
point it at a database whose catalogue you want to keep).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ish_cat_bench \\
        .venv/bin/python benchmarks/import_bench.py --records 100000 --libraries 50 --reset
    ... --large   # 1,000,000 records, 200 libraries (takes several minutes)
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process on this machine (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _server_cpu(backend_pid: int) -> float | None:
    """CPU time of the whole PostgreSQL server when it runs on this machine: the
    postmaster's, its live processes' (backends, WAL writer, checkpointer...) and its ended
    ones' (the writer thread's connection of each import ends with the import)."""
    try:
        postmaster = int(Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        stat = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = sum(int(v) for v in stat[11:15])  # utime, stime, cutime, cstime
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            child = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(child[1]) == postmaster:
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def pymarc_rate(files: list[Path]) -> tuple[int, float]:
    import pymarc

    start = time.perf_counter()
    count = 0
    for path in files:
        with open(path, "rb") as fh:
            for record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
                if record is not None:
                    count += 1
    return count, count / (time.perf_counter() - start)


def lean_rate(files: list[Path]) -> tuple[int, float]:
    """The same files through the import's own UTF-8 decoder (catalogue.marc._decode_utf8;
    pymarc reads the records it declines, as in an import)."""
    from catalogue.marc import _decode_utf8, iter_items, parse_binary

    start = time.perf_counter()
    count = 0
    for path in files:
        for kind, _number, raw in iter_items(path, "marc"):
            if kind != "marc":  # damaged bytes the reader set apart
                continue
            if (_decode_utf8(raw) if raw[9:10] == b"a" else None) is not None or parse_binary(
                raw
            ) is not None:
                count += 1
    return count, count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description="Catalogue import benchmark")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--libraries", type=int, default=50)
    parser.add_argument("--large", action="store_true", help="1,000,000 records in 200 libraries")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--reset", action="store_true", help="empty the catalogue tables first")
    parser.add_argument("--dir", type=Path, default=None, help="reuse generated files in this directory")
    parser.add_argument("--trace", action="store_true", help="tracemalloc peak (slows the run)")
    args = parser.parse_args()
    if args.large:
        args.records, args.libraries = 1_000_000, 200

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no query log (it would hold every batch's SQL)
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.generate_catalogue import generate
    from catalogue.models import BibRecord, Holding
    from catalogue.services import import_path
    from members.models import Library

    call_command("migrate", verbosity=0)
    if args.reset:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE catalogue_importrecorderror, catalogue_matchdecision, catalogue_holding,"
                " catalogue_sourcerecord, catalogue_bibrecord, catalogue_matchkey, catalogue_importjob CASCADE"
            )
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="catbench-"))
    files = sorted(workdir.glob("library-*.mrc"))
    if not files:
        t0 = time.perf_counter()
        info = generate(args.records, args.libraries, workdir)
        print(
            f"generated {info['records']} records of {info['titles']} titles for {info['libraries']} "
            f"libraries in {time.perf_counter() - t0:.1f} s -> {workdir}"
        )
        files = sorted(workdir.glob("library-*.mrc"))
    libraries = []
    for path in files:
        # The library's code from its file's number: a directory holding some of a
        # generated catalogue's files (say the last ten, imported on top of the rest)
        # imports each as the library it was generated for.
        n = int(path.stem.rsplit("-", 1)[1])
        code = f"PK-BENCH{n:03d}"
        library, _ = Library.objects.get_or_create(
            code=code,
            defaults={
                "name": f"Benchmark library {n}",
                "city": "Lahore",
                "province": "PB",
                "kind": "university",
                "email": f"bench{n}@example.pk",
            },
        )
        libraries.append(library)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'),"
            " current_setting('max_wal_size'), current_setting('autovacuum')"
        )
        version, buffers, wal, autovacuum = cursor.fetchone()
    # On this machine's VM the kernel's page cache does not reliably keep the database
    # files (seen: a 1 GB table read back from disk at 43 MB/s right after the import
    # wrote it), so the server's own buffers decide whether a large import stays in memory.
    print(f"PostgreSQL {version}: shared_buffers {buffers}, max_wal_size {wal}, autovacuum {autovacuum}")
    parsed, rate = pymarc_rate(files)
    print(f"pymarc parse alone: {parsed} records, {rate:,.0f} records/s")
    parsed, rate = lean_rate(files)
    print(f"the import's UTF-8 decoder alone: {parsed} records, {rate:,.0f} records/s")

    from catalogue.imports import parsing

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_before = {
        "main": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "server": _server_cpu(backend),
    }
    if args.trace:
        tracemalloc.start()
    start = time.perf_counter()
    done = merged = 0
    checkpoints = []
    for library, path in zip(libraries, files, strict=True):
        job = import_path(actor=None, library=library, path=path, fmt="marc", processes=args.processes)
        done += job.processed
        merged += job.merged
        checkpoints.append((done, time.perf_counter() - start, merged))
        if job.rejected or job.status != "done":
            print(f"  {path.name}: {job.status} {job.rejected} rejected {job.error}")
    elapsed = time.perf_counter() - start
    parsers = [pid for _owner, pool in parsing.POOLS.values() for pid in pool._processes]
    cpu = {
        "main": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_before["main"],
        "parsers": sum(_cpu_seconds(pid) or 0.0 for pid in parsers),
        "server": (_server_cpu(backend) - cpu_before["server"]) if cpu_before["server"] is not None else None,
    }
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"import end to end: {done} records in {elapsed:.1f} s = {done / elapsed:,.0f} records/s "
        f"({args.processes} parser processes)"
    )
    half = next((c for c in checkpoints if c[0] >= done / 2), checkpoints[-1])
    first_rate = half[0] / half[1]
    second_rate = (done - half[0]) / max(elapsed - half[1], 1e-9)
    print(
        f"  first half {first_rate:,.0f} records/s, second half {second_rate:,.0f} records/s "
        "(matching cost growth)"
    )
    # Later files merge more of their records into existing ones (an UPDATE costs more
    # than an INSERT), so a slower end is not by itself a sign of super-linear matching.
    tenths, previous = [], (0, 0.0, 0)
    for k in range(1, 11):
        point = next((c for c in checkpoints if c[0] >= done * k / 10), checkpoints[-1])
        if point[0] > previous[0]:
            records = point[0] - previous[0]
            share = (point[2] - previous[2]) / records
            tenths.append(f"{records / max(point[1] - previous[1], 1e-9):,.0f} ({share:.0%} merged)")
            previous = point
    print(f"  by tenth of the run, records/s: {', '.join(tenths)}")
    print(f"  merged records: {BibRecord.objects.count()}, holdings: {Holding.objects.count()}")
    per = 100_000 / max(done, 1)
    shown = {k: f"{v * per:.1f}" if v is not None else "n/a" for k, v in cpu.items()}
    print(
        f"  CPU-seconds per 100k records: main process {shown['main']}, parser processes {shown['parsers']}, "
        f"PostgreSQL server (every process: the plans' and the writer's backends, WAL writer...) {shown['server']} "
        f"({os.cpu_count()} cores)"
    )
    parser_peak = max((_peak_rss_mb(pid) or 0.0 for pid in parsers), default=0.0)
    peak_children = max(peak_children, parser_peak)
    print(f"peak RSS: main process {peak_self:,.0f} MB, largest parser process {peak_children:,.0f} MB")
    if args.trace:
        _current, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc peak (Python objects, main process): {peak / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
