from __future__ import annotations

import pytest

from consortium import views


@pytest.mark.django_db
def test_healthz_reports_what_is_down(client, monkeypatch):
    # given a worker that does not answer
    def no_worker() -> str:
        raise RuntimeError("no Celery worker answered")

    monkeypatch.setitem(views.HEALTH_CHECKS, "worker", no_worker)
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["worker"].startswith("down")


@pytest.mark.django_db
def test_healthz_all_up(client, monkeypatch):
    monkeypatch.setitem(views.HEALTH_CHECKS, "worker", lambda: "ok (1 worker)")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
