"""The production image's own steps without Docker: `bin/web build` (collectstatic with the
production settings) and `bin/web start` (gunicorn), against the suite's PostgreSQL and Redis.

The Dockerfile runs the same two commands, so a page, a static file or a header that fails
here fails in the image.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.catalogue.factories_search import make_record
from tests.workers import solo_worker

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "bin" / "web"
HOST = "portal.ishtiraak.pk"
# As the TLS-terminating proxy sends them: the production settings redirect plain HTTP.
BROWSER_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}
ONE_YEAR = 365 * 24 * 3600
# Variables of the test run that a production process does not have.
CLEARED = (
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "ISHTIRAAK_VAR_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", "STATIC_ROOT", "PORT", "WEB_CONCURRENCY",
)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The suite's DATABASE_URL (TCP, or the embedded server's socket) naming pytest-django's database."""
    # base.py leaves the URL it used in the environment, the embedded server's included.
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + quote(connection.settings_dict["NAME"])))


def _production_env(static_root: Path, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        # `python` and `gunicorn` in bin/web are this virtualenv's, as they are the image's.
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        DJANGO_SETTINGS_MODULE="consortium.settings.production",
        STATIC_ROOT=str(static_root),
        ISHTIRAAK_VAR_DIR=str(var_dir),  # an embedded server started by mistake would show up here
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """`bin/web build` into a fresh STATIC_ROOT, as the image's build does."""
    root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [str(WEB), "build"], cwd=ROOT, env=_production_env(root, root.parent / "build-var"),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert (root / "staticfiles.json").exists()
    return root


@pytest.fixture
def portal(static_root, tmp_path) -> Iterator[int]:
    """`bin/web start` (gunicorn, production settings) on a free port; its port once it answers."""
    port = _free_port()
    env = _production_env(
        static_root, tmp_path / "var", PORT=str(port), WEB_CONCURRENCY="2",
        SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS=HOST,
        DATABASE_URL=_database_url(), REDIS_URL=settings.REDIS_URL,
    )  # fmt: skip
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:  # a file, not a pipe that nobody drains
        proc = subprocess.Popen(
            [str(WEB), "start"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(OSError):
                _get(port, "/healthz")
                break
            time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer:\n" + log.read_text()[-4000:])
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not (tmp_path / "var").exists(), "production must never start an embedded server"


def _get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    """One GET as a browser behind the proxy sends it; the response with its body read."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={**BROWSER_HEADERS, **headers})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def _static_url(page: bytes, name: str) -> str:
    """The hashed URL under which a page links a static file."""
    stem, extension = name.rsplit(".", 1)
    match = re.search(rf"/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{extension}", page.decode())
    assert match, f"the page does not link a hashed {name}"
    return match.group(0)


def test_the_image_serves_pages_api_docs_and_health(portal, settings, library):
    # given a member library holding one record, committed for gunicorn's own connections
    record = make_record(title="Tarikh-i Pakistan", authors=["Qureshi, Ishtiaq Husain"], libraries=[library])
    with solo_worker(settings):  # /healthz asks for a live Celery worker
        # when a visitor opens the portal's pages through the production server
        paths = ("/", "/search/?q=tarikh+pakistan", f"/records/{record.pk}/", "/api/docs/", "/healthz")
        pages = {path: _get(portal, path) for path in paths}
    # then every page answers 200
    assert {path: r.status for path, r in pages.items()} == dict.fromkeys(pages, 200), {
        path: r.body[:300] for path, r in pages.items() if r.status != 200
    }
    assert b"Tarikh-i Pakistan" in pages["/search/?q=tarikh+pakistan"].body
    assert library.name.encode() in pages[f"/records/{record.pk}/"].body
    assert b'"worker": "ok' in pages["/healthz"].body
    # and each carries the Content-Security-Policy that lets no inline script run
    for response in pages.values():
        assert "script-src 'self';" in response.getheader("Content-Security-Policy") + ";"
    # and the API docs' init script (not inline: the policy refuses that) is served as JavaScript
    init = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', pages["/api/docs/"].body.decode())
    assert init, "the API docs page has no init script URL"
    script = _get(portal, init.group(1).replace("&amp;", "&"))
    assert script.status == 200 and script.getheader("Content-Type").startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.body
    # and Swagger UI's own files (drf-spectacular-sidecar, collected and hashed) are there
    docs = pages["/api/docs/"].body.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs)
    assert len(assets) >= 4 and all(_get(portal, url).status == 200 for url in assets), assets
    # and the HTML links its CSS and JS under hashed names that the server has
    home = pages["/"].body
    for name in ("vendor/bootstrap/bootstrap.min.css", "css/portal.css", "vendor/htmx/htmx.min.js"):
        assert _get(portal, _static_url(home, name)).status == 200


def test_the_portals_own_css_and_js_are_served_minified(portal):
    # the sources keep their comments; the copies production serves drop them
    home = _get(portal, "/").body
    for name in ("css/portal.css", "js/portal.js"):
        source = (ROOT / "static" / name).read_text()
        served = _get(portal, _static_url(home, name), **{"Accept-Encoding": "identity"}).body.decode()
        comment = r"/\*" if name.endswith(".css") else r"(?m)^\s*//"
        assert re.search(comment, source) and not re.search(comment, served), name
        assert len(served) < 0.75 * len(source), (name, len(served), len(source))


def test_static_files_come_compressed_and_cached_for_a_year(portal):
    # given the hashed stylesheet the home page links
    css = _static_url(_get(portal, "/").body, "vendor/bootstrap/bootstrap.min.css")
    plain = _get(portal, css, **{"Accept-Encoding": "identity"})
    assert plain.status == 200 and plain.getheader("Content-Encoding") is None
    # when a browser asks for it accepting Brotli, or only gzip
    brotli = _get(portal, css, **{"Accept-Encoding": "gzip, deflate, br"})
    gzip = _get(portal, css, **{"Accept-Encoding": "gzip, deflate"})
    # then each gets the compressed copy it accepts, a fraction of the size
    assert (brotli.status, brotli.getheader("Content-Encoding")) == (200, "br")
    assert (gzip.status, gzip.getheader("Content-Encoding")) == (200, "gzip")
    assert len(brotli.body) < len(gzip.body) < len(plain.body) / 3
    # and may keep it for a year without asking again (the name changes with the content)
    for response in (plain, brotli, gzip):
        cache = response.getheader("Cache-Control")
        max_age = int(re.search(r"max-age=(\d+)", cache).group(1))
        assert max_age >= ONE_YEAR and "immutable" in cache, cache


def test_search_page_comes_gzipped_and_every_file_it_needs_is_cached_for_good(portal, library):
    """A second visit on mobile data fetches only the page (issue #14)."""
    make_record(title="Tarikh-i Pakistan", authors=["Qureshi, Ishtiaq Husain"], libraries=[library])
    # when a browser opens the results page accepting compressed answers
    page = _get(portal, "/search/?q=tarikh", **{"Accept-Encoding": "gzip, deflate, br"})
    # then the page itself comes gzipped
    assert (page.status, page.getheader("Content-Encoding")) == (200, "gzip")
    html = gzip.decompress(page.body).decode()
    # and each static file it links (styles, scripts, favicon, icon sprite, and the font
    # its stylesheet names) has a hashed name the browser may keep without asking again
    linked = set(re.findall(r'(?:href|src)="(/static/[^"#]+)', html))
    css = [url for url in linked if url.endswith(".css")]
    for url in css:
        body = _get(portal, url, **{"Accept-Encoding": "identity"}).body.decode()
        linked |= {f"/static/{m}" for m in re.findall(r'url\("?\.\./([^")]+)', body)}
    assert any(url.endswith(".woff2") for url in linked) and any("favicon" in url for url in linked)
    for url in sorted(linked):
        assert re.search(r"\.[0-9a-f]{12}\.[a-z0-9]+$", url), f"{url} is not a hashed name"
        response = _get(portal, url)
        assert response.status == 200, url
        assert "immutable" in response.getheader("Cache-Control"), url
