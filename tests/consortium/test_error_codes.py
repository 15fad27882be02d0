"""Errors as data: every domain error raised names its code from its app's ErrorCode."""

from __future__ import annotations

import ast
import importlib
from enum import StrEnum
from pathlib import Path

import pytest

from consortium.exceptions import DomainError

ROOT = Path(__file__).resolve().parents[2]
# The apps whose raises carry codes; ill and catalogue join as their ErrorCode lands.
APPS = ["consortium", "members", "policies", "ill", "catalogue"]


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or "settings" in relative.parts:
            continue
        yield ".".join(relative.with_suffix("").parts).removesuffix(".__init__"), path


def _resolve(module, node: ast.expr):
    """The object a raise calls (``err.PoliciesError``, ``EndpointRefused``), when it is a name."""
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(module, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _raises_without_code(app: str) -> list[str]:
    missing = []
    for name, path in _modules(app):
        module = importlib.import_module(name)
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            raised = _resolve(module, node.exc.func)
            is_domain = isinstance(raised, type) and issubclass(raised, DomainError)
            # an error class whose every instance has the class's code (it says so)
            fixed = is_domain and getattr(raised, "code_is_the_class", False)
            if is_domain and not fixed and not any(k.arg == "code" for k in node.exc.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return missing


@pytest.mark.parametrize("app", APPS)
def test_every_domain_error_raised_passes_its_code(app):
    assert _raises_without_code(app) == []


@pytest.mark.parametrize("app", APPS)
def test_each_app_has_an_error_code_enum_of_unique_codes(app):
    codes = importlib.import_module(f"{app}.exceptions").ErrorCode
    assert issubclass(codes, StrEnum)
    assert len({c.value for c in codes}) == len(codes)


def test_the_check_finds_a_raise_without_a_code(tmp_path, monkeypatch):
    # given a module of a made-up app raising a domain error without a code
    (tmp_path / "madeup").mkdir()
    (tmp_path / "madeup" / "__init__.py").write_text("")
    (tmp_path / "madeup" / "services.py").write_text(
        "from consortium.exceptions import Conflict\n\ndef f():\n    raise Conflict('taken')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("tests.consortium.test_error_codes.ROOT", tmp_path)
    # then the check names it
    assert _raises_without_code("madeup") == ["madeup/services.py:4"]
