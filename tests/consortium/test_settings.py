"""Production settings: secure by default, and missing secrets stop start-up naming them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that a production process would not have (the browser tests
# set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly refuses).
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "ISHTIRAAK_VAR_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
)


def _production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.ishtiraak.pk",
        DATABASE_URL="postgres://ishtiraak:secret@db.invalid:5432/ishtiraak",
        REDIS_URL="redis://redis.invalid:6379/0",
        ISHTIRAAK_VAR_DIR=str(tmp_path / "var"),  # an embedded start would show up here
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _manage(tmp_path: Path, *args: str, **overrides: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_production_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_with_production_variables_is_clean(tmp_path):
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert not (tmp_path / "var").exists(), "production must never start an embedded server"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"])
def test_production_without_a_required_variable_fails_naming_it(tmp_path, missing):
    result = _manage(tmp_path, "check", **{missing: None})
    assert result.returncode != 0
    assert missing in result.stderr
    assert not (tmp_path / "var").exists(), "production must never start an embedded server"


def test_production_has_debug_off_and_secure_cookies(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )
    result = _manage(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "True",
        "True",
        "True",
        "Argon2PasswordHasher",
    ]


def test_suite_tasks_use_their_own_redis_database(settings):
    """A portal running on the same Redis (README command 1) must not take the suite's tasks."""
    from consortium.settings.test import TEST_REDIS_DB

    own = (f"virtual_host={TEST_REDIS_DB}", f"db={TEST_REDIS_DB}", f"/{TEST_REDIS_DB}")
    assert settings.CELERY_BROKER_URL.endswith(own) and settings.REDIS_URL.endswith(own)


@pytest.mark.django_db
def test_portal_sessions_run_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_celery_on_a_socket_redis_uses_the_database_the_url_names():
    """kombu reads a socket URL's database from virtual_host; a 'db' would send tasks to database 0."""
    from consortium.settings.base import celery_url

    url = celery_url("unix:///run/redis/redis.sock?db=3")
    assert url == "redis+socket:///run/redis/redis.sock?virtual_host=3"
    assert celery_url("redis://redis:6379/0") == "redis://redis:6379/0"
