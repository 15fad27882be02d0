"""The Urdu catalogue is current: every translatable string in the code is in it.

Runs Django's makemessages (as `make messages` does) on a copy of the source and
compares: a string added to the code or a template without being extracted and
translated shows up here, by file and line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# The project's own apps (every installed app with a folder here: a new app cannot be
# forgotten), its templates and catalogues.
SOURCES = [
    *sorted({app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}),
    "templates",
    "locale",
    "manage.py",
]
IGNORE = ["--ignore=tests/*", "--ignore=benchmarks/*"]  # the Makefile's messages target, inside the copy


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed (apt-get install gettext)")
def test_every_translatable_string_is_in_the_urdu_catalogue(tmp_path):
    copy = tmp_path / "src"
    copy.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(src, copy / name)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    # makemessages needs settings, not servers: URLs that are never connected to.
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings.test",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ur", *IGNORE],
        cwd=copy, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(ROOT / "locale/ur/LC_MESSAGES/django.po"))}
    fresh = polib.pofile(str(copy / "locale/ur/LC_MESSAGES/django.po"))
    missing = [
        f"{e.msgid[:70]!r} ({', '.join(f'{f}:{n}' for f, n in e.occurrences[:2])})"
        for e in fresh
        if not e.obsolete and (e.msgctxt, e.msgid) not in committed
    ]
    assert not missing, "Not in the Urdu catalogue; run `make messages` and translate:\n" + "\n".join(missing)


# makemessages (xgettext) finds strings only in calls it knows by name: _ and Django's own
# function names. gettext imported as _g or gettext_lazy as _l hides every string passed to
# it ("Holding library", the decades) from the catalogue, and the page stays English.
GETTEXT_NAMES = {
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
}


def test_no_module_hides_its_strings_from_makemessages_behind_an_alias():
    import ast

    hidden = []
    for name in SOURCES:
        root = ROOT / name
        for path in root.rglob("*.py") if root.is_dir() else []:
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    hidden += [
                        f"{path.relative_to(ROOT)}: {a.name} as {a.asname}"
                        for a in node.names
                        if a.name in GETTEXT_NAMES and a.asname not in (None, "_")
                    ]
    assert not hidden, "xgettext does not see these names:\n" + "\n".join(hidden)
