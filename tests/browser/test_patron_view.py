"""Browser: the patron's view of a loan, ready for pickup and then returned, in English and Urdu.

The patron reads the status in plain words, their dates, where to pick the book up and
what their library wrote to them; never the lender, the rota, or what the libraries said
to each other (ill.visibility); once returned, no due date.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from ill import states
from ill.routing import route
from ill.services import ill_message_send, ill_request_create, ill_request_transition
from policies.models import AgreementKind
from tests.factories import LibrarianFactory, LibraryFactory, PatronFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TO_PATRON = "Collect it at the circulation desk, counter 2"
BETWEEN_LIBRARIES = [
    "Pulled from the Sukkur storeroom",
    "Please send it by courier",
    "PK-AWAY",
    "Away University",
]


def _act(req, action, actor, **payload):
    ill_request_transition(request_id=req.pk, action=action, actor=actor, **payload)
    req.refresh_from_db()
    return req


@pytest.fixture
def ready_loan(db):
    """A patron's loan that has reached their library, with words on every side."""
    home = LibraryFactory(code="PK-HOME", name="Home University", name_ur="گھر کی جامعہ")
    away = LibraryFactory(code="PK-AWAY", name="Away University", name_ur="دور کی جامعہ")
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, name="Consortium ILL", loan_period_days=14)
    patron = PatronFactory(username="reader", library=home, last_name="Siddiqui")
    librarian, lender = LibrarianFactory(library=home), LibrarianFactory(library=away)
    req = ill_request_create(actor=patron, bib_record_id=held_by(away).pk)
    _act(req, "validate", librarian)
    route(request_id=req.pk)
    ill_message_send(request_id=req.pk, actor=librarian, body=BETWEEN_LIBRARIES[1])
    _act(req, "will_supply", lender, note=BETWEEN_LIBRARIES[0])
    _act(req, "ship", lender)
    _act(req, "receive", librarian, note=TO_PATRON)
    return req, patron, librarian, lender


def _log_in(page, live_server, user) -> None:
    """The browser carries the user's session (the login form itself is tested elsewhere)."""
    client = Client()
    client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def _words(message, language: str) -> str:
    with translation.override(language):
        return str(message)


@pytest.mark.parametrize("language", ["en", "ur"])
def test_patron_view_of_a_loan_in_both_languages(page, live_server, ready_loan, language, screenshot):
    req, patron, librarian, lender = ready_loan
    page.context.set_extra_http_headers({"Accept-Language": language})
    patron.language = language
    patron.save(update_fields=["language"])
    _log_in(page, live_server, patron)

    # the list says where the request stands, in the reader's language
    page.goto("/ill/my-requests/")
    assert page.locator("html").get_attribute("lang") == language
    ready = _words(states.status(states.Side.REQUESTER, states.RECEIVED).patron_label, language)
    assert page.get_by_test_id("status").inner_text() == ready

    # the request page: status, dates, pickup place and the library's note to the patron
    page.goto(f"/ill/my-requests/{req.pk}/")
    assert page.get_by_test_id("status").inner_text() == ready
    assert page.get_by_test_id("date-due").is_visible() and page.get_by_test_id("date-ready").is_visible()
    pickup = page.get_by_test_id("pickup").inner_text()
    assert pickup.startswith("گھر کی جامعہ" if language == "ur" else "Home University")
    assert TO_PATRON in page.get_by_test_id("patron-messages").inner_text()
    for secret in [*BETWEEN_LIBRARIES, "دور کی جامعہ"]:
        assert secret not in page.content(), secret
    screenshot(f"{language}-ready")

    # returned and checked in: "Completed", and no due date left to worry about
    _act(req, "check_out", librarian)
    _act(req, "return_by_patron", librarian)
    _act(req, "ship_return", librarian)
    _act(req, "check_in", lender, note="Came back with a torn jacket")
    page.goto(f"/ill/my-requests/{req.pk}/")
    completed = _words(states.status(states.Side.REQUESTER, states.COMPLETED).label, language)
    assert page.get_by_test_id("status").inner_text() == completed
    assert page.get_by_test_id("date-due").count() == 0 and page.get_by_test_id("date-returned").count() == 1
    assert "torn jacket" not in page.content()
    screenshot(f"{language}-completed")
