"""Portal-wide views: home, dashboard, health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework.exceptions import NotFound

from members.permissions import PUBLIC, access


@access(PUBLIC)
def home(request: HttpRequest) -> HttpResponse:
    from members.selectors import library_counts

    return render(request, "home.html", {"counts": library_counts()})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return "ok"


def _check_worker() -> str:
    from consortium.celery import app

    replies = app.control.ping(timeout=1.5)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return f"ok ({len(replies)} worker{'s' if len(replies) != 1 else ''})"


HEALTH_CHECKS = {"database": _check_database, "redis": _check_redis, "worker": _check_worker}


@access(PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and a Celery worker: 200 when all are up, else 503 naming what is down."""
    report: dict[str, str] = {}
    healthy = True
    for name, check in HEALTH_CHECKS.items():
        try:
            report[name] = check()
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
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
