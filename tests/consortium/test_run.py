"""README's commands: `dev.py run` comes up quietly, and every way of stopping it stops all of it.

Each case runs the real command in a subprocess with its own var dir and port, and
checks with psutil that nothing it started is left: no descendant, no embedded server.
The portal cases share one var dir, so only the first pays for the migrations.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from tests.consortium.conftest import make_var_dir

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
STOPPED_ALL = "Stopped web, worker and beat, and the embedded PostgreSQL and Redis."
# A user's shell has none of these; the browser tests set the last one for Playwright.
NOT_IN_A_USERS_SHELL = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "XDG_RUNTIME_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_WORKER",
)
# A fast test of the suite that needs the settings (so the embedded servers) and keeps a Redis
# connection open to the end, as the suite's cache and broker pools do.
INNER_TEST = "tests/consortium/test_run.py::test_the_suite_reaches_its_redis"


_redis_clients: list = []


def test_the_suite_reaches_its_redis(settings):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    _redis_clients.append(client)  # open until the run ends, like the suite's pools
    assert client.ping()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _user_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_A_USERS_SHELL}
    return {**env, "ISHTIRAAK_VAR_DIR": str(var_dir), **extra}


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)
    except (OSError, ValueError):
        return None


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _servers_of(var_dir: Path) -> list[str]:
    """Processes of the embedded servers under var_dir: PostgreSQL names it, Redis runs in it."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline, cwd = " ".join(proc.info["cmdline"] or []), proc.info["cwd"] or ""
        if str(var_dir) in cmdline or cwd.startswith(str(var_dir)):
            found.append(f"{proc.pid} {cmdline}")
    return found


def _alive(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(proc.cmdline()))
    return alive


def _gone(var_dir: Path, port: int | None, started: list[psutil.Process]) -> dict[str, list]:
    """What the command left behind, after giving dying processes a moment."""
    deadline = time.monotonic() + 5
    while True:
        left = {
            "descendants": _alive(started),
            "servers": _servers_of(var_dir),
            "port": [port] if port and _answers(port) else [],
        }
        if not any(left.values()) or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _last_line(output: str) -> str:
    return [line for line in output.splitlines() if line.strip()][-1]


