"""/healthz latency over HTTP, with a real Celery worker beating and without one.

The check reads the workers' heartbeat from Redis (consortium/heartbeat.py) instead of
pinging them; for comparison the script also times the ping the check used to wait for.

Usage (healthz needs no tables: any database on the server will do):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/healthz_bench.py \
        [--requests 200]
REDIS_URL unset: an embedded Redis under a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ.setdefault("SECRET_KEY", "healthz-benchmark-only")
OWN_VAR_DIR = "ISHTIRAAK_VAR_DIR" not in os.environ
os.environ.setdefault("ISHTIRAAK_VAR_DIR", tempfile.mkdtemp(prefix="ishtiraak-healthz-bench-"))

import django  # noqa: E402

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from consortium import embedded  # noqa: E402
from consortium.celery import app  # noqa: E402
from consortium.heartbeat import live_workers  # noqa: E402


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def get(url: str) -> tuple[int, dict, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            status, body = response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, json.load(exc)
    return status, body, (time.perf_counter() - started) * 1000


def measure(url: str, n: int, label: str) -> None:
    logging.disable(logging.ERROR)  # each 503 is logged as an error: not the figure
    times, statuses = [], set()
    for _ in range(n):
        status, body, ms = get(url)
        times.append(ms)
        statuses.add((status, body["checks"]["worker"]))
    logging.disable(logging.NOTSET)
    print(
        f"{label:<22} n={n}  p50 {statistics.median(times):6.1f} ms  p95 {pct(times, 95):6.1f} ms"
        f"  max {max(times):6.1f} ms  answers {sorted(statuses)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    server = make_server("127.0.0.1", 0, get_wsgi_application(), WSGIServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/healthz"
    get(url)  # first request: URLconf import, connections
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            deadline = time.monotonic() + 10
            while not live_workers() and time.monotonic() < deadline:
                time.sleep(0.1)
            measure(url, args.requests, "worker up (heartbeat)")
            started = time.perf_counter()
            app.control.ping(timeout=1.5)
            ping_ms = (time.perf_counter() - started) * 1000
        measure(url, args.requests, "worker down")
        print(f"{'old check: Celery ping':<22} one call {ping_ms:6.1f} ms (waits its whole timeout)")
    finally:
        server.shutdown()
        embedded.stop_all()
        if OWN_VAR_DIR:
            shutil.rmtree(embedded.VAR_DIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
