"""The front end's built files match what templates use (issue #14, static/vendor/README.md):
the icon sprite has every icon a template names, the trimmed Bootstrap defines every class
a template names, and no page needs what was left out (the icon font, Popper)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").glob("**/*.html"))
SPRITE = ROOT / "static" / "img" / "icons.svg"
ICON_TAG = re.compile(r"""{%\s*icon\s+["']([a-z0-9-]+)["']\s*%}""")
CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
# Class names templates use as hooks for JavaScript or tests, with no style of their own.
HOOKS = {"facet-input", "timeline"}


def _template_classes() -> dict[str, set[str]]:
    """Each literal class name in a class="..." of a template, and the templates using it."""
    found: dict[str, set[str]] = {}
    for path in TEMPLATES:
        for value in CLASS_ATTR.findall(path.read_text(encoding="utf-8")):
            # Template logic inside the attribute ({% if %}..., {{ x }}) is not a class name,
            # and nor is a word glued to it (alert-{{ tag }}); the build keeps those by name
            # (the safelist in frontend/build_bootstrap.mjs).
            literal = re.sub(r"{%.*?%}|{{.*?}}", "\0", value)
            for name in literal.split():
                if re.fullmatch(r"[a-z][a-z0-9-]*", name):
                    found.setdefault(name, set()).add(path.name)
    return found


def _stylesheet_classes() -> set[str]:
    css = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "static").glob("**/*.css"))
    return set(re.findall(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)", css))


def test_every_icon_a_template_names_is_in_the_sprite():
    symbols = set(re.findall(r'<symbol id="([^"]+)"', SPRITE.read_text(encoding="utf-8")))
    named = {
        name: path.name for path in TEMPLATES for name in ICON_TAG.findall(path.read_text(encoding="utf-8"))
    }
    assert named, "no template names an icon: is ICON_TAG still the tag's syntax?"
    missing = {name: where for name, where in named.items() if name not in symbols}
    assert missing == {}, "run make icons"


def test_no_template_or_code_uses_the_icon_font():
    sources = [*TEMPLATES, *(p for app in ("catalogue", "consortium", "desk", "ill", "members", "policies")
                             for p in (ROOT / app).glob("**/*.py"))]  # fmt: skip
    users = [
        str(p.relative_to(ROOT))
        for p in sources
        if re.search(r"""["' ]bi bi-""", p.read_text(encoding="utf-8"))
    ]
    assert users == [], 'use {% icon "name" %} (consortium/templatetags/icons.py)'


def test_the_icon_tag_points_into_the_sprite():
    html = Template('{% load icons %}{% icon "printer" %}').render(Context())
    assert (
        html == '<svg class="icon" aria-hidden="true"><use href="/static/img/icons.svg#printer"></use></svg>'
    )


def test_every_class_a_template_names_has_a_style():
    defined = _stylesheet_classes()
    unstyled = {name: sorted(where) for name, where in _template_classes().items()
                if name not in defined and name not in HOOKS}  # fmt: skip
    assert unstyled == {}, "add the Bootstrap part to frontend/bootstrap.scss and run make bootstrap"


def test_every_class_a_form_widget_names_has_a_style():
    """Classes Python code gives widgets (attrs={"class": ...}), which PurgeCSS also reads."""
    defined = _stylesheet_classes()
    named = {
        name: str(path.relative_to(ROOT))
        for app in ("catalogue", "consortium", "desk", "ill", "members", "policies")
        for path in (ROOT / app).glob("**/*.py")
        for value in re.findall(r'"class": "([^"]*)"', path.read_text(encoding="utf-8"))
        for name in value.split()
        if "." not in name  # a logging handler's dotted path, not a CSS class
    }
    assert named, "no widget class found: is the pattern still right?"
    assert {name: where for name, where in named.items() if name not in defined} == {}


def test_every_dropdown_is_one_bootstrap_places_without_popper():
    """frontend/static-popper.js stands in for Popper: only navbar or static dropdowns work."""
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r'<[^>]*data-bs-toggle="dropdown"[^>]*>', text):
            inside_navbar = "navbar-nav" in text[: match.start()] and path.name == "base.html"
            assert inside_navbar or 'data-bs-display="static"' in match.group(0), path.name


@pytest.mark.django_db
def test_pages_link_a_favicon_and_come_gzipped():
    response = Client().get("/search/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    html = Client().get("/search/").content.decode()
    icon = re.search(r'<link rel="icon" href="/static/([^"]+)"', html)
    assert icon and (ROOT / "static" / icon.group(1)).is_file()
