"""Worker heartbeat: each Celery worker says in Redis that it is consuming; /healthz reads it.

Asking the workers (a Celery ping) makes the health check wait for their answers, 1.5 s or
more; reading the last heartbeat answers at once. A worker beats every HEARTBEAT_EVERY_S
seconds from its consumer's timer, so a worker that is up but cut off from the broker (its
consumer restarting) stops beating too.
"""

from __future__ import annotations

import contextlib
import logging
import time

import redis
from celery import bootsteps
from django.conf import settings

logger = logging.getLogger(__name__)

KEY = "ishtiraak:worker-heartbeats"  # sorted set: worker name -> time of its last beat
HEARTBEAT_EVERY_S = 5.0
# Three missed beats: a worker busy with a long task still beats (the timer runs in its
# main process, not in the pool), so this only trips on a worker that is gone or stuck.
STALE_AFTER_S = 15.0
# Names of workers gone for this long are dropped from the set by the next beat.
FORGET_AFTER_S = 24 * 3600


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def heartbeat_record(*, worker: str, client: redis.Redis | None = None) -> None:
    """Record that this worker is alive now."""
    client = client or _client()
    now = time.time()
    pipe = client.pipeline()
    pipe.zadd(KEY, {worker: now})
    pipe.zremrangebyscore(KEY, "-inf", now - FORGET_AFTER_S)
    pipe.execute()


def heartbeat_forget(*, worker: str, client: redis.Redis | None = None) -> None:
    """A worker that stops cleanly is down at once, not STALE_AFTER_S later."""
    (client or _client()).zrem(KEY, worker)


def live_workers(*, client: redis.Redis | None = None) -> int:
    """How many workers beat within STALE_AFTER_S."""
    return (client or _client()).zcount(KEY, time.time() - STALE_AFTER_S, "+inf")


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Consumer step: beat while the worker consumes (registered in consortium/celery.py)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry = None

    def start(self, consumer) -> None:
        self._beat(consumer.hostname)
        self.timer_entry = consumer.timer.call_repeatedly(
            HEARTBEAT_EVERY_S, self._beat, (consumer.hostname,), priority=10
        )

    def stop(self, consumer) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        # Redis may be gone too: then the heartbeat went with it.
        with contextlib.suppress(redis.RedisError):
            heartbeat_forget(worker=consumer.hostname)

    shutdown = stop

    def _beat(self, worker: str) -> None:
        try:
            heartbeat_record(worker=worker)
        except redis.RedisError as exc:
            logger.warning("Worker heartbeat not recorded: %s", exc)
