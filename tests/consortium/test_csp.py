"""Content-Security-Policy: on every kind of response, and strict enough that no inline script runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# What the policy refuses in a page: an inline <script> (one without src), an inline <style>,
# a style="" attribute, an on...="" event handler, htmx's hx-on (evaluated as code).
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=|\shx-on[:-]", re.IGNORECASE
)
TEMPLATE_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.DOTALL)


def _directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def _assert_strict(response) -> None:
    policy = _directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),  # an HTML page
        ("/api/v1/libraries/", 200),  # an API answer
        ("/no-such-page/", 404),  # an error page
        ("/ill/lending/", 302),  # a redirect to the login
        ("/api/docs/", 200),
    ],
)
def test_every_response_carries_the_strict_policy(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    _assert_strict(response)


@pytest.mark.django_db
def test_forbidden_page_carries_the_policy(login, patron):
    response = login(patron).get("/manage/members/")
    assert response.status_code == 403
    _assert_strict(response)


def test_no_template_has_inline_script_style_or_handler():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        for match in INLINE.finditer(TEMPLATE_COMMENT.sub("", path.read_text()))
    ]
    assert not offenders, "the CSP refuses these; use static/js and static/css: " + "; ".join(offenders)


@pytest.mark.django_db
def test_api_docs_load_their_init_script_from_the_portal(client):
    # given the Swagger UI page
    page = client.get("/api/docs/")
    html = page.content.decode()
    # then it has no inline script or style for the policy to refuse
    assert not INLINE.search(html), INLINE.search(html).group(0)
    # and its init script is a same-origin URL that serves JavaScript starting Swagger UI
    scripts = re.findall(r'<script src="([^"]+)"', html)
    init = [src for src in scripts if "script" in src.split("?", 1)[-1]]
    assert len(init) == 1 and init[0].startswith("/api/docs/?"), scripts
    script = Client().get(init[0].replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content
    assert b'"validatorUrl": null' in script.content  # no image from swagger.io for img-src to refuse
