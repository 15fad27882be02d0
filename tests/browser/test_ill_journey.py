"""Browser: a patron's request walked to completion across two librarians' sessions.

Self-contained (Chromium through Playwright, Django's live server); skipped when no
Chromium is installed. Tasks run eagerly after commit, so routing happens at once.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.test import Client

from ill import states
from ill.models import IllRequest
from policies.models import AgreementKind
from tests.factories import LibrarianFactory, LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM and not os.environ.get("PLAYWRIGHT_BROWSERS_PATH"), reason="no Chromium"),
]


@pytest.fixture
def browser(chromium):
    """The suite's Chromium (tests/browser/conftest.py)."""
    return chromium


def _session(browser, live_server, user):
    """A browser context logged in as the user (session cookie from Django's test client)."""
    client = Client()
    client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    return context.new_page()


def _press(page, request_id, action):
    page.goto(f"/ill/requests/{request_id}/")
    # The form posts and redirects back: wait for that navigation before looking.
    with page.expect_navigation():
        page.get_by_test_id(f"action-{action}").click()
    assert "alert-danger" not in page.content(), page.content()


def test_patron_request_to_completion(browser, live_server):
    home = LibraryFactory(code="PK-HOME", name="Home University", city="Lahore", province="PB")
    away = LibraryFactory(code="PK-AWAY", name="Away University", city="Karachi", province="SD")
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, name="Consortium ILL", loan_period_days=14)
    record = held_by(away)
    patron = PatronFactory(library=home, last_name="Siddiqui", card_number="HOME-4242")
    borrowing = _session(browser, live_server, LibrarianFactory(library=home))
    lending = _session(browser, live_server, LibrarianFactory(library=away))
    me = _session(browser, live_server, patron)

    # the patron asks for the record
    me.goto(f"/ill/requests/new/?record={record.pk}")
    with me.expect_navigation():
        me.get_by_test_id("submit-request").click()
    assert "Received by your library" in me.get_by_test_id("status").inner_text()
    req = IllRequest.objects.get()

    # the home library validates: routing asks the lender at once
    borrowing.goto("/ill/borrowing/")
    assert borrowing.get_by_test_id("borrowing-attention").inner_text() == "1"
    _press(borrowing, req.pk, "validate")
    req.refresh_from_db()
    assert req.status == states.SENT_TO_SUPPLIER

    # the lender sees it in its queue, without the patron, says yes and ships
    lending.goto("/ill/lending/")
    assert req.reference in lending.get_by_test_id("queue").inner_text()
    _press(lending, req.pk, "will_supply")
    assert "Siddiqui" not in lending.content() and "HOME-4242" not in lending.content()
    _press(lending, req.pk, "ship")

    # the home library receives it and lends it to the patron
    _press(borrowing, req.pk, "receive")
    _press(borrowing, req.pk, "check_out")
    me.goto(f"/ill/my-requests/{req.pk}/")
    assert "On loan to you" in me.get_by_test_id("status").inner_text()

    # returned, shipped back, checked in by the lender
    _press(borrowing, req.pk, "return_by_patron")
    _press(borrowing, req.pk, "ship_return")
    _press(lending, req.pk, "check_in")
    me.goto(f"/ill/my-requests/{req.pk}/")
    assert "Completed" in me.get_by_test_id("status").inner_text()
    # the patron reads their own progress, not the libraries' timeline (test_patron_view.py)
    assert "Returned, thank you" in me.get_by_test_id("progress").inner_text()
    assert "Check in (returned)" not in me.content()
