"""Playwright driving a real Chromium against Django's live server.

Uses Debian's /usr/bin/chromium when present, else Playwright's own browser; when there is
neither, every browser test is skipped with a loud message (CI installs chromium first).
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="session")
def chromium():
    """One browser for the whole run."""
    # Playwright's sync API keeps an event loop running in this thread for the whole session,
    # so Django would refuse the tests' own (synchronous, safe) ORM calls. Subprocess tests
    # remove the variable from their children's environment (tests/consortium).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as p:
        try:
            if CHROMIUM:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            else:
                browser = p.chromium.launch(args=CHROMIUM_ARGS)
        except Exception as exc:
            message = f"BROWSER TESTS SKIPPED: no Chromium could be started ({exc}). apt-get install chromium"
            warnings.warn(message, stacklevel=1)
            print("\n" + "!" * 78 + f"\n!! {message}\n" + "!" * 78)
            pytest.skip(message)
        yield browser
        browser.close()


# Reports each Content-Security-Policy violation on the console, where the fixture below
# collects it (an init script runs outside the page's policy).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline code"}`
    + ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """The CSP violations any page of the test's browser context reported, in order."""
    return []


@pytest.fixture
def page(chromium, live_server, csp_violations):
    """A fresh browser page (own cookies) on the live server; the test fails on a CSP violation."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_REPORTER)
    context.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if message.text.startswith("CSP violation") or "Content Security Policy" in message.text
            else None
        ),
    )
    page = context.new_page()
    yield page
    context.close()
    # Every journey doubles as a check of the policy (consortium/settings/base.py).
    assert not csp_violations, "\n".join(csp_violations)


@pytest.fixture
def screenshot(page, request):
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""

    def _shot(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def log_in(page, password):
    """Log in through the real login form."""

    def _log_in(username: str) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return _log_in
