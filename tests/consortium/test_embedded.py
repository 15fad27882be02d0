"""The embedded default: PostgreSQL and Redis start under ISHTIRAAK_VAR_DIR, keep data, stop."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from urllib.parse import parse_qs, urlparse
    import psycopg2, redis
    from consortium import embedded

    action = sys.argv[1]
    pg_url = embedded.postgres_url()
    host = parse_qs(urlparse(pg_url).query)["host"][0]
    conn = psycopg2.connect(host=host, user="postgres", dbname="postgres")
    conn.autocommit = True
    cur = conn.cursor()
    r = redis.Redis(unix_socket_path=embedded.redis_url().removeprefix("unix://"))
    if action == "write":
        cur.execute("CREATE TABLE kept (note text)")
        cur.execute("INSERT INTO kept VALUES ('Bahauddin Zakariya')")
        r.set("kept", "Quaid-i-Azam")
        r.save()
    cur.execute("SELECT note FROM kept")
    rows = [row[0] for row in cur.fetchall()]
    pg_pid = int((embedded.VAR_DIR / "pg" / "postmaster.pid").read_text().split()[0])
    redis_pid = r.info()["process_id"]
    conn.close()
    r.close()
    embedded.stop_all()
    print(json.dumps({"rows": rows, "pids": [pg_pid, redis_pid]}))
    """
)

READ_REDIS = textwrap.dedent(
    """
    import redis
    from consortium import embedded
    r = redis.Redis(unix_socket_path=embedded.redis_url().removeprefix("unix://"))
    print(r.get("kept").decode())
    embedded.stop_all()
    """
)


def _run(code: str, var_dir: Path, *args: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env["ISHTIRAAK_VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is as good as gone
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_embedded_servers_keep_data_across_restarts_and_stop(var_dir):
    import json

    # given a first start that writes a row and a key, then stops
    first = json.loads(_run(SCRIPT, var_dir, "write"))
    assert first["rows"] == ["Bahauddin Zakariya"]
    # then stop_all really stopped both servers
    for pid in first["pids"]:
        assert not _alive(pid), f"embedded server {pid} still running after stop_all"
    # when started again from the same directory, the data is still there
    second = json.loads(_run(SCRIPT, var_dir, "read"))
    assert second["rows"] == ["Bahauddin Zakariya"]
    assert _run(READ_REDIS, var_dir) == "Quaid-i-Azam"
    assert (var_dir / "pg" / "PG_VERSION").exists()


HOLD = textwrap.dedent(
    """
    import json, sys
    from consortium import embedded

    embedded.postgres_url()
    embedded.redis_url()
    print(json.dumps(embedded.server_pids()), flush=True)
    sys.stdin.read()  # hold the servers until stdin closes (or a signal comes)
    """
)

JOIN_AND_LEAVE = textwrap.dedent(
    """
    import json
    from consortium import embedded

    embedded.postgres_url()
    embedded.redis_url()
    print(json.dumps(embedded.stop_all()))
    """
)


def _env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return {**env, "ISHTIRAAK_VAR_DIR": str(var_dir)}


def _hold(var_dir: Path) -> tuple[subprocess.Popen, list[int]]:
    import json

    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD], cwd=ROOT, env=_env(var_dir),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return proc, json.loads(proc.stdout.readline())


def test_servers_stop_with_their_last_live_user(var_dir):
    import json

    # given a process holding the servers (a running portal)
    holder, pids = _hold(var_dir)
    try:
        # when another process joins and leaves, then it stops nothing: the holder still uses them
        assert json.loads(_run(JOIN_AND_LEAVE, var_dir)) == []
        assert all(_alive(pid) for pid in pids)
        # when the holder is killed outright (no clean-up of its own)
        holder.kill()
        holder.wait()
        assert all(_alive(pid) for pid in pids)
        # then the next one to leave stops them: a dead holder does not count
        assert json.loads(_run(JOIN_AND_LEAVE, var_dir)) == ["Redis", "PostgreSQL"]
        assert not any(_alive(pid) for pid in pids)
    finally:
        holder.kill()
    # and a holder that is terminated (SIGTERM, the default end of a process) stops them
    holder, pids = _hold(var_dir)
    holder.terminate()
    assert holder.wait(timeout=60) == -15
    assert not any(_alive(pid) for pid in pids)
