"""ISO 18626 ShippedForward: a borrowing library sends the lender's copy on to another
library's request of the same record that the same lender agreed to supply. Its own loan
ends (LoanCompleted for the lender) and the next library's loan starts, shipped by the
portal for the lender; in the portal (a button with the waiting requests), and from the
library's own system (a requestingAgencyMessage whose note names the next request)."""

from __future__ import annotations

import pytest

from ill import states
from ill.exceptions import IllError
from ill.models import IllEvent, IllRequest
from ill.routing import route
from ill.services import ill_request_create
from tests.factories import LibrarianFactory, PatronFactory
from tests.ill import iso18626_messages as msgs
from tests.ill.test_iso18626_endpoint import _error, _ok


def _lent(act, req, borrowing_librarian, lender_librarian):
    """Routed, agreed by the lender (and asked for no more)."""
    req = act(req, "validate", borrowing_librarian)
    route(request_id=req.pk)
    req.refresh_from_db()
    return act(req, "will_supply", lender_librarian)


@pytest.fixture
def third_librarian(second_lender):
    return LibrarianFactory(username="third-borrower", library=second_lender)


@pytest.fixture
def here(patron, record, librarian, lender_librarian, act):
    """PK-HOME's loan of the lender's copy, received and returned by its patron."""
    req = _lent(act, ill_request_create(actor=patron, bib_record_id=record.pk), librarian, lender_librarian)
    req = act(req, "ship", lender_librarian)
    req = act(req, "receive", librarian)
    return act(req, "check_out", librarian) and act(req, "return_by_patron", librarian)


@pytest.fixture
def waiting(second_lender, record, third_librarian, lender_librarian, act):
    """PK-THIRD's request of the same record, which the same lender agreed to supply."""
    patron = PatronFactory(library=second_lender)
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    return _lent(act, req, third_librarian, lender_librarian)


def test_the_copy_goes_on_to_the_next_library_and_the_loans_change_hands(here, waiting, librarian, act):
    assert (waiting.status, waiting.supplier_id) == (states.WILL_SUPPLY, here.supplier_id)
    # when PK-HOME sends the copy on to PK-THIRD's request instead of back to the lender
    here = act(here, "ship_forward", librarian, forward_to=waiting.reference)
    # then PK-HOME's loan is over, for it and for the lender
    assert (here.status, here.supplier_status) == (states.COMPLETED, states.LOAN_COMPLETED)
    # and PK-THIRD's copy is on its way, on loan from the same lender with its own due date
    waiting.refresh_from_db()
    assert (waiting.status, waiting.supplier_status) == (states.SHIPPED, states.LOANED)
    assert waiting.due_date is not None
    shipped = IllEvent.objects.get(request=waiting, action="ship")
    assert shipped.actor_role == "system"
    assert shipped.note == f"Forwarded by PK-HOME from {here.reference} (ISO 18626 ShippedForward)."
    assert IllEvent.objects.get(request=here, action="ship_forward").data["forwarded_to"] == waiting.pk


@pytest.mark.parametrize("target", ["ILL-999999", "", "own", "not agreed"])
def test_a_copy_cannot_go_on_to_a_request_that_is_not_waiting_for_it(
    here, waiting, librarian, patron, record, act, target
):
    if target == "own":  # PK-HOME's own other request
        target = ill_request_create(actor=patron, bib_record_id=record.pk).reference
    elif target == "not agreed":  # PK-THIRD's request before the lender agreed
        IllRequest.objects.filter(pk=waiting.pk).update(status=states.SENT_TO_SUPPLIER)
        target = waiting.reference
    with pytest.raises(IllError) as refused:
        act(here, "ship_forward", librarian, forward_to=target)
    assert refused.value.details["field"] == "forward_to"
    assert "is not a request the copy can go on to" in refused.value.message
    here.refresh_from_db()
    assert (here.status, here.supplier_status) == (states.RETURNED_BY_PATRON, states.LOANED)


def test_the_button_shows_only_when_a_request_waits_for_the_copy(here, librarian, login, act, request):
    client = login(librarian)
    page = client.get(f"/ill/requests/{here.pk}/").content.decode()
    assert 'data-testid="action-ship_forward"' not in page
    waiting = request.getfixturevalue("waiting")
    page = client.get(f"/ill/requests/{here.pk}/").content.decode()
    assert 'data-testid="action-ship_forward"' in page
    assert f'<option value="{waiting.reference}">{waiting.reference} · PK-THIRD</option>' in page
    response = client.post(
        f"/ill/requests/{here.pk}/actions/ship_forward/",
        {"forward_to": waiting.reference, "expected_status": here.status},
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == states.SHIPPED


def test_the_borrowers_system_forwards_by_naming_the_next_request(
    here, waiting, library, library_token, iso_post
):
    key = library_token(library)
    say = {
        "borrower": "PK-HOME",
        "supplier": "PK-AWAY",
        "request_id": here.iso_request_id,
        "action": "ShippedForward",
    }
    # without saying where the copy went: refused, nothing moves
    conf = _error(iso_post(msgs.requesting(**say).bytes(), key), "UnrecognisedDataValue")
    assert "is not a request the copy can go on to" in conf["errorValue"]
    # naming PK-THIRD's request in the note
    _ok(iso_post(msgs.requesting(**say, note=f"Sent on to {waiting.reference}.").bytes(), key))
    here.refresh_from_db()
    waiting.refresh_from_db()
    assert (here.status, waiting.status) == (states.COMPLETED, states.SHIPPED)
