"""POST /iso18626 end to end on PostgreSQL: each message type moves requests through the
state machine as the web queues would, and every refusal leaves the database as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ill import states
from ill.models import IllEvent, IllMessage, IllRequest, RotaEntry
from tests.ill import iso18626_messages as msgs

pytestmark = pytest.mark.skipif(
    not msgs.SAMPLES.exists(), reason=f"ISO 18626 samples not found at {msgs.SAMPLES}"
)

ISBN = "9780198526636"


def _ok(response) -> dict:
    conf = msgs.confirmation(response.content)
    assert response.status_code == 200, response.content
    assert conf["messageStatus"] == "OK", conf
    return conf


def _error(response, error_type: str, *, status: int = 200) -> dict:
    conf = msgs.confirmation(response.content)
    assert response.status_code == status, response.content
    assert conf["messageStatus"] == "ERROR" and conf["errorType"] == error_type, conf
    return conf


def _snapshot(req: IllRequest) -> tuple:
    req.refresh_from_db()
    return req.status, req.supplier_status, req.supplier_id, IllEvent.objects.filter(request=req).count()


@pytest.fixture
def borrower_key(library, library_token):
    return library_token(library)


@pytest.fixture
def lender_key(lender, library_token):
    return library_token(lender)


@pytest.fixture
def iso_request(iso_record, borrower_key, iso_post):
    """A loan request sent by PK-HOME's own system (id KOHA-1), routed to its first lender."""
    _ok(iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-1", isbn=ISBN).bytes(), borrower_key))
    return IllRequest.objects.get(requesting_agency_request_id="KOHA-1")


def _supplier_says(iso_post, key, req, status, **kw):
    body = msgs.supplying(
        lender=req.supplier.code, borrower="PK-HOME", request_id=req.iso_request_id, status=status, **kw
    ).bytes()
    return iso_post(body, key)


def _borrower_says(iso_post, key, req, action, **kw):
    body = msgs.requesting(
        borrower="PK-HOME", supplier=req.supplier.code, request_id=req.iso_request_id, action=action, **kw
    ).bytes()
    return iso_post(body, key)


# ------------------------------------------------------------------------------ request


def test_request_creates_validates_and_routes_to_the_first_lender(
    iso_record, library, borrower_key, iso_post
):
    # given the sample request, for PK-HOME, naming the book by ISBN (and a patron)
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-1", isbn=ISBN).bytes()
    # when PK-HOME's system sends it
    conf = _ok(iso_post(body, borrower_key))
    # then it is confirmed, echoing the agencies, the timestamp and its id
    assert conf["kind"] == "requestConfirmation"
    assert conf["requestingAgencyRequestId"] == "KOHA-1"
    assert conf["timestamp"] == "2025-03-01T10:00:00+05:00"
    assert conf["timestampReceived"]
    # and the request exists for PK-HOME, found in the catalogue, validated and sent out
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-1")
    assert req.borrower == library and req.bib_record == iso_record and req.patron is None
    assert req.status == states.SENT_TO_SUPPLIER and req.supplier.code == "PK-AWAY"
    assert req.patron_reference == "patronId1 · surname1, givenName1"
    actions = list(req.events.values_list("action", flat=True))
    assert actions == ["submit", "validate", "start_sourcing", "send_to_supplier"]
    assert req.events.get(action="validate").data["via"] == "iso18626"


def test_a_request_listing_suppliers_has_them_asked_first_in_its_order(iso_record, borrower_key, iso_post):
    # given a request addressed to the portal whose supplierInfo lists PK-THIRD (sortOrder 2),
    # another network's library, PK-AWAY (sortOrder 1) and an agency named otherwise than by ISIL
    suppliers = (
        ("2", "ISIL", "PK-THIRD"),
        ("3", "ISIL", "US-NOWHERE"),
        ("1", "ISIL", "pk-away"),
        ("1", "OCLC", "X"),
    )
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-L", isbn=ISBN, suppliers=suppliers).bytes()
    _ok(iso_post(body, borrower_key))
    # then the rota asks PK-AWAY, then PK-THIRD, each saying it was named
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-L")
    rota = list(RotaEntry.objects.filter(request=req).order_by("position"))
    assert [e.lender.code for e in rota] == ["PK-AWAY", "PK-THIRD"]
    assert all(e.reason_data["named_first"] for e in rota)
    assert req.supplier.code == "PK-AWAY"


def test_the_addressed_supplier_comes_before_the_listed_ones(iso_record, borrower_key, iso_post):
    suppliers = (("1", "ISIL", "PK-AWAY"),)
    body = msgs.request(
        borrower="PK-HOME", request_id="KOHA-A", isbn=ISBN, supplier="PK-THIRD", suppliers=suppliers
    ).bytes()
    _ok(iso_post(body, borrower_key))
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-A")
    assert [e.lender.code for e in RotaEntry.objects.filter(request=req).order_by("position")] == [
        "PK-THIRD",
        "PK-AWAY",
    ]


def test_patron_info_is_shown_to_the_borrowing_library_only(iso_request, librarian, lender_librarian, login):
    own = login(librarian).get(f"/ill/requests/{iso_request.pk}/").content.decode()
    assert "patronId1" in own and "KOHA-1" in own
    theirs = login(lender_librarian).get(f"/ill/requests/{iso_request.pk}/").content.decode()
    assert iso_request.title in theirs and "patronId1" not in theirs and "surname1" not in theirs


def test_request_naming_a_member_supplier_asks_it_first(iso_record, borrower_key, iso_post):
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-2", isbn=ISBN, supplier="PK-THIRD").bytes()
    _ok(iso_post(body, borrower_key))
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-2")
    assert req.supplier.code == "PK-THIRD"
    first = RotaEntry.objects.get(request=req, position=1)
    assert "Named by the requesting library, asked in its order" in first.reason
    # the rest of the rota follows as usual
    assert RotaEntry.objects.filter(request=req, lender__code="PK-AWAY", status="pending").exists()


def test_request_for_a_book_not_in_the_catalogue_is_a_citation(iso_record, borrower_key, iso_post):
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-3", title="Aab-e-Gum", supplier="PK-THIRD")
    _ok(iso_post(body.bytes(), borrower_key))
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-3")
    assert req.bib_record is None and req.title == "Aab-e-Gum"
    assert req.supplier.code == "PK-THIRD"  # the named lender, asked although the catalogue has no holding


def test_copy_request_by_title_with_need_before_and_rush(iso_record, borrower_key, iso_post):
    need = timezone.localdate() + timedelta(days=10)
    body = msgs.request(
        borrower="PK-HOME", request_id="KOHA-4", title=iso_record.title, service="Copy", level="Rush",
        need_before=need,
    )  # fmt: skip
    _ok(iso_post(body.bytes(), borrower_key))
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-4")
    assert req.bib_record == iso_record  # matched by its title
    assert (req.service_type, req.service_level, req.needed_by) == ("copy", "rush", need)
    assert req.article_title == "titleOfComponent1" and req.pages == "pagesRequested1"


def test_the_same_request_id_twice_is_refused(iso_request, borrower_key, iso_post):
    before = IllRequest.objects.count()
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-1", isbn=ISBN).bytes()
    conf = _error(iso_post(body, borrower_key), "UnrecognisedDataValue")
    assert iso_request.reference in conf["errorValue"]
    assert IllRequest.objects.count() == before


def test_request_with_a_past_need_before_date_is_refused_naming_the_element(
    iso_record, borrower_key, iso_post
):
    body = msgs.request(
        borrower="PK-HOME",
        request_id="KOHA-5",
        isbn=ISBN,
        need_before=timezone.localdate() - timedelta(days=2),
    )
    conf = _error(iso_post(body.bytes(), borrower_key), "UnrecognisedDataValue")
    assert conf["errorValue"].startswith("serviceInfo/needBeforeDate:")
    assert not IllRequest.objects.exists()


def test_unknown_service_level_is_refused(iso_record, borrower_key, iso_post):
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-6", isbn=ISBN, level="serviceLevel1")
    conf = _error(iso_post(body.bytes(), borrower_key), "UnrecognisedDataValue")
    assert "serviceInfo/serviceLevel" in conf["errorValue"] and "serviceLevel1" in conf["errorValue"]


# ----------------------------------------------------------------- authentication, agencies


def test_without_a_token_401_with_an_error_confirmation(iso_record, iso_post):
    response = iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-7", isbn=ISBN).bytes())
    conf = _error(response, "UnrecognisedDataValue", status=401)
    assert response["WWW-Authenticate"] == "Token" and "Authorization" in conf["errorValue"]
    assert conf["requestingAgencyRequestId"] == "KOHA-7" and not IllRequest.objects.exists()


def test_a_revoked_or_wrong_token_is_401(iso_record, iso_post):
    response = iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-7").bytes(), "ish_not-a-key")
    _error(response, "UnrecognisedDataValue", status=401)


def test_a_signed_in_librarian_is_not_a_library_system(iso_record, librarian, login):
    client = login(librarian)
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-7").bytes()
    response = client.post("/iso18626", data=body, content_type="application/xml")
    _error(response, "UnrecognisedDataValue", status=401)
    assert not IllRequest.objects.exists()


def test_token_of_another_library_than_the_header_agency_is_403(iso_record, library, lender_key, iso_post):
    # PK-AWAY's token sends a request as if it were PK-HOME
    response = iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-8", isbn=ISBN).bytes(), lender_key)
    conf = _error(response, "UnrecognisedDataValue", status=403)
    assert "PK-HOME" in conf["errorValue"] and "PK-AWAY" in conf["errorValue"]
    assert not IllRequest.objects.exists()


def test_unknown_agency_is_refused(iso_record, borrower_key, iso_post):
    body = msgs.request(borrower="XX-NOWHERE", request_id="KOHA-9", isbn=ISBN).bytes()
    conf = _error(iso_post(body, borrower_key), "UnrecognisedDataValue")
    assert conf["errorValue"] == (
        "header/requestingAgencyId/agencyIdValue: “XX-NOWHERE” is not a member library of the consortium."
    )


def test_unknown_request_id_is_refused(iso_request, lender_key, iso_post):
    body = msgs.supplying(lender="PK-AWAY", borrower="PK-HOME", request_id="NO-SUCH", status="WillSupply")
    conf = _error(iso_post(body.bytes(), lender_key), "UnrecognisedDataValue")
    assert "NO-SUCH" in conf["errorValue"] and "requestingAgencyRequestId" in conf["errorValue"]


# -------------------------------------------------------------------- a loan, end to end


def test_loan_from_request_to_completion_between_two_systems(
    iso_request, borrower_key, library_token, iso_post
):
    req = iso_request
    key = library_token(req.supplier)
    due = timezone.localdate() + timedelta(days=30)
    # the lender's system answers WillSupply, then Loaned with a due date
    conf = _ok(_supplier_says(iso_post, key, req, "WillSupply"))
    assert (
        conf["kind"] == "supplyingAgencyMessageConfirmation" and conf["reasonForMessage"] == "RequestResponse"
    )
    req.refresh_from_db()
    assert (req.status, req.supplier_status) == (states.WILL_SUPPLY, states.WILL_SUPPLY_S)
    _ok(_supplier_says(iso_post, key, req, "Loaned", reason="StatusChange", due=due))
    req.refresh_from_db()
    assert (req.status, req.supplier_status, req.due_date) == (states.SHIPPED, states.LOANED, due)
    # the borrower's system: Received, later ShippedReturn
    conf = _ok(_borrower_says(iso_post, borrower_key, req, "Received"))
    assert conf["kind"] == "requestingAgencyMessageConfirmation" and conf["action"] == "Received"
    req.refresh_from_db()
    assert req.status == states.RECEIVED
    _ok(_borrower_says(iso_post, borrower_key, req, "ShippedReturn"))
    req.refresh_from_db()
    assert (req.status, req.supplier_status) == (states.SHIPPED_RETURN, states.RETURN_SHIPPED)
    # the lender's LoanCompleted completes it
    _ok(_supplier_says(iso_post, key, req, "LoanCompleted", reason="StatusChange"))
    req.refresh_from_db()
    assert (req.status, req.supplier_status) == (states.COMPLETED, states.LOAN_COMPLETED)
    assert list(req.events.values_list("action", flat=True))[4:] == [
        "will_supply", "ship", "receive", "ship_return", "check_in",
    ]  # fmt: skip
    assert all(e.data.get("via") == "iso18626" for e in req.events.all()[4:])
    assert all(e.actor_library_id in (req.borrower_id, req.supplier_id) for e in req.events.all()[4:])


def test_loaned_without_will_supply_first_and_a_request_made_on_the_portal(sent, lender_key, iso_post):
    # a patron's web request, answered by the lender's system by its reference (ILL-n)
    assert sent.requesting_agency_request_id == "" and sent.iso_request_id == sent.reference
    _ok(_supplier_says(iso_post, lender_key, sent, "Loaned"))
    sent.refresh_from_db()
    assert (sent.status, sent.supplier_status) == (states.SHIPPED, states.LOANED)
    assert list(sent.events.values_list("action", flat=True))[-2:] == ["will_supply", "ship"]
    assert sent.due_date == timezone.localdate() + timedelta(days=21)  # the agreement's loan period


def test_unfilled_asks_the_next_lender(iso_request, library_token, iso_post):
    first = iso_request.supplier
    key = library_token(first)
    _ok(
        _supplier_says(
            iso_post, key, iso_request, "Unfilled", reason_unfilled="NotOnShelf", note="At the bindery"
        )
    )
    iso_request.refresh_from_db()
    assert iso_request.status == states.SENT_TO_SUPPLIER and iso_request.supplier.code == "PK-THIRD"
    entry = RotaEntry.objects.get(request=iso_request, lender=first)
    assert (entry.status, entry.reason_unfilled, entry.note) == ("unfilled", "NotOnShelf", "At the bindery")
    assert entry.supplier_request_id == "supplyingAgencyRequestId1"


def test_unknown_reason_unfilled_is_refused(iso_request, lender_key, iso_post):
    before = _snapshot(iso_request)
    response = _supplier_says(iso_post, lender_key, iso_request, "Unfilled", reason_unfilled="Bored")
    conf = _error(response, "UnrecognisedDataValue")
    assert "messageInfo/reasonUnfilled" in conf["errorValue"] and "Bored" in conf["errorValue"]
    assert _snapshot(iso_request) == before


def test_expect_to_supply_conditions_and_retry(iso_request, lender_key, borrower_key, iso_post):
    _ok(_supplier_says(iso_post, lender_key, iso_request, "ExpectToSupply"))
    iso_request.refresh_from_db()
    assert iso_request.status == states.EXPECT_TO_SUPPLY
    _ok(_supplier_says(iso_post, lender_key, iso_request, "WillSupply", condition="LibraryUseOnly"))
    iso_request.refresh_from_db()
    assert (iso_request.status, iso_request.loan_condition) == (states.CONDITIONAL_ANSWER, "LibraryUseOnly")


def test_the_borrowers_system_agrees_to_the_conditions_with_reshares_notification(
    iso_request, lender_key, borrower_key, iso_post
):
    # given the lender will lend for use in the library only
    _ok(_supplier_says(iso_post, lender_key, iso_request, "WillSupply", condition="LibraryUseOnly"))
    # when PK-HOME's system agrees the way ReShare does (a Notification with its marker)
    note = "#ReShareLoanConditionAgreeResponse# Our reader will read it in the library."
    _ok(_borrower_says(iso_post, borrower_key, iso_request, "Notification", note=note))
    # then the conditions are accepted: the lender is to supply, the words go with the event
    iso_request.refresh_from_db()
    assert (iso_request.status, iso_request.supplier_status) == (states.WILL_SUPPLY, states.WILL_SUPPLY_S)
    event = IllEvent.objects.filter(request=iso_request).latest("pk")
    assert (event.action, event.note) == ("accept_conditions", "Our reader will read it in the library.")


def test_agreeing_to_conditions_nobody_set_is_refused(iso_request, borrower_key, iso_post):
    before = _snapshot(iso_request)
    response = _borrower_says(
        iso_post, borrower_key, iso_request, "Notification", note="#ReShareLoanConditionAgreeResponse#"
    )
    conf = _error(response, "UnsupportedActionType")
    assert conf["errorValue"].startswith("note: “#ReShareLoanConditionAgreeResponse#” is not possible now")
    assert _snapshot(iso_request) == before


def test_the_same_status_again_is_confirmed_and_changes_nothing(iso_request, lender_key, iso_post):
    _ok(_supplier_says(iso_post, lender_key, iso_request, "WillSupply"))
    before = _snapshot(iso_request)
    _ok(_supplier_says(iso_post, lender_key, iso_request, "WillSupply", reason="StatusRequestResponse"))
    _ok(_supplier_says(iso_post, lender_key, iso_request, "RequestReceived"))  # an acknowledgement
    assert _snapshot(iso_request)[:3] == before[:3] and _snapshot(iso_request)[3] == before[3]


def test_a_lender_not_asked_cannot_act(iso_request, library_token, second_lender, iso_post):
    # PK-THIRD holds the book but was not asked
    before = _snapshot(iso_request)
    body = msgs.supplying(lender="PK-THIRD", borrower="PK-HOME", request_id="KOHA-1", status="WillSupply")
    conf = _error(iso_post(body.bytes(), library_token(second_lender)), "UnrecognisedDataValue")
    assert conf["errorValue"].startswith("header/supplyingAgencyId/agencyIdValue: PK-THIRD is not the lender")
    assert _snapshot(iso_request) == before


def test_an_action_out_of_turn_is_refused(iso_request, lender_key, borrower_key, iso_post):
    before = _snapshot(iso_request)
    # the lender says LoanCompleted before lending; the borrower says Received before shipping
    conf = _error(_supplier_says(iso_post, lender_key, iso_request, "LoanCompleted"), "UnrecognisedDataValue")
    assert conf["errorValue"].startswith("statusInfo/status: “LoanCompleted” is not possible now")
    assert "sent_to_supplier" in conf["errorValue"]
    conf = _error(_borrower_says(iso_post, borrower_key, iso_request, "Received"), "UnsupportedActionType")
    assert conf["errorValue"].startswith("action: “Received” is not possible now")
    assert _snapshot(iso_request) == before


def test_a_status_with_an_unsupported_reason_is_refused(iso_request, lender_key, iso_post):
    before = _snapshot(iso_request)
    response = _supplier_says(
        iso_post, lender_key, iso_request, "Loaned", reason="CancelResponse", answer="Y"
    )
    _error(response, "UnsupportedReasonForMessageType")
    response = _supplier_says(iso_post, lender_key, iso_request, "Loaned", reason="RenewResponse")
    conf = _error(response, "BadlyFormedMessage")
    assert "answerYesNo" in conf["errorValue"]
    assert _snapshot(iso_request) == before


# ------------------------------------------------------------- renew, cancel, overdue, copies


@pytest.fixture
def on_loan(iso_request, lender_key, borrower_key, iso_post):
    """The lender's system lent the book and the borrower's system received it."""
    _ok(_supplier_says(iso_post, lender_key, iso_request, "Loaned"))
    _ok(_borrower_says(iso_post, borrower_key, iso_request, "Received"))
    iso_request.refresh_from_db()
    return iso_request


def test_renew_and_the_lenders_yes(on_loan, lender_key, borrower_key, iso_post):
    _ok(_borrower_says(iso_post, borrower_key, on_loan, "Renew"))
    on_loan.refresh_from_db()
    assert (on_loan.status, on_loan.supplier_status) == (states.RENEW_PENDING, states.RENEW_REQUESTED)
    due = timezone.localdate() + timedelta(days=60)
    _ok(_supplier_says(iso_post, lender_key, on_loan, "Loaned", reason="RenewResponse", answer="Y", due=due))
    on_loan.refresh_from_db()
    assert (on_loan.status, on_loan.due_date, on_loan.renewals_used) == (states.CHECKED_OUT, due, 1)
    # the agreement allows one renewal: a second Renew is refused with the reason
    conf = _error(_borrower_says(iso_post, borrower_key, on_loan, "Renew"), "UnrecognisedDataValue")
    assert "renewal" in conf["errorValue"]


def test_renew_refused(on_loan, lender_key, borrower_key, iso_post):
    _ok(_borrower_says(iso_post, borrower_key, on_loan, "Renew"))
    _ok(_supplier_says(iso_post, lender_key, on_loan, "Loaned", reason="RenewResponse", answer="N"))
    on_loan.refresh_from_db()
    assert on_loan.status == states.CHECKED_OUT and on_loan.renewals_used == 0


def test_refusing_the_renewal_of_an_overdue_loan_keeps_it_overdue_with_its_due_date(
    on_loan, lender_key, borrower_key, iso_post
):
    # given a loan past its due date, which the lender's system reported Overdue
    due = on_loan.due_date
    with time_machine.travel(timezone.now() + timedelta(days=(due - timezone.localdate()).days + 3)):
        _ok(_supplier_says(iso_post, lender_key, on_loan, "Overdue", reason="StatusChange"))
        # when the borrower asks to renew and the lender says no (status still Overdue)
        _ok(_borrower_says(iso_post, borrower_key, on_loan, "Renew"))
        _ok(_supplier_says(iso_post, lender_key, on_loan, "Overdue", reason="RenewResponse", answer="N"))
    # then the loan is still overdue on both sides, due when it was
    on_loan.refresh_from_db()
    assert (on_loan.status, on_loan.supplier_status) == (states.OVERDUE, states.OVERDUE_S)
    assert on_loan.due_date == due and on_loan.renewals_used == 0


def test_overdue_recalled_and_returned(on_loan, lender_key, borrower_key, iso_post):
    _ok(_supplier_says(iso_post, lender_key, on_loan, "Overdue", reason="StatusChange"))
    on_loan.refresh_from_db()
    assert (on_loan.status, on_loan.supplier_status) == (states.OVERDUE, states.OVERDUE_S)
    _ok(_supplier_says(iso_post, lender_key, on_loan, "Recalled", reason="StatusChange"))
    on_loan.refresh_from_db()
    assert on_loan.status == states.RECALLED
    _ok(_borrower_says(iso_post, borrower_key, on_loan, "ShippedReturn"))  # returned by patron, then shipped
    on_loan.refresh_from_db()
    assert on_loan.status == states.SHIPPED_RETURN
    assert list(on_loan.events.values_list("action", flat=True))[-2:] == ["return_by_patron", "ship_return"]


def test_cancel_and_the_lenders_yes(iso_request, lender_key, borrower_key, iso_post):
    _ok(_borrower_says(iso_post, borrower_key, iso_request, "Cancel", note="Patron found a copy"))
    iso_request.refresh_from_db()
    assert (iso_request.status, iso_request.supplier_status) == (
        states.CANCEL_PENDING,
        states.CANCEL_REQUESTED,
    )
    _ok(_supplier_says(iso_post, lender_key, iso_request, "Cancelled", reason="CancelResponse", answer="Y"))
    iso_request.refresh_from_db()
    assert (iso_request.status, iso_request.supplier_status) == (states.CANCELLED, states.CANCELLED_S)


def test_cancel_refused_the_lender_supplies(iso_request, lender_key, borrower_key, iso_post):
    _ok(_borrower_says(iso_post, borrower_key, iso_request, "Cancel"))
    _ok(_supplier_says(iso_post, lender_key, iso_request, "WillSupply", reason="CancelResponse", answer="N"))
    iso_request.refresh_from_db()
    assert iso_request.status == states.WILL_SUPPLY


def test_copy_completed_then_received(iso_record, borrower_key, library_token, iso_post):
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-C", isbn=ISBN, service="Copy")
    _ok(iso_post(body.bytes(), borrower_key))
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-C")
    _ok(_supplier_says(iso_post, library_token(req.supplier), req, "CopyCompleted", reason="StatusChange"))
    req.refresh_from_db()
    assert (req.status, req.supplier_status) == (states.COPY_DELIVERED, states.COPY_COMPLETED)
    assert req.events.get(action="deliver_copy").data["delivered_via"] == "ISO 18626"  # no sentVia given
    _ok(_borrower_says(iso_post, borrower_key, req, "Received"))
    req.refresh_from_db()
    assert req.status == states.COMPLETED


# -------------------------------------------------------------- notifications and the rest


def test_a_notification_without_a_note_is_acknowledged_on_either_side(
    iso_request, lender_key, borrower_key, iso_post
):
    # messageInfo/note (and requestingAgencyMessage/note) are optional in the schema, and
    # real peers send Notifications without one: both are answered OK, nothing else changes
    before = _snapshot(iso_request)
    _ok(_supplier_says(iso_post, lender_key, iso_request, "RequestReceived", reason="Notification"))
    _ok(_borrower_says(iso_post, borrower_key, iso_request, "Notification"))
    assert _snapshot(iso_request) == before
    assert not IllMessage.objects.filter(request=iso_request).exists()


def test_an_unknown_action_or_reason_gets_the_standards_own_error_type(
    iso_request, lender_key, borrower_key, iso_post
):
    # an action the standard does not list is UnsupportedActionType
    conf = _error(_borrower_says(iso_post, borrower_key, iso_request, "Teleport"), "UnsupportedActionType")
    assert "action" in conf["errorValue"] and "Teleport" in conf["errorValue"]
    # and a reason for a message it does not list is UnsupportedReasonForMessageType
    response = _supplier_says(iso_post, lender_key, iso_request, "RequestReceived", reason="Gossip")
    conf = _error(response, "UnsupportedReasonForMessageType")
    assert "reasonForMessage" in conf["errorValue"]


def test_notifications_are_stored_as_messages_between_the_libraries(
    iso_request, lender_key, borrower_key, iso_post
):
    _ok(
        _supplier_says(
            iso_post, lender_key, iso_request, "RequestReceived", reason="Notification", note="Pulling it"
        )
    )
    _ok(_borrower_says(iso_post, borrower_key, iso_request, "Notification", note="Thank you"))
    messages = list(
        IllMessage.objects.filter(request=iso_request).values_list("sender__code", "recipient__code", "body")
    )
    assert messages == [("PK-AWAY", "PK-HOME", "Pulling it"), ("PK-HOME", "PK-AWAY", "Thank you")]
    iso_request.refresh_from_db()
    assert iso_request.supplier_status == states.REQUEST_RECEIVED


def test_status_request_without_an_endpoint_and_shipped_forward_before_the_copy_came_are_refused(
    iso_request, borrower_key, iso_post
):
    before = _snapshot(iso_request)
    conf = _error(
        _borrower_says(iso_post, borrower_key, iso_request, "StatusRequest"), "UnsupportedActionType"
    )
    assert "endpoint" in conf["errorValue"]
    conf = _error(
        _borrower_says(iso_post, borrower_key, iso_request, "ShippedForward"), "UnsupportedActionType"
    )
    assert conf["errorValue"].startswith("action: “ShippedForward” is not possible now")
    assert _snapshot(iso_request) == before


def test_bare_messages_as_in_the_samples_are_accepted(iso_request, lender_key, iso_post):
    body = msgs.supplying(lender="PK-AWAY", borrower="PK-HOME", request_id="KOHA-1", status="WillSupply")
    _ok(iso_post(body.bytes(wrapped=False), lender_key))


def test_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/iso18626:" in schema and "application/xml" in schema
