"""Labelled forms on every shell/members page, a light home page, a small Urdu font."""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from members.models import PatronStatus
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self._in_label = 0
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append({**a, "_tag": tag, "_wrapped": self._in_label > 0})
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.assets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1


def _parse(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def _unlabelled(html: str) -> list[str]:
    parsed = _parse(html)
    return [
        c.get("name") or c["_tag"]
        for c in parsed.controls
        if not (
            c["_wrapped"]
            or c.get("id") in parsed.label_for
            or c.get("aria-label")
            or c.get("aria-labelledby")
        )
    ]


@pytest.fixture
def pages(library, library_admin, consortium_admin, login):
    PatronFactory(library=library, patron_status=PatronStatus.PENDING)
    anonymous = Client()
    return [
        (anonymous, "/"),
        (anonymous, "/libraries/"),
        (anonymous, f"/libraries/{library.code}/"),
        (anonymous, "/register/"),
        (anonymous, "/accounts/login/"),
        (anonymous, "/accounts/password_reset/"),
        (login(library_admin), "/my-library/"),
        (login(library_admin), "/accounts/password_change/"),
        (login(consortium_admin), "/manage/members/"),
        (login(consortium_admin), f"/manage/members/{library.code}/"),
    ]


def test_every_form_control_has_a_label(pages):
    problems = {}
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        missing = _unlabelled(response.content.decode())
        if missing:
            problems[url] = missing
    assert problems == {}


# Budgets: what is transferred (whitenoise serves gzip/brotli) must stay small for mobile
# data (issue #14: 40 KB for all but the Urdu font, measured with Brotli by
# benchmarks/page_weight.py; gzip here is a little larger); the uncompressed total is pinned
# so that a new asset is a decision. Bootstrap is built with only what the portal uses
# (make bootstrap).
TRANSFER_BUDGET_KB = 40
UNCOMPRESSED_BUDGET_KB = 140


def test_home_page_is_light_for_a_slow_connection(db):
    """HTML + CSS + JS of the home page: gzip-transferred and uncompressed sizes."""
    import gzip

    html = Client().get("/").content
    raw = {"HTML": html}
    for href in _parse(html.decode()).assets:
        path = finders.find(href.removeprefix("/static/"))
        assert path, f"{href} is not served from static/"
        raw[href] = Path(path).read_bytes()
    uncompressed = sum(len(b) for b in raw.values())
    transferred = sum(len(gzip.compress(b, 9)) for b in raw.values())
    sys.stdout.write(
        f"\nhome page weight: {transferred / 1024:.0f} KB transferred (gzip), "
        f"{uncompressed / 1024:.0f} KB uncompressed\n"
    )
    assert transferred < TRANSFER_BUDGET_KB * 1024
    assert uncompressed < UNCOMPRESSED_BUDGET_KB * 1024


def test_urdu_font_is_one_weight_subset_to_fit_the_page_budget():
    """150 KB for a first visit to an Urdu results page, of which 40 KB for everything else."""
    fonts = sorted((ROOT / "static" / "fonts").glob("*.woff2"))
    assert [font.name for font in fonts] == ["noto-nastaliq-urdu-400.woff2"]
    assert fonts[0].read_bytes()[:4] == b"wOF2"
    assert fonts[0].stat().st_size < 108 * 1024, f"{fonts[0].name} is {fonts[0].stat().st_size} bytes"


def test_no_page_loads_anything_from_a_cdn(db):
    html = Client().get("/").content.decode()
    assert all(asset.startswith("/static/") for asset in _parse(html).assets)
