"""One command: embedded servers, migrations, demo data, then web + worker + beat.

Ctrl-C stops the three processes and then the embedded PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from consortium import embedded

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")
    started_here = []
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded.postgres_url()
        started_here.append("PostgreSQL")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded.redis_url()
        started_here.append("Redis")
    env["ISHTIRAAK_EMBEDDED"] = "1" if started_here else env.get("ISHTIRAAK_EMBEDDED", "0")
    host = env.get("PORTAL_HOST", "127.0.0.1")
    port = env.get("PORTAL_PORT", "8000")
    env.setdefault("PORTAL_BASE_URL", f"http://{host}:{port}")
    # Demo mail goes to the console of the worker unless an SMTP server is configured.
    if not env.get("EMAIL_URL"):
        env.setdefault("EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.console.EmailBackend")
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    if started_here:
        print(f"Embedded {' and '.join(started_here)} running with data under var/.")
    subprocess.check_call([*manage, "migrate", "--noinput"], env=env, cwd=ROOT)
    subprocess.check_call([*manage, "seed_demo"], env=env, cwd=ROOT)
    celery = [python, "-m", "celery", "-A", "consortium"]
    beat_schedule = embedded.VAR_DIR / "celerybeat-schedule"
    beat_schedule.parent.mkdir(parents=True, exist_ok=True)
    commands = {
        "web": [*manage, "runserver", "--noreload", f"{host}:{port}"],
        "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "-n", "ishtiraak@%h"],
        "beat": [*celery, "beat", "--loglevel=INFO", "-s", str(beat_schedule)],
    }
    processes = {name: subprocess.Popen(cmd, env=env, cwd=ROOT) for name, cmd in commands.items()}
    time.sleep(3)  # let the servers print their start-up lines first
    print(f"\n  Ishtiraak is running at http://{host}:{port}/")
    print("  Log in as admin, lums-librarian, lums-patron ... (password: ishtiraak-demo)")
    print("  Ctrl-C stops everything.\n")
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping the portal.")
                    code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        embedded.stop_all()
        print(
            "Stopped web, worker, beat"
            + (f" and embedded {' and '.join(started_here)}." if started_here else ".")
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
