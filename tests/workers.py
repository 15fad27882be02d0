"""Shared by the real-worker tests (marker 'worker'): a Celery worker on Redis, and waiting for it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

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


@contextlib.contextmanager
def worker_process(settings, log_path, **env_settings) -> Iterator:
    """A Celery worker in processes of its own (prefork, as in production) on the suite's
    database and broker, in a session of its own so that its whole process tree can be
    killed; ``env_settings`` are settings it reads from its environment."""
    import os
    import signal
    import subprocess
    import sys

    from django.db import connection

    # The suite's URL (given, or the embedded server's socket form) naming the test database.
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "consortium.settings.test",
        "DATABASE_URL": urlunsplit(database),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **{name: str(value) for name, value in env_settings.items()},
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "consortium", "worker", "--pool=prefork", "-c", "1"),
                *("--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def forget_unacknowledged() -> None:
    """Drop the messages a killed worker took and never acknowledged (the broker would hand
    them out again after its visibility timeout, to some later test's worker)."""
    with app.connection_for_write() as conn:
        conn.default_channel.client.delete("unacked", "unacked_index")
