"""/healthz: database, Redis and a worker's heartbeat, answered without waiting for workers."""

from __future__ import annotations

import time

import pytest
import redis

from consortium import heartbeat
from tests.workers import solo_worker, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_heartbeats(settings):
    """No worker has beaten yet (the suite's Redis database may hold earlier workers' beats)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(heartbeat.KEY)
    yield client
    client.delete(heartbeat.KEY)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)  # the worker closes the connections it finds
def test_healthz_is_ok_while_a_real_worker_runs(client, settings, no_heartbeats, monkeypatch):
    # given a running worker, its beats and the staleness limit made short
    monkeypatch.setattr(heartbeat, "HEARTBEAT_EVERY_S", 0.2)
    monkeypatch.setattr(heartbeat, "STALE_AFTER_S", 1.0)
    with solo_worker(settings):
        # when the health check is asked, then it says ok, naming one worker
        assert wait_for(lambda: client.get("/healthz").status_code == 200, timeout=10)
        # and still after several staleness periods: the worker keeps beating
        time.sleep(3 * heartbeat.STALE_AFTER_S)
        body = client.get("/healthz").json()
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "worker": "ok (1 worker)", "search": "ok (postgres)"},
    }
    # and once the worker stopped it is down at once, not a staleness period later
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("down: no Celery worker heartbeat")


def test_healthz_names_the_worker_down_without_one(client, no_heartbeats):
    # given no worker at all
    # when
    response = client.get("/healthz")
    # then 503, naming the worker, the rest up
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["worker"] == "down: no Celery worker heartbeat in the last 15 s"


def test_a_stale_heartbeat_is_a_worker_down(client, no_heartbeats):
    # given a worker whose last beat is older than the staleness limit (killed, or stuck)
    no_heartbeats.zadd(heartbeat.KEY, {"gone@host": time.time() - heartbeat.STALE_AFTER_S - 1})
    # then
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("down")
    # while a fresh beat counts
    heartbeat.heartbeat_record(worker="alive@host")
    assert client.get("/healthz").json()["checks"]["worker"] == "ok (1 worker)"
