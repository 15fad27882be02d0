"""Sending ISO 18626 messages to libraries that recorded their own system's endpoint.

When an event of a request concerns a library with ``Library.iso18626_url`` (the lender
asked, or the borrowing library told of its lender's answer), ``queue_for_event`` writes
an ``Iso18626Delivery`` in the event's transaction, with the message as it stands then,
and the task ``ill.iso18626_deliver`` POSTs it after commit. Which portal action sends
what is in ``ill.iso18626.codes`` (TO_BORROWER, TO_LENDER). A library never receives a
message about what its own system just did. Messages to lenders carry the citation and
the requesting library only, never the patron (docs/architecture.md, "ILL practice"): what
each side's system is told is what ill.visibility lets that library's staff see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalogue.models import SourceRecord
from consortium import outbound_http, sealed
from ill import exceptions as err
from ill import states, visibility
from ill.iso18626 import build, codes
from ill.iso18626.xml import CONFIRMATION_OF, parse
from ill.models import IllEvent, IllRequest, Iso18626Delivery, RotaEntry, ServiceLevel
from members.models import Library

CONFIRMATIONS = tuple(CONFIRMATION_OF.values())
MAX_ANSWER_BYTES = 1024 * 1024


class TransientDeliveryError(Exception):
    """The peer could not be reached or answered 5xx/429: worth trying again later."""


def endpoint_of(library: Library | None) -> str:
    return (library.iso18626_url or "").strip() if library is not None else ""


def _supplier_request_id(req: IllRequest) -> str:
    """The lender system's own id for the request, from its latest answer (a retry asks
    it again in a later round: the same request, the same id)."""
    if req.supplier_id is None:
        return ""
    entry = (
        RotaEntry.objects.filter(request=req, lender_id=req.supplier_id)
        .exclude(supplier_request_id="")
        .order_by("-position")
        .first()
    )
    return entry.supplier_request_id if entry else ""


def _request_type(req: IllRequest) -> str:
    """Retry when the lender asked is asked again after it offered a retry, else New."""
    entry = RotaEntry.objects.filter(request=req, position=req.rota_position).only("reason_data").first()
    return codes.RETRY if entry is not None and entry.reason_data.get("retry") else codes.NEW


def _header(req: IllRequest) -> build.Header:
    supplier = req.supplier.code if req.supplier_id else settings.ISO18626_AGENCY_ID
    return build.Header(
        supplier_code=supplier,
        borrower_code=req.borrower.code,
        requesting_agency_request_id=req.iso_request_id,
        supplying_agency_request_id=_supplier_request_id(req),
    )


def _citation(req: IllRequest) -> build.Citation:
    """What a lender is told of the item (the patron is not part of it)."""
    return build.Citation(
        title=req.title,
        author=req.author,
        publisher=req.publisher,
        year=req.year,
        isbn=req.isbn,
        article_title=req.article_title,
        pages=req.pages,
        service_type=codes.SERVICE_TYPE_ISO[req.service_type],
        service_level="Rush" if req.service_level == ServiceLevel.RUSH else "Normal",
        need_before=req.needed_by,
        record_id=_lenders_record_id(req),
        request_type=_request_type(req),
    )


def _lenders_record_id(req: IllRequest) -> str:
    """supplierUniqueRecordId: the lender's own id of the record (its source record's local id)."""
    if req.bib_record_id is None or req.supplier_id is None:
        return ""
    local_id = (
        SourceRecord.objects.filter(bib_record_id=req.bib_record_id, library_id=req.supplier_id)
        .values_list("local_id", flat=True)
        .first()
    )
    return local_id or ""


def _supplier_status(req: IllRequest, reason: str, status: str, answer: str, event: IllEvent | None):
    return build.SupplierStatus(
        reason=reason,
        status=status,
        answer=answer,
        # The lender's own words about its answer (ill.visibility: the borrowing library reads them).
        note=(
            visibility.note_for(event=event, reader=visibility.Reader.BORROWER)
            if event is not None and event.side == states.Side.SUPPLIER
            else ""
        )[:2000],
        reason_unfilled="",
        due_date=req.due_date if status in ("Loaned", "Overdue", "Recalled") else None,
        loan_condition=req.loan_condition
        if event is not None and event.action == "will_supply_with_conditions"
        else "",
    )


def _message_for(req: IllRequest, event: IllEvent) -> tuple[Library | None, str, str, bytes] | None:
    """(recipient, kind, summary, body) of the message this event sends, or None."""
    action = event.action
    if action == codes.SEND_REQUEST:
        return (
            req.supplier,
            "request",
            "request",
            build.request_message(header=_header(req), citation=_citation(req)),
        )
    if action == codes.REMINDER_EVENT:
        citation = _citation(req)
        citation.request_type = codes.REMINDER
        return (
            req.supplier,
            "request",
            "request Reminder",
            build.request_message(header=_header(req), citation=citation),
        )
    if action in codes.TO_LENDER:
        iso_action = codes.TO_LENDER[action]
        # As the lender's pages show it (ill.visibility): a patron's own words stay at home.
        note = visibility.note_for(event=event, reader=visibility.Reader.LENDER)[:2000]
        if action == "accept_conditions":
            note = f"{codes.CONDITIONS_AGREED} {note}".strip()[:2000]
        elif action == "ship_forward":
            onward = IllRequest.objects.filter(pk=event.data.get("forwarded_to")).first()
            if onward is not None:  # the lender's system knows it by the id it was sent
                note = f"Forwarded to {onward.iso_request_id}. {note}".strip()[:2000]
        body = build.requesting_agency_message(header=_header(req), action=iso_action, note=note)
        return req.supplier, "requestingAgencyMessage", iso_action, body
    if action in codes.TO_BORROWER:
        reason, status, answer = codes.TO_BORROWER[action]
        if reason == "RenewResponse":
            # The answer carries the loan's status after it: a refused renewal of an
            # overdue loan stays Overdue (ill.actions), not Loaned.
            status = req.supplier_status_info.iso or status
        header = _header(req)
        if action == "end_of_rota":
            header.supplier_code = settings.ISO18626_AGENCY_ID  # no lender: the portal answers
        body = build.supplying_agency_message(
            header=header, info=_supplier_status(req, reason, status, answer, event)
        )
        return req.borrower, "supplyingAgencyMessage", f"{reason} {status}".strip(), body
    return None


def _queue(
    *, req: IllRequest, event: IllEvent | None, library: Library, kind: str, summary: str, body: bytes
):
    from ill.tasks import iso18626_deliver_task

    delivery = Iso18626Delivery.objects.create(
        request=req,
        event=event,
        library=library,
        kind=kind,
        summary=summary[:100],
        url=endpoint_of(library)[:500],
        body=body.decode("utf-8"),
    )
    iso18626_deliver_task.delay_on_commit(delivery_id=delivery.pk)
    return delivery


def queue_for_event(*, request: IllRequest, event: IllEvent) -> Iso18626Delivery | None:
    """Queue the ISO 18626 message this event owes the other library's system, if any."""
    action = event.action
    if action in (codes.SEND_REQUEST, codes.REMINDER_EVENT) or action in codes.TO_LENDER:
        recipient_id = request.supplier_id
    elif action in codes.TO_BORROWER:
        recipient_id = request.borrower_id
    else:
        return None
    if recipient_id is None or recipient_id == event.actor_library_id:
        return None  # never tell a library's system what it just said itself
    if not Library.objects.filter(pk=recipient_id).exclude(iso18626_url="").exists():
        return None  # the common case: that library works in the web queues
    req = IllRequest.objects.select_related("borrower", "supplier").get(pk=request.pk)
    found = _message_for(req, event)
    if found is None or found[0] is None:
        return None
    library, kind, summary, body = found
    return _queue(req=req, event=event, library=library, kind=kind, summary=summary, body=body)


