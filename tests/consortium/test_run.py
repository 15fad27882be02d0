"""README command 1: the portal comes up with demo data and Ctrl-C stops everything."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.load(response)
    except Exception:
        return None


@pytest.mark.slow
def test_portal_starts_serves_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        # A user's shell has none of these; the browser tests set the last one for Playwright.
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "XDG_RUNTIME_DIR",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    env.update({"ISHTIRAAK_VAR_DIR": str(tmp_path / "var"), "PORTAL_PORT": str(port)})
    # Output goes to a file: an undrained pipe fills up with the worker's log (the demo's
    # emails) and blocks the portal's processes, which then cannot stop.
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "consortium.run"], cwd=settings.BASE_DIR, env=env,
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            health = _health(port)
            if health and health["status"] == "ok":
                break
            time.sleep(1)
        assert health is not None, "the portal did not answer /healthz"
        assert health["checks"]["database"] == "ok"
        assert health["checks"]["redis"] == "ok"
        assert health["checks"]["worker"].startswith("ok")
        children = psutil.Process(proc.pid).children(recursive=True)
        # when the user presses Ctrl-C
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
    output = log.read_text()
    # then everything it started has stopped, the embedded servers too
    assert proc.returncode == 0, output[-3000:]
    assert "Demo logins" in output
    assert f"http://127.0.0.1:{port}/" in output
    time.sleep(1)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [c.cmdline() for c in alive]
    assert not list((tmp_path / "var" / "pg").glob("postmaster.pid"))
