"""Shared by the real-worker tests (marker 'worker'): a Celery worker on Redis, and waiting for it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from celery.contrib.testing.worker import start_worker

from consortium.celery import app


@contextlib.contextmanager
def solo_worker(settings) -> Iterator:
    """A worker (solo pool, in this process) on the suite's broker, with stale tasks purged."""
    assert not app.conf.task_always_eager, "the 'worker' marker must turn eager mode off"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    """Poll until the predicate holds or the timeout passes; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
