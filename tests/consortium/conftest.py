"""Fixtures for the tests that start the embedded servers in subprocesses."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def make_var_dir() -> Path:
    """A var dir the embedded PostgreSQL's own user (pgserver, under root) can reach."""
    # Not under pytest's tmp dir: every pytest session on the machine makes that private
    # to root again, and initdb or pg_ctl then fail halfway.
    top = Path(tempfile.mkdtemp(prefix="ishtiraak-var-"))
    top.chmod(0o755)
    return top / "var"


@pytest.fixture
def var_dir() -> Iterator[Path]:
    path = make_var_dir()
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)
