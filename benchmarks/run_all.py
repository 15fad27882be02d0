"""Run every benchmark at the sizes this 2-core machine finishes in minutes (make bench).

Each benchmark prints its own figures and the size of the data it used. Benchmarks use
their own databases on the PostgreSQL named by BENCH_DATABASE_URL (default: the local
server at 127.0.0.1:5432), never the portal's data. Pass --large for the full sizes
named in the issues (1,000,000 records), which take much longer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")


def ensure_database(url: str) -> None:
    """Create the benchmark's database on the server if it does not exist yet."""
    import psycopg2

    server, name = url.rsplit("/", 1)
    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true")
    args = parser.parse_args()
    records = "1000000" if args.large else "100000"
    runs = [
        (
            "import",
            ["benchmarks/import_bench.py", "--reset", *(["--large"] if args.large else [])],
            {"DATABASE_URL": f"{SERVER}/ish_bench_import"},
        ),
        (
            "search",
            ["benchmarks/search_bench.py", "--records", records, "--db-url", f"{SERVER}/ish_bench"],
            {},
        ),
    ]
    # healthz reads no table: the server's own database will do.
    runs.append(("healthz", ["benchmarks/healthz_bench.py"], {"DATABASE_URL": f"{SERVER}/postgres"}))
    if (ROOT / "benchmarks" / "ill_routing.py").exists():
        runs.append(
            ("ill routing", ["benchmarks/ill_routing.py"], {"DATABASE_URL": f"{SERVER}/ish_bench_ill"})
        )
    runs.append(("desk", ["benchmarks/desk_bench.py"], {"DATABASE_URL": f"{SERVER}/ish_bench_desk"}))
    overlap_db = "ish_bench_overlap" if args.large else "ish_bench_overlap_100k"  # each size kept for reuse
    runs.append(
        (
            "collection overlap",
            ["benchmarks/overlap_bench.py", "--records", records, "--db-url", f"{SERVER}/{overlap_db}"],
            {},
        )
    )
    runs.append(
        (
            "ill reports",
            ["benchmarks/report_bench.py", "--requests", "1000000" if args.large else "100000"],
            {"DATABASE_URL": f"{SERVER}/ish_bench_report" + ("" if args.large else "_small")},
        )
    )
    runs.append(
        # The demo catalogue (seed_demo) at every size: it measures bytes and paint, not scale.
        ("page weight", ["benchmarks/page_weight.py", "--db-url", f"{SERVER}/ish_bench_weight"], {})
    )
    failed = []
    for name, argv, extra_env in runs:
        print(f"\n=== {name} benchmark ===", flush=True)
        env = {**os.environ, **extra_env}
        if "DATABASE_URL" in extra_env:
            ensure_database(extra_env["DATABASE_URL"])
        code = subprocess.call([sys.executable, *argv], cwd=ROOT, env=env)
        if code:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
