"""ISO 18626 serviceInfo/requestType: New creates a request; Retry asks again, on changed
terms, the lender that offered a retry (RetryPossible); Reminder of a request is recorded.
A Retry or a Reminder of an unknown request is an ERROR and creates nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consortium import clock
from ill import states
from ill.iso18626 import xml
from ill.models import IllEvent, IllRequest, Iso18626Delivery, RotaEntry, ServiceLevel
from tests.ill import iso18626_messages as msgs
from tests.ill.test_iso18626_endpoint import ISBN, _error, _ok, _snapshot, _supplier_says

pytestmark = pytest.mark.skipif(
    not msgs.SAMPLES.exists(), reason=f"ISO 18626 samples not found at {msgs.SAMPLES}"
)


@pytest.fixture
def keys(library, lender, second_lender, library_token):
    return {code.code: library_token(code) for code in (library, lender, second_lender)}


@pytest.fixture
def sent(iso_record, keys, iso_post):
    """PK-HOME's system asks for the book (id KOHA-1); the portal asks its first lender."""
    _ok(iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-1", isbn=ISBN).bytes(), keys["PK-HOME"]))
    return IllRequest.objects.get(requesting_agency_request_id="KOHA-1")


def _lender_says(iso_post, keys, req, status, **kw):
    req.refresh_from_db()
    return _supplier_says(iso_post, keys[req.supplier.code], req, status, **kw)


def _again(iso_post, keys, request_type, *, request_id="KOHA-1", **kw):
    body = msgs.request(borrower="PK-HOME", request_id=request_id, isbn=ISBN, request_type=request_type, **kw)
    return iso_post(body.bytes(), keys["PK-HOME"])


def _offers_retry(iso_post, keys, req) -> str:
    """The lender asked answers RetryPossible (the cost exceeds the maximum); its code."""
    req.refresh_from_db()
    offering = req.supplier.code
    _ok(_lender_says(iso_post, keys, req, "RetryPossible", reason_retry="CostExceedsMaxCost"))
    return offering


def test_a_retry_at_the_end_of_the_rota_asks_the_lender_that_offered_it_on_the_new_terms(
    sent, keys, iso_post
):
    # given the first lender offered a retry and the second could not supply: end of rota
    offering = _offers_retry(iso_post, keys, sent)
    _ok(_lender_says(iso_post, keys, sent, "Unfilled", reason_unfilled="NotOnShelf"))
    sent.refresh_from_db()
    assert sent.status == states.END_OF_ROTA
    # when PK-HOME's system retries the same request, now rush and needed within a week
    need = clock.today() + timedelta(days=7)
    _ok(_again(iso_post, keys, "Retry", level="Rush", need_before=need, note="We will pay the fee."))
    # then the same request (no new one) is with the lender that offered the retry again
    assert IllRequest.objects.filter(borrower=sent.borrower).count() == 1
    sent.refresh_from_db()
    assert (sent.status, sent.supplier.code) == (states.SENT_TO_SUPPLIER, offering)
    assert (sent.service_level, sent.needed_by) == (ServiceLevel.RUSH, need)
    # and its history says so, with the terms changed and the reason the lender gave
    retry = IllEvent.objects.get(request=sent, action="retry")
    assert retry.data["reason_retry"] == "CostExceedsMaxCost" and retry.note == "We will pay the fee."
    assert retry.data["terms"] == {"service_level": "rush", "needed_by": need.isoformat()}
    entry = RotaEntry.objects.get(request=sent, position=sent.rota_position)
    assert entry.reason_data["retry"] is True and entry.round == 2


def test_a_retry_while_another_lender_considers_it_asks_the_offering_lender_next(sent, keys, iso_post):
    # given the first lender offered a retry and the portal asked the second
    offering = _offers_retry(iso_post, keys, sent)
    sent.refresh_from_db()
    second = sent.supplier.code
    assert second != offering and sent.status == states.SENT_TO_SUPPLIER
    # when PK-HOME's system retries: the second lender keeps considering it
    _ok(_again(iso_post, keys, "Retry"))
    sent.refresh_from_db()
    assert sent.supplier.code == second
    # then when the second lender cannot supply, the offering lender is asked again at once
    _ok(_lender_says(iso_post, keys, sent, "Unfilled", reason_unfilled="NotOnShelf"))
    sent.refresh_from_db()
    assert (sent.status, sent.supplier.code) == (states.SENT_TO_SUPPLIER, offering)


@pytest.fixture
def lender_system(lender):
    """The lender runs an ILL system of its own (nothing listens there: deliveries fail
    and stay queued as written)."""
    lender.iso18626_url = "http://127.0.0.1:9/iso18626"
    lender.save(update_fields=["iso18626_url"])
    return lender


def test_a_retry_goes_to_the_lenders_system_as_a_retry(lender_system, sent, keys, iso_post):
    # given the lender with its own ILL system offered a retry, and the other said no
    lender = lender_system
    sent.refresh_from_db()
    if sent.supplier_id != lender.pk:
        _ok(_lender_says(iso_post, keys, sent, "Unfilled", reason_unfilled="NotOnShelf"))
    _offers_retry(iso_post, keys, sent)
    sent.refresh_from_db()
    if sent.status != states.END_OF_ROTA:
        _ok(_lender_says(iso_post, keys, sent, "Unfilled", reason_unfilled="NotOnShelf"))
    # when PK-HOME's system retries
    _ok(_again(iso_post, keys, "Retry"))
    # then the request sent to the lender's system is a Retry (and the first one was New)
    sent_to_lender = Iso18626Delivery.objects.filter(library=lender, kind="request").order_by("pk")
    types = [xml.parse(d.body.encode()).text("serviceInfo/requestType") for d in sent_to_lender]
    assert types == ["New", "Retry"]


def test_a_retry_nobody_offered_is_an_error_and_changes_nothing(sent, keys, iso_post):
    # given the first lender could not supply (no retry offered) and the second is asked
    _ok(_lender_says(iso_post, keys, sent, "Unfilled", reason_unfilled="NotOnShelf"))
    before = _snapshot(sent)
    conf = _error(_again(iso_post, keys, "Retry", level="Rush"), "UnrecognisedDataValue")
    assert conf["errorValue"].startswith("serviceInfo/requestType: No lender offered a retry of request")
    assert _snapshot(sent) == before and sent.service_level == ServiceLevel.NORMAL


def test_a_retry_once_a_lender_supplies_is_an_error(sent, keys, iso_post):
    _offers_retry(iso_post, keys, sent)
    _ok(_lender_says(iso_post, keys, sent, "WillSupply"))
    before = _snapshot(sent)
    conf = _error(_again(iso_post, keys, "Retry"), "UnrecognisedDataValue")
    assert "cannot be retried now" in conf["errorValue"]
    assert _snapshot(sent) == before


def test_a_reminder_is_recorded_where_the_lender_asked_sees_it(sent, keys, iso_post):
    before = _snapshot(sent)
    # when PK-HOME's system sends a reminder of KOHA-1
    _ok(_again(iso_post, keys, "Reminder", note="Our reader asks after it."))
    # then nothing moves, and the history has the reminder, naming the lender asked
    reminder = IllEvent.objects.get(request=sent, action="reminder")
    assert (reminder.note, reminder.supplier_id) == ("Our reader asks after it.", sent.supplier_id)
    assert _snapshot(sent)[:3] == before[:3]
    assert IllRequest.objects.count() == 1


@pytest.mark.parametrize("request_type", ["Reminder", "Retry"])
def test_a_reminder_or_retry_of_an_unknown_request_is_an_error(iso_record, keys, iso_post, request_type):
    conf = _error(_again(iso_post, keys, request_type, request_id="KOHA-404"), "UnrecognisedDataValue")
    assert conf["errorValue"].startswith("header/requestingAgencyRequestId: “KOHA-404” names no")
    assert not IllRequest.objects.exists()
