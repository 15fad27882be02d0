"""Portal-wide views: home, dashboard, health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework.exceptions import NotFound

from consortium import heartbeat
from consortium.exceptions import SERVER_ERROR, ErrorCode
from members.permissions import PUBLIC, access


@access(PUBLIC)
def home(request: HttpRequest) -> HttpResponse:
    from members.selectors import library_counts

    return render(request, "home.html", {"counts": library_counts()})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


class Down(Exception):
    """A check's own account of what is down (shown in the report, unlike other errors)."""


def _check_redis() -> str:
    _redis_client().ping()
    return "ok"


def _check_worker() -> str:
    workers = heartbeat.live_workers(client=_redis_client())
    if not workers:
        raise Down(f"no Celery worker heartbeat in the last {heartbeat.STALE_AFTER_S:.0f} s")
    return f"ok ({workers} worker{'s' if workers != 1 else ''})"


def _redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


# The search index may lag the catalogue by a batch or two; five minutes means its writer is stuck.
SEARCH_INDEX_MAX_LAG_S = 300


def _check_search_index() -> str:
    """The search backend, and for an index of its own how far it is behind the catalogue."""
    from catalogue.search import outbox
    from catalogue.search.backends import get_backend, tantivy_index

    backend = get_backend()
    if not outbox.enabled():
        if backend.uses_outbox:
            raise Down(f"{backend.name}: no index built (manage.py reindex)")
        return f"ok ({backend.name})"
    lag = outbox.lag()
    if backend.uses_outbox and (problem := tantivy_index.PROBLEMS.get(tantivy_index.state())):
        raise Down(f"{backend.name}: {problem}")
    summary = f"{lag['pending']} records waiting, the oldest change {lag['oldest_seconds']:.0f} s ago"
    if lag["oldest_seconds"] > SEARCH_INDEX_MAX_LAG_S:
        raise Down(f"{backend.name}: index behind the catalogue, {summary}")
    return f"ok ({backend.name}, {summary})"


HEALTH_CHECKS = {
    "database": _check_database,
    "redis": _check_redis,
    "worker": _check_worker,
    "search": _check_search_index,
}


@access(PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and a Celery worker's heartbeat: 200 when all are up, else 503 naming what is down."""
    report: dict[str, str] = {}
    healthy = True
    for name, check in HEALTH_CHECKS.items():
        try:
            report[name] = check()
        except Down as exc:
            healthy = False
            report[name] = f"down: {exc}"
        except Exception as exc:
            healthy = False
            report[name] = f"down: {type(exc).__name__}"
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": report}, status=200 if healthy else 503
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, but the API's error body for a path under /api/ that matches no endpoint."""
    if request.path.startswith("/api/"):
        # The same body as DRF's NotFound, so an API client reads one shape for every 404.
        body = {"code": ErrorCode.NOT_FOUND, "detail": str(NotFound.default_detail)}
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page, but the API's error body for a path under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": ErrorCode.SERVER_ERROR, "detail": str(SERVER_ERROR)}, status=500)
    return defaults.server_error(request)
