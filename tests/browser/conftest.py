"""Browser tests: Playwright (sync API) driving a real Chromium against pytest-django's live server.

Uses /usr/bin/chromium when present, else Playwright's own browser, else the tests are
SKIPPED with a loud message (CI installs Debian's chromium first, see .ci/run).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _loud_skip(reason: str) -> None:
    banner = "!" * 78
    sys.stderr.write(
        f"\n{banner}\n!! BROWSER TESTS SKIPPED: {reason}\n"
        f"!! Install Debian's chromium: apt-get install chromium\n{banner}\n"
    )
    pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test body (fixtures, assertions) are still synchronous and safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _browser()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _loud_skip("the playwright package is not installed")
    system = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    with sync_playwright() as pw:
        try:
            if system:
                browser = pw.chromium.launch(executable_path=system, args=CHROMIUM_ARGS)
            else:
                browser = pw.chromium.launch(args=CHROMIUM_ARGS)
        except Error as exc:
            _loud_skip(f"no Chromium could be started ({str(exc).splitlines()[0]})")
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture
def shot():
    """Save a full-page screenshot under test-artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.evaluate("() => document.fonts.ready")
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def log_in():
    def _log_in(page, username: str, password: str) -> None:
        page.goto(page.base + "/accounts/login/")
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return _log_in
