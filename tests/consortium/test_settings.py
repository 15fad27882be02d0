"""Production settings: secure by default, secrets mandatory, no embedded servers."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "consortium.settings.production",
    "SECRET_KEY": "k9$Vq2!xZ7pL0wR4tY8uI1oP3aS6dF5gH2jK7lQ9zX4cV8bN1mE6rT0yU3iO5pA",
    "ALLOWED_HOSTS": "ishtiraak.example.pk",
    "DATABASE_URL": "postgres://ishtiraak:secret@127.0.0.1:5432/ishtiraak",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_check_deploy_passes_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_secret_key_stops_naming_it():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_database_url_stops_and_starts_no_embedded_server(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    result = _manage("check", env={**env, "ISHTIRAAK_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert not (tmp_path / "pg").exists()
