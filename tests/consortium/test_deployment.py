"""The production compose file is accepted by the compose client (structure: test_docker_compose.py)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.conf import settings

COMPOSE = settings.BASE_DIR / "docker-compose.yml"


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or Debian's `docker-compose`, whichever is installed."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file():
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env_file = settings.BASE_DIR / ".env"
    created = not env_file.exists()
    if created:
        env_file.write_text("")
    try:
        result = subprocess.run(
            [*command, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True,
            env={"POSTGRES_PASSWORD": "x", "PATH": "/usr/bin:/bin"}, timeout=60, check=False,
        )  # fmt: skip
    finally:
        if created:
            env_file.unlink()
    assert result.returncode == 0, result.stderr
