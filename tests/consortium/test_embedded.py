"""The embedded PostgreSQL and Redis: start, stop, start again with the data kept."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import psutil
from django.conf import settings

SCRIPT = textwrap.dedent(
    """
    import sys, psycopg2, redis
    from consortium import embedded
    db = embedded.postgres_url()
    r = redis.Redis.from_url(embedded.redis_url())
    conn = psycopg2.connect(dbname="postgres", user="postgres", host=db.split("host=")[1])
    conn.autocommit = True
    cur = conn.cursor()
    if sys.argv[1] == "write":
        cur.execute("CREATE TABLE kept (note text)")
        cur.execute("INSERT INTO kept VALUES ('written before restart')")
        r.set("kept", "yes")
    else:
        cur.execute("SELECT note FROM kept")
        print(cur.fetchone()[0])
    conn.close()
    pg_pid = embedded._handles["pg"].get_pid()
    print("PGPID", pg_pid)
    embedded.stop_all()
    """
)


def _run(step: str, var_dir) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, step], cwd=settings.BASE_DIR, capture_output=True, text=True,
        env={**env, "ISHTIRAAK_VAR_DIR": str(var_dir)}, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_embedded_servers_keep_data_across_restarts(tmp_path):
    first = _run("write", tmp_path)
    second = _run("read", tmp_path)
    assert "written before restart" in second
    for output in (first, second):
        pid = int(output.split("PGPID")[1].split()[0])
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
