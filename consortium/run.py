"""One command: embedded servers, migrations, demo data, then web + worker + beat.

Start-up prints a line per stage; everything the servers say goes to var/log/portal.log
until the portal is healthy, then the URL and the demo logins are the last lines. Ctrl-C
or SIGTERM (to this process or its whole process group) stops the three processes and the
embedded PostgreSQL and Redis; the last line names what was stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PROCESS_NAMES = ("web", "worker", "beat")
# The first start of a fresh machine also compiles nothing here (migrations ran already),
# so a portal that is not healthy after this long will not become so by waiting.
HEALTHY_WITHIN_S = 120
# A worker finishing a long task (an import) is given this long before it is killed.
STOP_GRACE_S = 10
# Imported in a child before anything starts: a setting that refuses (a missing
# SECRET_KEY) is reported in one line, with nothing started.
DEMO_MAILBOX = "members.email.DemoMailboxBackend"
SETTINGS_CHECK = "import django; from django.conf import settings; settings.SECRET_KEY"


HEALTH_PROBE = "GET /healthz "


class Refused(Exception):
    """The portal cannot start; the message says why in one line."""


class Runner:
    """The processes of one `dev.py run` and the signal that ends them."""

    def __init__(self, env: dict[str, str], log: IO[str]) -> None:
        self.env = env
        self.log = log
        self.processes: dict[str, subprocess.Popen] = {}
        self.readers: list[threading.Thread] = []
        self.stop_requested = threading.Event()
        self.hurry = threading.Event()  # a second Ctrl-C: kill rather than wait
        self.echo = threading.Event()  # children's lines reach the terminal once healthy
        self.embedded: list[str] = []

    def on_signal(self, _signum: int, _frame: object) -> None:
        if self.stop_requested.is_set():
            self.hurry.set()
        self.stop_requested.set()

    def wait(self, seconds: float) -> None:
        self.stop_requested.wait(seconds)

    def step(self, what: str, argv: list[str], *, failure: str = "{what} failed: {error}") -> str:
        """Run a set-up command to its end (or to Ctrl-C); its output, or Refused with its error."""
        proc = subprocess.Popen(
            argv, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", process_group=0,
        )  # fmt: skip
        self.processes[what] = proc
        output: list[str] = []
        reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
        reader.start()
        while proc.poll() is None and not self.stop_requested.is_set():
            time.sleep(0.1)
        if proc.poll() is None:
            return ""  # stopping: the caller's clean-up ends it
        reader.join()
        del self.processes[what]
        text = "".join(output)
        self.log.write(f"--- {what}\n{text}")
        self.log.flush()
        if proc.returncode != 0:
            raise Refused(failure.format(what=what, error=_last_error(text)))
        return text

    def start(self, name: str, argv: list[str]) -> None:
        # Its own process group: the terminal's Ctrl-C reaches only this runner, which
        # then stops each process in order (no half-stopped set, no tracebacks).
        proc = subprocess.Popen(
            argv, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", process_group=0,
        )  # fmt: skip
        self.processes[name] = proc
        reader = threading.Thread(target=self._relay, args=(name, proc.stdout), daemon=True)
        reader.start()
        self.readers.append(reader)

    def _relay(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self.log.write(f"{name:<6} | {line}")
            self.log.flush()
            # The health probes (ours, a monitor's) stay in the log.
            if self.echo.is_set() and not self.stop_requested.is_set() and HEALTH_PROBE not in line:
                print(f"{name:<6} | {line}", end="", flush=True)

    def exited(self) -> str | None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                return name
        return None

    def stop_processes(self) -> list[str]:
        """SIGTERM each running process, then SIGKILL what outlives the grace; names the stopped."""
        self.echo.clear()
        running = {name: proc for name, proc in self.processes.items() if proc.poll() is None}
        for proc in running.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while any(p.poll() is None for p in running.values()):
            if time.monotonic() > deadline or self.hurry.is_set():
                break
            time.sleep(0.05)
        for proc in self.processes.values():
            # Also the worker's pool children, which share its process group.
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        for reader in self.readers:
            reader.join(timeout=2)
        return [name for name in PROCESS_NAMES if name in self.processes]


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def _last_error(output: str) -> str:
    """The line that says what went wrong: a traceback's last line, without the module path."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return "no output"
    return re.sub(r"^[\w.]+\.(\w+(Error|Exception|Configured)):", r"\1:", lines[-1])


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return json.load(response)
    except urllib.error.HTTPError as exc:  # 503 still carries the report
        try:
            return json.load(exc)
        except ValueError:
            return None
    except (OSError, ValueError):
        return None


