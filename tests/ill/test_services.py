"""The transition service: every path of the machine, actors, and refusals that write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ill import exceptions as err
from ill import states
from ill.models import DeliveredCopy, IllEvent, IllRequest, RotaEntry
from ill.services import ill_request_create, ill_request_transition
from members.models import OutboundEmail
from tests.factories import PatronFactory
from tests.ill.factories import HoldingFactory, held_by

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _outbox_to(address):
    return [e for e in OutboundEmail.objects.order_by("pk") if address in e.to]


def test_patron_request_is_submitted_with_event_and_notices(submitted, patron, library):
    assert submitted.status == states.SUBMITTED and submitted.borrower == library
    event = submitted.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "submit",
        "",
        "submitted",
        patron,
    )
    assert _outbox_to(patron.email)[0].subject.startswith("We received your request")
    assert _outbox_to(library.email)  # the home library is told there is one to validate


def test_full_loan_path_to_completion(sent, librarian, lender_librarian, act, patron, lender):
    # lender answers and ships: due date from the agreement's loan period (21 days)
    req = act(sent, "will_supply", lender_librarian)
    assert (req.status, req.supplier_status) == (states.WILL_SUPPLY, "WillSupply")
    req = act(req, "ship", lender_librarian)
    assert req.status == states.SHIPPED and req.due_date == timezone.localdate() + timedelta(days=21)
    for action, actor, expected in [
        ("receive", librarian, states.RECEIVED),
        ("check_out", librarian, states.CHECKED_OUT),
        ("return_by_patron", librarian, states.RETURNED_BY_PATRON),
        ("ship_return", librarian, states.SHIPPED_RETURN),
        ("check_in", lender_librarian, states.COMPLETED),
    ]:
        req = act(req, action, actor)
        assert req.status == expected
    assert req.supplier_status == "LoanCompleted"
    actions = list(req.events.values_list("action", flat=True))
    assert actions == [
        "submit", "validate", "start_sourcing", "send_to_supplier", "will_supply", "ship", "receive",
        "check_out", "return_by_patron", "ship_return", "check_in",
    ]  # fmt: skip
    subjects = [e.subject for e in _outbox_to(patron.email)]
    assert any("on its way" in s for s in subjects) and any("ready for pickup" in s for s in subjects)
    assert any("shipped back" in e.subject for e in _outbox_to(lender.email))


def test_copy_path_pdf_delivered_then_completed(
    patron, record, librarian, lender_librarian, act, client, login
):
    req = ill_request_create(
        actor=patron, bib_record_id=record.pk, service_type="copy", article_title="Ch. 3", pages="40-55"
    )
    req = act(req, "validate", librarian)
    from ill.routing import route

    route(request_id=req.pk)
    req.refresh_from_db()
    req = act(req, "deliver_copy", lender_librarian, file=SimpleUploadedFile("ch3.pdf", PDF))
    assert (req.status, req.supplier_status) == (states.COPY_DELIVERED, "CopyCompleted")
    page = login(patron).get(f"/ill/my-requests/{req.pk}/")
    link = page.context["copy_url"]
    assert login(patron).get(link).status_code == 200
    assert client.get(link).status_code in (302, 404)  # never public
    req = act(req, "complete_copy", patron)
    assert req.status == states.COMPLETED


@pytest.fixture
def copy_sent(patron, record, librarian, act):
    req = ill_request_create(
        actor=patron, bib_record_id=record.pk, service_type="copy", article_title="Ch. 1"
    )
    act(req, "validate", librarian)
    from ill.routing import route

    route(request_id=req.pk)
    req.refresh_from_db()
    return req


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"GIF89a\x01\x00" + b"x" * 100, "scan.pdf", "is not a PDF"),
        (b"PK\x03\x04 word document", "thesis.docx", "is not a PDF"),
        (b"", "empty.pdf", "is empty"),
    ],
)
def test_uploads_that_are_not_pdfs_are_refused(copy_sent, lender_librarian, content, name, message):
    with pytest.raises(err.IllError, match=message):
        ill_request_transition(request_id=copy_sent.pk, action="deliver_copy", actor=lender_librarian,
                               file=SimpleUploadedFile(name, content))  # fmt: skip
    copy_sent.refresh_from_db()
    assert copy_sent.status == states.SENT_TO_SUPPLIER and not DeliveredCopy.objects.exists()


def test_too_large_upload_is_refused(settings, copy_sent, lender_librarian):
    settings.ILL_COPY_MAX_BYTES = 1024
    with pytest.raises(err.IllError, match="the limit is"):
        ill_request_transition(request_id=copy_sent.pk, action="deliver_copy", actor=lender_librarian,
                               file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2048))  # fmt: skip
    assert not DeliveredCopy.objects.exists()


def test_action_out_of_turn_names_both_states_and_lists_available(submitted, librarian):
    with pytest.raises(err.InvalidTransition) as exc:
        ill_request_transition(request_id=submitted.pk, action="receive", actor=librarian)
    text = str(exc.value)
    # people read labels; API clients get the codes
    assert "“Submitted, awaiting validation”" in text and "“Validate”" in text and "“Refuse”" in text
    assert exc.value.details["status"] == states.SUBMITTED and "validate" in exc.value.details["available"]
    submitted.refresh_from_db()
    assert submitted.status == states.SUBMITTED and submitted.events.count() == 1


def test_lender_not_asked_cannot_act(sent, second_lender_librarian):
    with pytest.raises(err.IllPermissionDenied, match=str(err.NOT_ASKED)):
        ill_request_transition(request_id=sent.pk, action="will_supply", actor=second_lender_librarian)


def test_patron_cannot_take_staff_actions_and_others_cannot_see(submitted, patron, library):
    with pytest.raises(err.IllPermissionDenied):
        ill_request_transition(request_id=submitted.pk, action="validate", actor=patron)
    stranger = PatronFactory(library=library)
    with pytest.raises(err.IllNotFound):
        ill_request_transition(request_id=submitted.pk, action="cancel", actor=stranger)


def test_unknown_action_is_refused(submitted, librarian):
    with pytest.raises(err.IllError, match="not an ILL action"):
        ill_request_transition(request_id=submitted.pk, action="teleport", actor=librarian)


def test_refuse_needs_a_known_reason(submitted, librarian, act, patron):
    with pytest.raises(err.IllError, match="not a known reason"):
        ill_request_transition(request_id=submitted.pk, action="refuse", actor=librarian, reason="bored")
    req = act(submitted, "refuse", librarian, reason="invalid_patron")
    assert req.status == states.REFUSED and req.refusal_reason == "invalid_patron"
    assert any("cancelled" in e.subject for e in _outbox_to(patron.email))


def test_validation_checks_duplicate_held_locally_and_limit(patron, record, librarian, library, settings):
    first = ill_request_create(actor=patron, bib_record_id=record.pk)
    second = ill_request_create(actor=patron, bib_record_id=record.pk)
    with pytest.raises(err.IllError, match="Duplicate") as exc:
        ill_request_transition(request_id=second.pk, action="validate", actor=librarian)
    assert exc.value.code == "duplicate"
    # staff may override, and the override is in the history
    ill_request_transition(request_id=second.pk, action="validate", actor=librarian, override=True)
    assert IllEvent.objects.get(request=second, action="validate").data == {"overridden": "duplicate"}
    HoldingFactory(bib_record=record, library=library)
    with pytest.raises(err.IllError, match="own library"):
        ill_request_transition(request_id=first.pk, action="validate", actor=librarian)
    settings.ILL_PATRON_MAX_OPEN = 1
    other = held_by(record.holdings.exclude(library=library).first().library)
    third = ill_request_create(actor=patron, bib_record_id=other.pk)
    with pytest.raises(err.IllError, match="limit"):
        ill_request_transition(request_id=third.pk, action="validate", actor=librarian)


def test_unfilled_moves_to_next_lender_and_end_of_rota_reports(
    patron,
    lender,
    second_lender,
    agreement,
    librarian,
    lender_librarian,
    second_lender_librarian,
    act,
    library,
):
    record = held_by(lender, second_lender)
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    act(req, "validate", librarian)
    from ill.routing import route

    route(request_id=req.pk)
    req.refresh_from_db()
    first = req.supplier
    first_staff = lender_librarian if first == lender else second_lender_librarian
    second_staff = second_lender_librarian if first == lender else lender_librarian
    req = act(req, "unfilled", first_staff, reason_unfilled="NotOnShelf")
    assert req.status == states.SOURCING
    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.status == states.SENT_TO_SUPPLIER and req.supplier != first
    req = act(req, "unfilled", second_staff, reason_unfilled="PoorCondition")
    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.status == states.END_OF_ROTA
    event = req.events.get(action="end_of_rota")
    assert any(r["reason_unfilled"] == "NotOnShelf" for r in event.data["reasons"])
    [notice] = [e for e in _outbox_to(library.email) if "no lender could supply" in e.subject]
    assert "Not on shelf" in notice.body and "Poor condition" in notice.body
    # cancel after end of rota tells the patron it could not be filled
    req = act(req, "cancel", librarian)
    assert any("could not be filled" in e.subject for e in _outbox_to(patron.email))


def test_conditions_accept_and_reject(sent, librarian, lender_librarian, act):
    req = act(sent, "will_supply_with_conditions", lender_librarian, condition="LibraryUseOnly")
    assert req.status == states.CONDITIONAL_ANSWER and req.loan_condition == "LibraryUseOnly"
    req = act(req, "accept_conditions", librarian)
    assert (req.status, req.supplier_status) == (states.WILL_SUPPLY, "WillSupply")


def test_reject_conditions_goes_to_next_lender(sent, librarian, lender_librarian, act):
    req = act(sent, "will_supply_with_conditions", lender_librarian, condition="NoReproduction")
    req = act(req, "reject_conditions", librarian)
    assert req.status == states.SOURCING and req.supplier_status == "Cancelled"
    assert RotaEntry.objects.get(request=req, lender=req.supplier).status == RotaEntry.Status.CANCELLED


def _loaned(sent, librarian, lender_librarian, act):
    req = act(sent, "will_supply", lender_librarian)
    req = act(req, "ship", lender_librarian)
    req = act(req, "receive", librarian)
    return act(req, "check_out", librarian)


def test_renewal_asked_and_answered_once(sent, librarian, lender_librarian, patron, act, lender):
    req = _loaned(sent, librarian, lender_librarian, act)
    due = req.due_date
    req = act(req, "renew", patron)
    assert req.status == states.RENEW_PENDING and req.supplier_status == "RenewRequested"
    assert any("Renewal asked" in e.subject for e in _outbox_to(lender.email))
    req = act(req, "approve_renewal", lender_librarian)
    assert req.status == states.CHECKED_OUT and req.due_date == due + timedelta(days=21)
    with pytest.raises(err.IllError, match="renewal"):
        ill_request_transition(request_id=req.pk, action="renew", actor=patron)


def test_recall_lost_and_cancel_paths(sent, librarian, lender_librarian, act, patron):
    req = _loaned(sent, librarian, lender_librarian, act)
    req = act(req, "recall", lender_librarian)
    assert req.status == states.RECALLED
    with pytest.raises(err.IllError, match="needs a note"):
        ill_request_transition(request_id=req.pk, action="report_lost", actor=librarian)
    req = act(req, "report_lost", librarian, note="Patron lost it on the bus")
    assert req.supplier_status == "LostReported"
    req = act(req, "complete_without_return", lender_librarian)
    assert (req.status, req.supplier_status) == (states.COMPLETED, "CompletedWithoutReturn")


def test_cancel_asked_and_answered(sent, patron, lender_librarian, act, lender):
    req = act(sent, "request_cancel", patron)
    assert req.status == states.CANCEL_PENDING and req.supplier_status == "CancelRequested"
    assert any("Cancellation asked" in e.subject for e in _outbox_to(lender.email))
    req = act(req, "answer_cancel_yes", lender_librarian)
    assert req.status == states.CANCELLED


def test_patron_of_another_library_cannot_be_requested_for(librarian, record, other_library):
    stranger = PatronFactory(library=other_library)
    with pytest.raises(err.IllPermissionDenied, match="another library"):
        ill_request_create(actor=librarian, bib_record_id=record.pk, patron_id=stranger.pk)
    assert not IllRequest.objects.exists()


def test_record_no_one_lends_is_refused(patron, agreement, library):
    record = held_by(library)  # only the patron's own library holds it
    with pytest.raises(err.IllError, match="No other member library"):
        ill_request_create(actor=patron, bib_record_id=record.pk)
    unlendable = held_by(PatronFactory().library, lendable=False)
    with pytest.raises(err.IllError, match="No other member library"):
        ill_request_create(actor=patron, bib_record_id=unlendable.pk)
    assert not IllRequest.objects.exists()


def test_past_needed_by_is_refused(patron, record):
    with pytest.raises(err.IllError, match="in the past"):
        ill_request_create(
            actor=patron, bib_record_id=record.pk, needed_by=timezone.localdate() - timedelta(days=1)
        )
    assert not IllRequest.objects.exists()


def test_notice_waits_when_mail_server_is_down_and_goes_out_later(
    submitted, librarian, patron, settings, django_capture_on_commit_callbacks
):
    # given the SMTP server refuses connections
    settings.EMAIL_DELIVERY_BACKEND = "tests.ill.test_services.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):
        ill_request_transition(request_id=submitted.pk, action="refuse", actor=librarian, reason="other")
    email = OutboundEmail.objects.filter(to=[patron.email], subject__contains="cancelled").get()
    assert email.status == OutboundEmail.Status.QUEUED and email.attempts == 1
    # when the server is back and the sweep runs
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    from members.tasks import outbox_sweep_task

    outbox_sweep_task()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert any("cancelled" in m.subject for m in mail.outbox)


class DownBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_event_log_is_append_only_in_the_database(submitted):
    from django.db import DatabaseError, transaction

    event = submitted.events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        IllEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        IllEvent.objects.filter(pk=event.pk).delete()
    assert submitted.events.get().note == event.note


def test_pending_patron_cannot_request(record, library):
    pending = PatronFactory(library=library, patron_status="pending")
    with pytest.raises(err.IllPermissionDenied, match="not approved"):
        ill_request_create(actor=pending, bib_record_id=record.pk)
    assert not IllRequest.objects.exists()


def test_patron_deactivated_after_asking_is_an_invalid_patron(submitted, patron, librarian):
    patron.is_active = False
    patron.save(update_fields=["is_active"])
    with pytest.raises(err.IllError, match="Invalid patron") as exc:
        ill_request_transition(request_id=submitted.pk, action="validate", actor=librarian)
    assert exc.value.code == "invalid_patron"


def test_copy_link_expires_and_is_only_for_its_patron(copy_sent, lender_librarian, patron, library, login):
    import time_machine

    from ill.services import copy_token

    ill_request_transition(request_id=copy_sent.pk, action="deliver_copy", actor=lender_librarian,
                           file=SimpleUploadedFile("ch1.pdf", PDF))  # fmt: skip
    copy = DeliveredCopy.objects.get()
    link = f"/ill/copies/{copy_token(copy)}/"
    response = login(patron).get(link)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"
    assert login(PatronFactory(library=library)).get(link).status_code == 404  # another patron
    assert login(lender_librarian).get(link).status_code == 404  # the lender does not serve it to itself
    assert login(patron).get(link[:-5] + "xxxx/").status_code == 404  # tampered token
    with time_machine.travel(copy.expires_at + timedelta(minutes=1)):
        assert login(patron).get(link).status_code == 404


def test_notices_follow_the_recipients_language(record, library, library_admin):
    # given a patron who reads Urdu
    urdu_reader = PatronFactory(library=library, language="ur", first_name="Sana")
    # when they ask for an item
    ill_request_create(actor=urdu_reader, bib_record_id=record.pk)
    # then their notice is in Urdu, and the library's (English) is not
    mine = OutboundEmail.objects.get(to=[urdu_reader.email])
    assert mine.subject.startswith("ہمیں آپ کی درخواست") and "محترم Sana" in mine.body
    assert OutboundEmail.objects.get(to=[library.email]).subject.startswith("New ILL request")


def test_consortium_admin_is_told_who_may_request(consortium_admin, record):
    with pytest.raises(err.IllPermissionDenied, match="Only approved patrons and library staff"):
        ill_request_create(actor=consortium_admin, bib_record_id=record.pk)
