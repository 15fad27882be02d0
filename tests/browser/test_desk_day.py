"""A librarian's day done from the desk without typing a URL: validate, lend, ship, receive,
check out, take the return, ship it back, check it in. Each step starts from the header's
Desk link, follows the card that counts the work and presses the request's button."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from ill import states
from ill.models import IllRequest
from ill.services import ill_request_create
from policies.models import AgreementKind
from tests.factories import LibrarianFactory, LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session(chromium, live_server, user):
    """A browser page logged in as the user, opened on the home page (no URL typed after)."""
    client = Client()
    client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    page = context.new_page()
    page.goto("/")
    return page


def _from_the_desk(page, card: str, req: IllRequest, action: str) -> None:
    """Desk link -> the card (counting one) -> the request in its queue -> the action's button."""
    page.get_by_test_id("nav-desk").click()
    page.wait_for_url("**/desk/")
    tile = page.get_by_test_id(f"card-{card}")
    assert tile.get_by_test_id("count").inner_text().strip() == "1", card
    tile.get_by_role("link").click()
    page.get_by_role("link", name=req.reference, exact=True).click()
    with page.expect_navigation():
        page.get_by_test_id(f"action-{action}").click()
    assert "alert-danger" not in page.content()


def test_a_librarians_day_from_the_desk(chromium, live_server):
    home = LibraryFactory(code="PK-HOME", name="Home University", city="Lahore", province="PB")
    away = LibraryFactory(code="PK-AWAY", name="Away University", city="Karachi", province="SD")
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, name="Consortium ILL", loan_period_days=14)
    patron = PatronFactory(library=home)
    req = ill_request_create(actor=patron, bib_record_id=held_by(away).pk)
    borrowing = _session(chromium, live_server, LibrarianFactory(library=home))
    lending = _session(chromium, live_server, LibrarianFactory(library=away))

    _from_the_desk(borrowing, "validate", req, "validate")  # routing asks the lender at once
    _from_the_desk(lending, "answer", req, "will_supply")
    _from_the_desk(lending, "ship", req, "ship")
    _from_the_desk(borrowing, "receive", req, "receive")
    _from_the_desk(borrowing, "check_out", req, "check_out")
    # the patron brings it back to the desk; the librarian records it from the request page
    with borrowing.expect_navigation():
        borrowing.get_by_test_id("action-return_by_patron").click()
    _from_the_desk(borrowing, "ship_back", req, "ship_return")
    _from_the_desk(lending, "check_in", req, "check_in")

    req.refresh_from_db()
    assert req.status == states.COMPLETED
    # and both desks are clear
    for page in (borrowing, lending):
        page.get_by_test_id("nav-desk").click()
        page.wait_for_url("**/desk/")
        page.get_by_test_id("count").first.wait_for()
        counts = [c.strip() for c in page.get_by_test_id("count").all_inner_texts()]
        assert set(counts) == {"0"}, counts
