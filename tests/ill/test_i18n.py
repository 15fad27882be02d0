"""ILL screens in Urdu: status labels, actions and reasons come from the portal's catalogue."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from ill import states

pytestmark = pytest.mark.django_db


@pytest.fixture
def urdu(login):
    """A Client logged in as the given user, with the interface switched to Urdu."""

    def _urdu(user) -> Client:
        client = login(user)
        client.post("/i18n/setlang/", {"language": "ur", "next": "/"})
        return client

    return _urdu


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ur" dir="rtl">' in html
    return html


def _row(html: str, reference: str) -> str:
    """The queue table's row for one request."""
    rows = re.findall(r"<tr>.*?</tr>", html, flags=re.S)
    [row] = [r for r in rows if f">{reference}</a>" in r]
    return row


def test_lending_queue_shows_the_lenders_status_in_urdu(sent, lender_librarian, urdu):
    assert sent.supplier_status == states.REQUEST_RECEIVED
    html = _page(urdu(lender_librarian), "/ill/lending/")
    assert "<title>عاریت دینے کی قطار" in html
    row = _row(html, sent.reference)
    assert ">نئی درخواست</span>" in row and "New request" not in row
    assert '<span class="small text-muted">عاریت</span>' in row  # the service type: a loan
    # the status filter lists every lender status in Urdu
    for urdu_label, english in [
        ("فراہم کریں گے: شیلف سے نکال کر بھیجیں", "Will supply: pull and ship"),
        ("واپس بھیج دی گئی: وصولی درج کریں", "Shipped back: check in"),
        ("دوبارہ کوشش ممکن", "Retry possible"),
    ]:
        assert f">{urdu_label}</option>" in html and english not in html
    assert ">روانگی درج کریں</button>" in html and "Mark shipped" not in html


def test_borrowing_queue_shows_the_requesters_status_in_urdu(sent, librarian, urdu):
    row = _row(_page(urdu(librarian), "/ill/borrowing/"), sent.reference)
    assert 'data-testid="status">عاریتاً دینے والی لائبریری کو بھیج دی گئی</span>' in row
    assert "Sent to a lender" not in row


def test_request_page_shows_statuses_actions_and_reasons_in_urdu(sent, lender_librarian, urdu):
    html = _page(urdu(lender_librarian), f"/ill/requests/{sent.pk}/")
    assert 'data-testid="status">عاریتاً دینے والی لائبریری کو بھیج دی گئی</span>' in html
    assert "عاریتاً دینے والی لائبریری: نئی درخواست" in html
    for code, label in [("will_supply", "فراہم کریں گے"), ("unfilled", "فراہم نہیں کر سکتے")]:
        assert f'data-testid="action-{code}">{label}</button>' in html
    assert ">شیلف پر موجود نہیں</option>" in html  # ISO 18626 NotOnShelf, as a reason to pick
    assert 'value="NotOnShelf"' in html  # the code sent stays ISO's
    assert ">روداد</h2>" in html
    timeline = html[html.index('data-testid="timeline"') :]
    assert "اگلی لائبریری کو بھیجیں" in timeline and "خودکار" in timeline
    for english in ("Sent to a lender", "New request", "Will supply", "Not on shelf", "automatic"):
        assert english not in html


def test_patron_sees_the_patron_label_in_urdu(sent, patron, urdu):
    html = _page(urdu(patron), f"/ill/my-requests/{sent.pk}/")
    assert 'data-testid="status">ایک لائبریری سے درخواست کی گئی</span>' in html
    assert "Asked a lending library" not in html


def test_pull_slips_print_right_to_left_in_urdu(sent, lender_librarian, urdu):
    html = _page(urdu(lender_librarian), f"/ill/lending/pull-slips/?ids={sent.pk}")
    assert "bootstrap.rtl.min.css" in html and sent.reference in html


def test_refused_action_is_explained_in_urdu_without_internal_codes(sent, librarian, urdu):
    # when the borrowing library presses "mark received" before anything was shipped
    client = urdu(librarian)
    response = client.post(f"/ill/requests/{sent.pk}/actions/receive/", follow=True)
    html = response.content.decode()
    # then the message names the action and the state in Urdu, never their codes
    message = re.search(r'<div class="alert alert-danger[^>]*>(.*?)</div>', html, flags=re.S).group(1)
    assert "receive" not in message and "sent_to_supplier" not in message
    from django.utils import translation

    with translation.override("en"):
        assert str(states.ACTIONS["receive"].label) not in message
    with translation.override("ur"):
        assert str(states.ACTIONS["receive"].label) in message
        assert str(states.status(states.Side.REQUESTER, states.SENT_TO_SUPPLIER).label) in message
