"""Local (demo) settings: DEBUG off unless set, and a real database needs a real SECRET_KEY."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Importing the settings connects nowhere, so these URLs are never reached.
REAL_DATABASE = "postgres://ishtiraak@127.0.0.1:9/ishtiraak"
SOME_REDIS = "redis://127.0.0.1:9/0"
PRINT = "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY, s.WHITENOISE_USE_FINDERS)"


def _local_settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings.local",
        ISHTIRAAK_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL=SOME_REDIS,
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _embedded_database(tmp_path: Path) -> str:
    # the URL consortium.embedded gives for this var dir (computed here: importing it in
    # this process would read the suite's own var dir)
    code = "from consortium import embedded; print(embedded.database_url())"
    env = {**os.environ, "ISHTIRAAK_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_debug_is_off_unless_set(tmp_path):
    # given the demo's settings with nothing set but the database and its key
    result = _local_settings(tmp_path, DATABASE_URL=REAL_DATABASE, SECRET_KEY="k" * 50)
    # then DEBUG is off, and static files are still served (whitenoise, from the finders)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "k" * 50, "True"]


def test_debug_on_when_set(tmp_path):
    result = _local_settings(tmp_path, DATABASE_URL=REAL_DATABASE, SECRET_KEY="k" * 50, DEBUG="on")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "True"


def test_a_real_database_without_secret_key_refuses_naming_it(tmp_path):
    # given DATABASE_URL set and no SECRET_KEY
    result = _local_settings(tmp_path, DATABASE_URL=REAL_DATABASE)
    # then the settings refuse, naming the variable
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.parametrize("secret", [None, "set-by-the-user-" * 4])
def test_the_embedded_database_may_use_the_demo_key(tmp_path, secret):
    variables = {"DATABASE_URL": _embedded_database(tmp_path)}
    if secret:
        variables["SECRET_KEY"] = secret
    result = _local_settings(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == (secret or "embedded-demo-only-not-secret")
