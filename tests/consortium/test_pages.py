"""Pages a slow connection can afford, and forms a screen reader can read."""

from __future__ import annotations

import gzip
import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

# HTML + CSS + JS of the home page as sent (whitenoise serves static files compressed);
# about 20 seconds on a 2G mobile connection, well under 2 on 3G.
PAGE_BUDGET_BYTES = 120_000


def test_home_page_weight_stays_within_budget(client, capsys):
    html = client.get("/").content
    assets = re.findall(r'(?:href|src)="/static/([^"?]+\.(?:css|js))"', html.decode())
    files = [html] + [(settings.BASE_DIR / "static" / a).read_bytes() for a in assets]
    raw = sum(len(f) for f in files)
    sent = sum(len(gzip.compress(f)) for f in files)
    with capsys.disabled():
        print(
            f"\nhome page: {sent / 1000:.0f} KB gzipped, {raw / 1000:.0f} KB raw (HTML + {len(assets)} CSS/JS)"
        )
    assert sent < PAGE_BUDGET_BYTES


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/register/", "/libraries/", "/accounts/password_reset/"]
)
def test_every_form_field_has_a_label(client, url, library):
    html = client.get(url).content.decode()
    fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
    for field in fields:
        if re.search(r'type="(hidden|submit|button)"', field):
            continue
        field_id = re.search(r'id="([^"]+)"', field)
        assert field_id and field_id.group(1) in labelled, f"{url}: unlabelled {field}"