@contextlib.contextmanager
def _portal(var_dir: Path, log: Path, **extra: str):
    """`python3 dev.py run` as a user starts it (its own process group, like a terminal's job)."""
    port = _free_port()
    with log.open("w") as sink:
        # Output goes to a file: an undrained pipe would block the portal.
        proc = subprocess.Popen(
            [sys.executable, "dev.py", "run"], cwd=ROOT, env=_user_env(var_dir, PORTAL_PORT=str(port), **extra),
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    started: list[psutil.Process] = []
    try:
        yield proc, port, started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for child in started:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


def _wait_healthy(proc: subprocess.Popen, port: int, log: Path) -> dict:
    """Healthy, and the runner has said so (it polls /healthz on its own: a moment later)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        health = _health(port)
        if health and health["status"] == "ok" and "Ctrl-C stops everything." in log.read_text():
            return health
        time.sleep(0.5)
    raise AssertionError(f"the portal did not become healthy:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def portal_var_dir() -> Iterator[Path]:
    path = make_var_dir()
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


def _kill_group_sigint(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does


STOPS = {
    "Ctrl-C (SIGINT to the process group)": _kill_group_sigint,
    "SIGINT to dev.py alone": lambda proc: proc.send_signal(signal.SIGINT),
    "SIGTERM to dev.py alone": lambda proc: proc.send_signal(signal.SIGTERM),
}


@pytest.mark.parametrize("stop", list(STOPS))
def test_dev_py_run_stops_everything_it_started(portal_var_dir, tmp_path, stop):
    log = tmp_path / "run.log"
    with _portal(portal_var_dir, log) as (proc, port, started):
        # given a portal that has come up
        health = _wait_healthy(proc, port, log)
        assert health["checks"]["worker"].startswith("ok")
        started += psutil.Process(proc.pid).children(recursive=True)
        banner = log.read_text()
        # when it is stopped
        STOPS[stop](proc)
        proc.wait(timeout=60)
        left = _gone(portal_var_dir, port, started)
    output = log.read_text()
    # then nothing it started is left, and the last line says what was stopped
    assert left == {"descendants": [], "servers": [], "port": []}, output[-3000:]
    assert proc.returncode == 0, output[-3000:]
    assert _last_line(output) == STOPPED_ALL
    assert "Traceback" not in output, output[-3000:]
    # and once healthy the URL and the demo logins were the last lines, no email in sight
    tail = banner.rstrip().splitlines()[-25:]
    assert f"  Ishtiraak is running at http://127.0.0.1:{port}/" in tail
    assert any(line.startswith("  Demo logins") for line in tail)
    assert _last_line(banner).strip() == "Ctrl-C stops everything."
    assert "Subject:" not in output


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - http to 127.0.0.1
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_start_up_is_quiet_and_the_demo_serves_pages_with_debug_off(portal_var_dir, tmp_path):
    log = tmp_path / "run.log"
    with _portal(portal_var_dir, log) as (proc, port, started):
        _wait_healthy(proc, port, log)
        started += psutil.Process(proc.pid).children(recursive=True)
        time.sleep(1)  # anything printed late (a worker's or beat's log) would show now
        banner = log.read_text()
        # DEBUG is off in the demo, yet static files come and errors get the portal's page
        static = _get(f"http://127.0.0.1:{port}/static/css/portal.css")
        missing = _get(f"http://127.0.0.1:{port}/no-such-page/")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    lines = banner.rstrip().splitlines()
    # one line per stage, then the banner: nobody has to scroll for the URL
    assert len(lines) < 40, banner
    assert any(line.startswith("Database: ") for line in lines), banner
    assert any(line.startswith("Demo data: ") for line in lines), banner
    assert f"  Demo emails: http://127.0.0.1:{port}/manage/mailbox/ (signed in as admin)" in lines
    assert static[0] == 200
    assert missing[0] == 404
    assert "Page not found" in missing[1]
    assert "Traceback" not in missing[1]  # DEBUG's technical page is not shown


def test_dev_py_run_refuses_a_database_without_secret_key(tmp_path, var_dir):
    log = tmp_path / "run.log"
    # given a real database named, but no SECRET_KEY (nothing listens there: it is never reached)
    with _portal(var_dir, log, DATABASE_URL="postgres://ishtiraak@127.0.0.1:9/ishtiraak") as (proc, port, _):
        # when started, then it refuses at once, naming the variable
        proc.wait(timeout=60)
        left = _gone(var_dir, port, [])
    output = log.read_text()
    assert proc.returncode == 1, output
    assert _last_line(output).startswith("Cannot start: ImproperlyConfigured: Set the SECRET_KEY"), output
    assert "Traceback" not in output, output
    assert left == {"descendants": [], "servers": [], "port": []}


def test_dev_py_test_stops_its_embedded_servers(var_dir):
    # given a test run on the embedded servers (no DATABASE_URL, no REDIS_URL)
    proc = subprocess.Popen(
        [sys.executable, "dev.py", "test", INNER_TEST, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=_user_env(var_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    started: list[psutil.Process] = []
    while proc.poll() is None and not _servers_of(var_dir):
        time.sleep(0.1)
    with contextlib.suppress(psutil.NoSuchProcess):
        started += psutil.Process(proc.pid).children(recursive=True)
    output, _ = proc.communicate(timeout=240)
    # then it passed, and its servers stopped with it
    assert proc.returncode == 0, output[-3000:]
    assert "1 passed" in output
    assert _gone(var_dir, None, started) == {"descendants": [], "servers": [], "port": []}