def _seed_summary(output: str) -> tuple[str, list[str]]:
    """seed_demo's counts in one line, and its block of demo logins."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Demo logins")), len(lines))
    created = sum(int(n) for n in re.findall(r"created (\d+)", "\n".join(lines[:start])))
    summary = f"{created} rows created" if created else "already loaded"
    return summary, lines[start:]


def _migrate_summary(output: str) -> str:
    applied = len(re.findall(r"^\s+Applying ", output, flags=re.MULTILINE))
    return f"{applied} migrations applied" if applied else "up to date"


def _stopped_line(processes: list[str], servers: list[str]) -> str:
    parts = []
    if processes:
        names = processes if len(processes) < 2 else [", ".join(processes[:-1]) + " and " + processes[-1]]
        parts.append(names[0])
    if servers:
        parts.append("the embedded " + " and ".join(servers))
    return "Stopped " + (", and ".join(parts) if parts else "nothing (nothing was running)") + "."


def main() -> int:
    from consortium import embedded

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")
    host = env.get("PORTAL_HOST", "127.0.0.1")
    port = env.get("PORTAL_PORT", "8000")
    base_url = f"http://{host}:{port}"
    env.setdefault("PORTAL_BASE_URL", base_url)
    # Demo mail is kept for the demo mailbox page unless an SMTP server is configured.
    if not env.get("EMAIL_URL"):
        env.setdefault("EMAIL_DELIVERY_BACKEND", DEMO_MAILBOX)
    log_path = embedded.VAR_DIR / "log" / "portal.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    code = 0
    with log_path.open("w", encoding="utf-8") as log:
        runner = Runner(env, log)
        signal.signal(signal.SIGINT, runner.on_signal)
        signal.signal(signal.SIGTERM, runner.on_signal)
        try:
            code = _run(runner, embedded, manage, python, base_url, log_path)
        except Refused as exc:
            print(f"Cannot start: {exc}", flush=True)
            code = 1
        finally:
            processes = runner.stop_processes()
            stopped = embedded.stop_all()
            servers = [name for name in (embedded.POSTGRES, embedded.REDIS) if name in stopped]
            kept = [name for name in runner.embedded if name not in servers]
            if code == 0 or processes or servers:
                print(_stopped_line(processes, servers), flush=True)
            if kept:
                verb = "stays" if len(kept) == 1 else "stay"
                print(f"The embedded {' and '.join(kept)} {verb} up: another process still uses it.")
    return code


def _run(runner: Runner, embedded, manage: list[str], python: str, base_url: str, log_path: Path) -> int:
    env = runner.env
    # Checked with placeholders before anything starts: importing the settings connects nowhere.
    check_env = {
        "DATABASE_URL": env.get("DATABASE_URL") or embedded.database_url(),
        "REDIS_URL": env.get("REDIS_URL") or "redis://127.0.0.1:1/0",
    }
    runner.env = {**env, **check_env}
    try:
        runner.step("settings", [python, "-c", SETTINGS_CHECK], failure="{error}")
    finally:
        runner.env = env
    if not env.get("DATABASE_URL") and not runner.stop_requested.is_set():
        print("Starting the embedded PostgreSQL (data under var/) ...", flush=True)
        env["DATABASE_URL"] = embedded.postgres_url()
        runner.embedded.append(embedded.POSTGRES)
    if not env.get("REDIS_URL") and not runner.stop_requested.is_set():
        env["REDIS_URL"] = embedded.redis_url()
        runner.embedded.append(embedded.REDIS)
    env["ISHTIRAAK_EMBEDDED"] = "1" if runner.embedded else env.get("ISHTIRAAK_EMBEDDED", "0")
    if runner.stop_requested.is_set():
        return 0
    migrated = runner.step("migrate", [*manage, "migrate", "--noinput"])
    if runner.stop_requested.is_set():
        return 0
    print(f"Database: {_migrate_summary(migrated)}.", flush=True)
    seeded = runner.step("seed_demo", [*manage, "seed_demo"])
    if runner.stop_requested.is_set():
        return 0
    summary, logins = _seed_summary(seeded)
    print(f"Demo data: {summary}.", flush=True)

    print("Starting web, worker and beat ...", flush=True)
    celery = [python, "-m", "celery", "-A", "consortium"]
    beat_schedule = embedded.VAR_DIR / "celerybeat-schedule"
    host_port = base_url.removeprefix("http://")
    runner.start("web", [*manage, "runserver", "--noreload", "--skip-checks", host_port])
    runner.start("worker", [*celery, "worker", "--loglevel=WARNING", "--concurrency=2", "-n", "ishtiraak@%h"])
    runner.start("beat", [*celery, "beat", "--loglevel=WARNING", "-s", str(beat_schedule)])

    deadline = time.monotonic() + HEALTHY_WITHIN_S
    health = None
    while not runner.stop_requested.is_set():
        if (name := runner.exited()) is not None:
            raise Refused(f"{name} exited during start-up; see {log_path}")
        health = _health(f"{base_url}/healthz")
        if health and health.get("status") == "ok":
            break
        if time.monotonic() > deadline:
            raise Refused(f"not healthy after {HEALTHY_WITHIN_S} s ({health}); see {log_path}")
        runner.wait(0.25)
    if runner.stop_requested.is_set():
        return 0

    print(f"\n  Ishtiraak is running at {base_url}/")
    for line in logins:
        print(f"  {line}")
    if env.get("EMAIL_DELIVERY_BACKEND") == DEMO_MAILBOX:
        print(f"  Demo emails: {base_url}/manage/mailbox/ (signed in as admin)")
    print(f"  Server log: {log_path}")
    print("  Ctrl-C stops everything.\n", flush=True)
    runner.echo.set()
    while not runner.stop_requested.is_set():
        if (name := runner.exited()) is not None:
            print(f"{name} exited with code {runner.processes[name].returncode}; stopping the portal.")
            return runner.processes[name].returncode or 1
        runner.wait(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
