"""Static files: every file a CSS or JS file refers to is there, so collectstatic can hash it."""

from __future__ import annotations

import posixpath
import re

from django.contrib.staticfiles import finders

# The comment forms of CSS ("/*# sourceMappingURL=x.map */") and JS ("//# sourceMappingURL=x.map").
SOURCE_MAP = re.compile(r"^(?://|/\*)# sourceMappingURL=([^\s*]+)", re.MULTILINE)


def _collected_files():
    """Each (path, storage) that collectstatic would copy: the portal's own and the apps' files."""
    for finder in finders.get_finders():
        yield from finder.list(ignore_patterns=[])


def test_every_source_map_a_static_file_names_is_shipped():
    # given every CSS and JS file collectstatic takes (static/vendor, drf-spectacular-sidecar, admin)
    missing = []
    for path, storage in _collected_files():
        if not path.endswith((".css", ".js")):
            continue
        with storage.open(path) as handle:
            text = handle.read().decode("utf-8", errors="replace")
        # then each map it names exists beside it (the manifest storage refuses a dangling one)
        for name in SOURCE_MAP.findall(text):
            if name.startswith("data:"):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), name))
            if not storage.exists(target):
                missing.append(f"{path} names {name}")
    assert not missing, "see static/vendor/README.md: " + "; ".join(missing)
