#!/usr/bin/env python3
"""Set up the virtualenv and run the portal or the tests; needs only Python 3.11.

python3 dev.py run     # portal with demo data: web, Celery worker and beat
python3 dev.py test    # the whole test suite (extra arguments go to pytest)
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".installed"
REQUIREMENTS = ROOT / "requirements.txt"


def ensure_venv() -> None:
    """Create .venv and install requirements.txt when it changed since the last install."""
    if sys.version_info[:2] != (3, 11):
        print(f"Note: Ishtiraak is built for Python 3.11; this is {sys.version.split()[0]}.")
    if not PY.exists():
        print("Creating the virtualenv in .venv ...")
        venv.create(VENV, with_pip=True)
    if STAMP.exists() and STAMP.stat().st_mtime >= REQUIREMENTS.stat().st_mtime:
        return
    print("Installing requirements (first run takes a minute) ...")
    subprocess.check_call([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call([PY, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS])
    STAMP.touch()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command not in ("run", "test", "setup"):
        print(__doc__)
        return 2
    ensure_venv()
    os.chdir(ROOT)
    # The command replaces this process (same pid): a signal sent to dev.py reaches the
    # runner or pytest itself, which stop everything they started.
    sys.stdout.flush()
    if command == "run":
        os.execv(PY, [str(PY), "-m", "consortium.run", *argv[1:]])  # noqa: S606 - our venv's python
    if command == "test":
        subprocess.check_call([PY, "-m", "consortium.testsetup"])
        os.execv(PY, [str(PY), "-m", "pytest", *argv[1:]])  # noqa: S606 - our venv's python
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
