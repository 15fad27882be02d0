"""The lender never sees the patron's name, card or email: pages, API, emails."""

from __future__ import annotations

from rest_framework.test import APIClient

from members.models import OutboundEmail


def _secrets(patron):
    return [patron.last_name, patron.card_number, patron.email]


def test_lender_pages_api_and_emails_hide_the_patron(
    sent, patron, lender, lender_librarian, librarian, login, act
):
    req = act(sent, "will_supply", lender_librarian)
    ill_page = login(lender_librarian).get(f"/ill/requests/{req.pk}/").content.decode()
    queue = login(lender_librarian).get("/ill/lending/").content.decode()
    slips = login(lender_librarian).get(f"/ill/lending/pull-slips/?ids={req.pk}").content.decode()
    api = APIClient()
    api.force_authenticate(lender_librarian)
    api_body = api.get(f"/api/v1/ill/requests/{req.pk}/").content.decode()
    api_list = api.get("/api/v1/ill/requests/?role=lender").content.decode()
    emails = " ".join(e.subject + e.body for e in OutboundEmail.objects.all() if lender.email in e.to)
    assert req.title in ill_page and req.title in slips and "PK-HOME" in queue and emails
    for text in (ill_page, queue, slips, api_body, api_list, emails):
        for secret in _secrets(patron):
            assert secret not in text
    # the borrowing library does see its patron
    own = login(librarian).get(f"/ill/requests/{req.pk}/").content.decode()
    assert patron.card_number in own


def test_next_lender_does_not_see_earlier_lenders_answers_or_messages(passed_on, librarian, login, act):
    from ill.routing import route
    from ill.services import ill_message_send

    req, first, then = passed_on
    ill_message_send(request_id=req.pk, actor=first, body="Our copy is in the Sukkur storeroom, sorry")
    act(req, "unfilled", first, reason_unfilled="NotOnShelf", note="Storeroom closed until June")
    route(request_id=req.pk)
    page = login(then).get(f"/ill/requests/{req.pk}/").content.decode()
    assert req.title in page
    assert "storeroom" not in page.lower() and first.library.code not in page
    # the borrowing library sees the whole story
    own = login(librarian).get(f"/ill/requests/{req.pk}/").content.decode()
    assert "storeroom" in own.lower()