def queue_status_answer(*, request: IllRequest) -> Iso18626Delivery:
    """Answer a borrower's StatusRequest: a supplyingAgencyMessage StatusRequestResponse."""
    req = IllRequest.objects.select_related("borrower", "supplier").get(pk=request.pk)
    status = codes.iso_status_for_borrower(status=req.status, supplier_status=req.supplier_status)
    body = build.supplying_agency_message(
        header=_header(req), info=_supplier_status(req, "StatusRequestResponse", status, "", None)
    )
    return _queue(
        req=req, event=None, library=req.borrower, kind="supplyingAgencyMessage",
        summary=f"StatusRequestResponse {status}", body=body,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# delivery


def _credential(library: Library) -> dict[str, str]:
    """The header the library's system wants on the portal's calls ({} when none). Unsealed
    only here, for the request being sent: never logged nor kept with the delivery."""
    if not library.iso18626_auth_sealed:
        return {}
    try:
        return {library.iso18626_auth_header: sealed.unseal(library.iso18626_auth_sealed)}
    except sealed.SealBroken as exc:
        raise err.IllError(
            err.ISO_CREDENTIAL_UNREADABLE.format(library=library.code),
            code=err.ErrorCode.ISO_CREDENTIAL_UNREADABLE,
        ) from exc


def _post(url: str, body: bytes, credential: dict[str, str]) -> bytes:
    """POST to the endpoint's checked address; a redirect is a failed delivery, not followed."""
    try:
        endpoint = outbound_http.endpoint_resolve(
            url, allow_private=settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS
        )
    except outbound_http.HostNotFound as exc:
        raise TransientDeliveryError(exc.message) from exc  # DNS may be back at the next try
    except outbound_http.EndpointRefused as exc:
        raise err.IllError(
            err.ISO_ENDPOINT_REFUSED.format(detail=exc.message), code=err.ErrorCode.ISO_ENDPOINT_REFUSED
        ) from exc
    try:
        answer = outbound_http.endpoint_post(
            endpoint,
            body=body,
            headers={**credential, "Content-Type": "application/xml; charset=utf-8"},
            timeout=settings.ISO18626_TIMEOUT,
            max_bytes=MAX_ANSWER_BYTES,
        )
    except outbound_http.EndpointUnreachable as exc:
        raise TransientDeliveryError(str(exc)) from exc
    if 200 <= answer.status < 300:
        return answer.body
    if 300 <= answer.status < 400:
        # Followed, a redirect would send the message (and the portal's requests after it)
        # wherever the peer points, inside the portal's network too: the library records
        # its system's final address instead.
        raise err.IllError(
            err.ISO_PEER_REDIRECT.format(status=answer.status, location=answer.location[:300] or "?"),
            code=err.ErrorCode.ISO_PEER_REDIRECT,
        )
    if answer.status >= 500 or answer.status == 429:
        raise TransientDeliveryError(f"HTTP {answer.status}")
    if answer.body.strip():
        return answer.body  # 4xx with a Confirmation (ERROR) in it: read it
    raise err.IllError(err.ISO_PEER_HTTP.format(status=answer.status), code=err.ErrorCode.ISO_PEER_HTTP)


def deliver(*, delivery_id: int, final: bool = False) -> str:
    """POST one queued message and record the peer's Confirmation; safe to repeat.

    Raises TransientDeliveryError for a retry; ``final`` (the last try) records the
    failure for good instead.
    """
    with transaction.atomic():
        delivery = (
            Iso18626Delivery.objects.select_for_update(of=("self",))
            .select_related("library")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != Iso18626Delivery.Status.QUEUED:
            return "nothing to do"
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    status, fields = delivery.status, {}
    try:
        answer = _post(delivery.url, delivery.body.encode("utf-8"), _credential(delivery.library))
        if len(answer) > MAX_ANSWER_BYTES:
            raise err.IllError(
                err.ISO_PEER_ANSWER.format(detail="answer too large"), code=err.ErrorCode.ISO_PEER_ANSWER
            )
        try:
            confirmation = parse(answer, accept=CONFIRMATIONS)
        except err.Iso18626Error as exc:
            raise err.IllError(
                err.ISO_PEER_ANSWER.format(detail=exc.error_value), code=err.ErrorCode.ISO_PEER_ANSWER
            ) from exc
        fields["confirmation"] = answer.decode("utf-8", "replace")
        if confirmation.text("confirmationHeader/messageStatus") == "OK":
            status = Iso18626Delivery.Status.CONFIRMED
        else:
            status = Iso18626Delivery.Status.REFUSED
            fields["error_type"] = confirmation.text("errorData/errorType")[:40]
            fields["error_value"] = confirmation.text("errorData/errorValue")
    except TransientDeliveryError as exc:
        if not final:
            Iso18626Delivery.objects.filter(pk=delivery_id).update(last_error=str(exc)[:2000])
            raise
        status, fields["last_error"] = Iso18626Delivery.Status.FAILED, str(exc)[:2000]
    except err.IllError as exc:
        status, fields["last_error"] = Iso18626Delivery.Status.FAILED, exc.message[:2000]
    Iso18626Delivery.objects.filter(pk=delivery_id, status=Iso18626Delivery.Status.QUEUED).update(
        status=status, sent_at=timezone.now(), **fields
    )
    return status


def delivery_retry_delay(attempt: int) -> int:
    """Seconds before try ``attempt + 1``: 30 s doubling, at most an hour."""
    return min(30 * 2**attempt, 3600)
