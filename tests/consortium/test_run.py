"""README command 1's engine: `python -m consortium.run` comes up healthy and Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    """Every process whose ancestry leads to pid, plus processes using our var dir."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _using(var_dir: Path) -> set[int]:
    """Processes whose command line names the var dir (the daemonised embedded servers)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if str(var_dir) in cmdline and state != "Z":
                pids.add(int(entry.name))
    return pids


def _healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_run_serves_healthz_and_sigint_stops_everything(tmp_path):
    port = _free_port()
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR")}
    env.update(
        PORTAL_PORT=str(port),
        ISHTIRAAK_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="consortium.settings.local",
    )
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "consortium.run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        # when it has come up
        deadline = time.monotonic() + 150
        status, body = 0, {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _healthz(port)
                if status == 200:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(1)
        # then /healthz reports every part up
        assert status == 200, (body, (tmp_path / "run.log").read_text()[-3000:])
        assert body["status"] == "ok" and set(body["checks"]) >= {"database", "redis", "worker"}
        spawned = _descendants(proc.pid) | _using(var_dir)
        assert len(spawned) >= 3  # web, worker, beat (and the embedded servers)
    finally:
        # when Ctrl-C is pressed
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    # then nothing it started is left running
    time.sleep(0.5)
    leftovers = {pid for pid in spawned | _using(var_dir) if _alive(pid)}
    assert leftovers == set(), [Path(f"/proc/{p}/cmdline").read_bytes() for p in leftovers]
    assert "Stopped web, worker, beat" in (tmp_path / "run.log").read_text()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
