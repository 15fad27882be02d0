"""Receiving ISO 18626 messages from member libraries' own ILL systems.

``iso18626_message_receive`` reads one message, acts on it through the ILL services
(``ill_request_create``, ``ill_request_transition``, ``ill_message_send``) as the
sending library's API token, and answers its Confirmation at once. All of a message's
writes happen in one transaction: a message answered ERROR leaves nothing behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.models import BibRecord, Holding
from catalogue.normalize import normalize_isbn, normalize_issn, normalize_lccn, normalize_oclc
from catalogue.selectors import bib_records_by_identifiers
from consortium.exceptions import DomainError
from ill import exceptions as err
from ill import states
from ill.iso18626 import build, codes, outbound
from ill.iso18626.xml import (
    BADLY_FORMED,
    UNRECOGNISED_VALUE,
    UNSUPPORTED_ACTION,
    UNSUPPORTED_REASON,
    Message,
    child_text,
    parse,
    sniff_kind,
)
from ill.models import IllRequest, RotaEntry
from ill.services import (
    actor_roles,
    ill_message_send,
    ill_request_create,
    ill_request_remind,
    ill_request_retry,
    ill_request_transition,
)
from members.models import Library
from members.permissions import LibraryPrincipal

# ISO 18626 messages are small (the standard's fullest sample is 8 KB); a megabyte
# leaves room for long citations and notes and keeps a hostile body cheap to refuse.
MAX_BYTES = 1024 * 1024
VIA = "iso18626"
ID_LIMIT = 200
_REFERENCE = re.compile(r"^ILL-(\d{1,12})$")


@dataclass(frozen=True)
class Answer:
    """The Confirmation to send back, and the HTTP status that carries it."""

    body: bytes
    http_status: int
    ok: bool
    request_id: int | None = None


def iso18626_message_receive(*, actor: Any, body: bytes) -> Answer:
    """Read, check and act on one inbound message; answer its Confirmation (OK or ERROR)."""
    received_at = timezone.now()
    message: Message | None = None
    kind = sniff_kind(body)
    try:
        if len(body) > MAX_BYTES:
            raise err.Iso18626Error(
                BADLY_FORMED, err.ISO_TOO_LARGE.format(size=len(body), limit=MAX_BYTES), http_status=413
            )
        message = parse(body)
        kind = message.kind
        try:
            with transaction.atomic():
                request_id = HANDLERS[kind](actor=actor, message=message)
        except IntegrityError as exc:  # the same message twice at the same moment
            raise err.Iso18626Error(UNRECOGNISED_VALUE, err.ISO_CONFLICT) from exc
        except err.Iso18626Error:
            raise
        except DomainError as exc:  # any other rule of the ILL services: rolled back, said
            raise err.Iso18626Error(UNRECOGNISED_VALUE, exc.message) from exc
    except err.Iso18626Error as exc:
        return Answer(
            build.confirmation(
                kind=kind,
                message=message,
                received_at=received_at,
                error_type=exc.error_type,
                error_value=exc.error_value,
            ),
            exc.http_status,
            ok=False,
        )
    return Answer(
        build.confirmation(kind=kind, message=message, received_at=received_at), 200, True, request_id
    )


def iso18626_refusal(*, body: bytes, error: err.Iso18626Error) -> bytes:
    """The ERROR confirmation for a message refused before it was read (authentication)."""
    try:
        message = parse(body) if len(body) <= MAX_BYTES else None
    except err.Iso18626Error:
        message = None
    kind = message.kind if message is not None else sniff_kind(body)
    return build.confirmation(
        kind=kind,
        message=message,
        received_at=timezone.now(),
        error_type=error.error_type,
        error_value=error.error_value,
    )


# ---------------------------------------------------------------------------------------
# agencies and requests


def _agency(message: Message, name: str) -> tuple[str, str]:
    el = message.header.find(build.q(name))
    return child_text(el, "agencyIdType"), child_text(el, "agencyIdValue")


def _member(message: Message, name: str) -> Library:
    """The member library a header agency names (ISIL), or an ERROR naming the path."""
    id_type, value = _agency(message, name)
    path = f"header/{name}"
    if id_type.upper() != codes.AGENCY_ID_TYPE:
        raise err.Iso18626Error(UNRECOGNISED_VALUE, err.ISO_AGENCY_TYPE.format(path=path, value=id_type))
    library = Library.objects.filter(code__iexact=value, is_active=True).first()
    if library is None:
        raise err.Iso18626Error(UNRECOGNISED_VALUE, err.ISO_UNKNOWN_AGENCY.format(path=path, value=value))
    return library


def _sender(actor: Any, message: Message, name: str) -> Library:
    """The header agency that sends this kind of message must be the token's own library."""
    library = _member(message, name)
    if not isinstance(actor, LibraryPrincipal) or actor.library.pk != library.pk:
        own = actor.library.code if isinstance(actor, LibraryPrincipal) else "?"
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE,
            err.ISO_NOT_YOUR_AGENCY.format(path=f"header/{name}", value=library.code, own=own),
            http_status=403,
        )
    return library


def _request_id(message: Message) -> str:
    value = message.text("header/requestingAgencyRequestId")
    if len(value) > ID_LIMIT:
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE,
            err.ISO_TOO_LONG.format(
                path="header/requestingAgencyRequestId", value=value[:40], limit=ID_LIMIT
            ),
        )
    if not value:
        raise err.Iso18626Error(BADLY_FORMED, err.ISO_UNKNOWN_REQUEST.format(value=value, borrower="?"))
    return value


def _find_request(borrower: Library, request_id: str) -> IllRequest:
    """The borrower's request by its system's id, or by the portal's reference (ILL-42)."""
    req = IllRequest.objects.filter(borrower=borrower, requesting_agency_request_id=request_id).first()
    match = _REFERENCE.match(request_id)
    if req is None and match:
        req = IllRequest.objects.filter(
            borrower=borrower, pk=int(match.group(1)), requesting_agency_request_id=""
        ).first()
    if req is None:
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE, err.ISO_UNKNOWN_REQUEST.format(value=request_id, borrower=borrower.code)
        )
    return req


def _datetime(message: Message, path: str) -> datetime | None:
    raw = message.text(path)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise err.Iso18626Error(UNRECOGNISED_VALUE, err.ISO_BAD_DATE.format(path=path, value=raw)) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _date(message: Message, path: str) -> date | None:
    """An xs:dateTime as the day it falls on in Pakistan."""
    moment = _datetime(message, path)
    return timezone.localtime(moment).date() if moment is not None else None


def _code(message: Message, path: str, choices: dict, field: str) -> str:
    value = message.text(path)
    if value not in choices:
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE,
            err.ISO_UNKNOWN_CODE.format(path=path, value=value, field=field, choices=", ".join(choices)),
        )
    return value


def _refused(exc: err.DomainError, path: str) -> err.Iso18626Error:
    return err.Iso18626Error(UNRECOGNISED_VALUE, err.ISO_REFUSED.format(path=path, detail=exc.message))


# ---------------------------------------------------------------------------------------
# request


def _identifiers(message: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"isbn": [], "issn": [], "oclc": [], "lccn": []}
    normalizers = {
        "isbn": normalize_isbn,
        "issn": normalize_issn,
        "oclc": normalize_oclc,
        "lccn": normalize_lccn,
    }
    for item in message.findall("bibliographicInfo/bibliographicItemId"):
        code = codes.ITEM_ID_CODES.get(child_text(item, "bibliographicItemIdentifierCode").upper())
        value = normalizers[code](child_text(item, "bibliographicItemIdentifier")) if code else None
        if value:
            found[code].append(value)
    for item in message.findall("bibliographicInfo/bibliographicRecordId"):
        if "OCLC" in child_text(item, "bibliographicRecordIdentifierCode").upper():
            value = normalize_oclc(child_text(item, "bibliographicRecordIdentifier"))
            if value:
                found["oclc"].append(value)
    return found


def _lendable_elsewhere(records: list[BibRecord], borrower: Library) -> list[BibRecord]:
    """Of these records, those another member holds a lendable copy of (most holders first)."""
    held = set(
        Holding.objects.lendable(elsewhere_than=borrower.pk)
        .filter(bib_record__in=records)
        .values_list("bib_record_id", flat=True)
    )
    return sorted((r for r in records if r.pk in held), key=lambda r: (-len(r.library_ids), r.pk))


def bib_record_for(message: Message, borrower: Library) -> tuple[BibRecord | None, bool]:
    """The union-catalogue record a request's bibliographicInfo describes: by ISBN, ISSN,
    OCLC number or LCCN, else by its exact (folded) title. Returns the record and whether
    another member lends it; (None, False) when nothing matches."""
    ids = _identifiers(message)
    records = bib_records_by_identifiers(
        isbns=ids["isbn"],
        issns=ids["issn"],
        oclc_numbers=ids["oclc"],
        lccns=ids["lccn"],
        title=message.text("bibliographicInfo/title"),
    )
    if not records:
        return None, False
    lendable = _lendable_elsewhere(records, borrower)
    return (lendable[0], True) if lendable else (records[0], False)


def _patron_reference(message: Message) -> str:
    """patronInfo as one line for the borrowing library's own eyes."""
    patron = message.find("patronInfo")
    if patron is None:
        return ""
    name = ", ".join(p for p in (child_text(patron, "surname"), child_text(patron, "givenName")) if p)
    ident = child_text(patron, "patronId")
    return " · ".join(p for p in (ident, name) if p)[:200]


def _member_by_isil(id_type: str, value: str, borrower: Library) -> Library | None:
    if id_type.strip().upper() != codes.AGENCY_ID_TYPE or not value.strip():
        return None
    return Library.objects.filter(code__iexact=value.strip(), is_active=True).exclude(pk=borrower.pk).first()


def _preferred_suppliers(message: Message, borrower: Library) -> list[Library]:
    """The lenders the request names, in its order: the supplyingAgencyId it is addressed
    to (unless the portal itself), then its supplierInfo list by sortOrder. Agencies that
    are not member libraries (another network's, or not ISIL) are passed over: the
    portal routes among its members only."""
    named = [_member_by_isil(*_agency(message, "supplyingAgencyId"), borrower)]
    listed = []
    for n, element in enumerate(message.findall("supplierInfo")):
        info = Message("supplierInfo", element)
        order = info.text("sortOrder")
        key = (int(order) if order.isdigit() else 10**6, n)
        listed.append((key, info.text("supplierCode/agencyIdType"), info.text("supplierCode/agencyIdValue")))
    named += [_member_by_isil(id_type, value, borrower) for _key, id_type, value in sorted(listed)]
    return list({library.pk: library for library in named if library is not None}.values())


def _receive_request(*, actor: Any, message: Message) -> int:
    borrower = _sender(actor, message, "requestingAgencyId")
    request_id = _request_id(message)
    request_type = message.text("serviceInfo/requestType", codes.NEW)
    if request_type != codes.NEW:  # (the schema allows New, Retry and Reminder only)
        return _receive_request_again(actor=actor, message=message, req=_find_request(borrower, request_id))
    existing = IllRequest.objects.filter(borrower=borrower, requesting_agency_request_id=request_id).first()
    if existing is not None:
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE,
            err.ISO_DUPLICATE_REQUEST.format(
                value=request_id, reference=existing.reference, borrower=borrower.code
            ),
        )
    service_type = codes.SERVICE_TYPES[message.text("serviceInfo/serviceType", "Loan")]
    level = message.text("serviceInfo/serviceLevel", "Normal")
    if level not in codes.SERVICE_LEVELS:
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE,
            err.ISO_UNKNOWN_CODE.format(
                path="serviceInfo/serviceLevel", value=level, field="serviceLevel",
                choices=", ".join(codes.SERVICE_LEVELS),
            ),
        )  # fmt: skip
    preferred = _preferred_suppliers(message, borrower)
    record, lendable = bib_record_for(message, borrower)
    title = message.text("bibliographicInfo/title")
    subtitle = message.text("bibliographicInfo/subtitle")
    ids = _identifiers(message)
    citation = {
        "title": f"{title}: {subtitle}" if title and subtitle else title,
        "author": message.text("bibliographicInfo/author"),
        "publisher": message.text("publicationInfo/publisher"),
        "year": message.text("publicationInfo/publicationDate")[:20],
        "isbn": (ids["isbn"] or ids["issn"] or [""])[0],
    }
    if record is not None and not lendable and not preferred:  # (no lender named)
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE, err.ISO_REFUSED.format(path="bibliographicInfo", detail=err.NO_LENDER)
        )
    if record is None or not lendable:
        # A citation: no record matched, or only the named lender may have it.
        if record is not None:
            citation = {
                "title": record.title,
                "author": "; ".join(record.authors[:3]),
                "publisher": record.publisher,
                "year": str(record.year or ""),
                "isbn": (record.isbns or record.issns or [""])[0],
            }
        if not citation["title"]:
            raise err.Iso18626Error(BADLY_FORMED, err.ISO_NEEDS_TITLE)
    try:
        req = ill_request_create(
            actor=actor,
            bib_record_id=record.pk if record is not None and lendable else None,
            service_type=service_type,
            article_title=message.text("bibliographicInfo/titleOfComponent"),
            pages=message.text("bibliographicInfo/pagesRequested")[:50],
            needed_by=_date(message, "serviceInfo/needBeforeDate"),
            service_level=codes.SERVICE_LEVELS[level],
            note=message.text("serviceInfo/note"),
            requesting_agency_request_id=request_id,
            patron_reference=_patron_reference(message),
            preferred_supplier_id=preferred[0].pk if preferred else None,
            preferred_supplier_ids=[library.pk for library in preferred],
            **({} if record is not None and lendable else citation),
        )
    except err.IllError as exc:
        field = (exc.details or {}).get("field", "")
        path = {
            "needed_by": "serviceInfo/needBeforeDate",
            "article_title": "bibliographicInfo/titleOfComponent",
            "service_type": "serviceInfo/serviceType",
        }.get(field, "bibliographicInfo")
        raise _refused(exc, path) from exc
    # The requesting library's own system checked its patron and its shelves before it
    # sent the request: the portal's validation checks (meant for its own patrons) are
    # recorded, not enforced.
    ill_request_transition(
        request_id=req.pk, action="validate", actor=actor, override=True, via=VIA,
        note=f"Sent by {borrower.code}'s own ILL system (ISO 18626 request {request_id}).",
    )  # fmt: skip
    return req.pk


def _receive_request_again(*, actor: Any, message: Message, req: IllRequest) -> int:
    """A Reminder of a request sent before (recorded), or its Retry on changed terms with
    the lender that offered one (ill_request_retry)."""
    note = message.text("serviceInfo/note")
    try:
        if message.text("serviceInfo/requestType") == codes.REMINDER:
            ill_request_remind(request_id=req.pk, actor=actor, note=note)
            return req.pk
        terms: dict[str, Any] = {
            "needed_by": _date(message, "serviceInfo/needBeforeDate"),
            "article_title": message.text("bibliographicInfo/titleOfComponent"),
            "pages": message.text("bibliographicInfo/pagesRequested")[:50],
        }
        if message.text("serviceInfo/serviceType"):
            terms["service_type"] = codes.SERVICE_TYPES[message.text("serviceInfo/serviceType")]
        level = message.text("serviceInfo/serviceLevel")
        if level:
            terms["service_level"] = codes.SERVICE_LEVELS[
                _code(message, "serviceInfo/serviceLevel", codes.SERVICE_LEVELS, "serviceLevel")
            ]
        ill_request_retry(request_id=req.pk, actor=actor, terms=terms, note=note)
    except err.Iso18626Error:
        raise
    except (err.IllError, err.InvalidTransition, err.IllPermissionDenied) as exc:
        raise _refused(exc, "serviceInfo/requestType") from exc
    return req.pk


# ---------------------------------------------------------------------------------------
# taking portal actions


def _take(
    *, req: IllRequest, actor: Any, chains: tuple[tuple[str, ...], ...], payload: dict[str, dict],
    path: str, value: str, error_type: str, current_iso: str,
) -> None:  # fmt: skip
    """Take the first chain of actions whose first action the machine offers now."""
    roles = actor_roles(actor, req)
    offered = {
        a.code
        for a in states.available_actions(
            status_code=req.status,
            supplier_status=req.supplier_status,
            service_type=req.service_type,
            roles=roles,
        )
    }
    chain = next((c for c in chains if c[0] in offered), None)
    if chain is None:
        if value == current_iso or not chains:
            return  # the same status again (a retry, a status report): nothing to change
        detail = err.NOT_AVAILABLE.format(
            action=" → ".join(chains[0]),
            status=req.status,
            supplier_status=req.supplier_status or "none",
            available=", ".join(sorted(offered)) or "none",
        )
        raise err.Iso18626Error(error_type, err.ISO_OUT_OF_TURN.format(path=path, value=value, detail=detail))
    for action in chain:
        try:
            ill_request_transition(
                request_id=req.pk, action=action, actor=actor, via=VIA, **payload.get(action, {})
            )
        except err.InvalidTransition as exc:
            raise err.Iso18626Error(
                error_type, err.ISO_OUT_OF_TURN.format(path=path, value=value, detail=exc.message)
            ) from exc
        except err.IllError as exc:
            raise _refused(exc, path) from exc


def _receive_supplying_agency_message(*, actor: Any, message: Message) -> int:
    lender = _sender(actor, message, "supplyingAgencyId")
    borrower = _member(message, "requestingAgencyId")
    req = _find_request(borrower, _request_id(message))
    if req.supplier_id != lender.pk or not req.supplier_status:
        raise err.Iso18626Error(
            UNRECOGNISED_VALUE, err.ISO_NOT_SUPPLIER.format(value=lender.code, id=req.iso_request_id)
        )
    reason = message.text("messageInfo/reasonForMessage")
    status = message.text("statusInfo/status")
    note = message.text("messageInfo/note")[:2000]
    _remember_supplier_id(req, message)
    if reason == codes.NOTIFICATION:
        # messageInfo/note is optional: a Notification without one is acknowledged, and
        # only a note is shown to the other library
        if note:
            ill_message_send(request_id=req.pk, actor=actor, body=note)
        return req.pk
    answer = message.text("messageInfo/answerYesNo")
    if reason in codes.ANSWER_REASONS and not answer:
        raise err.Iso18626Error(BADLY_FORMED, err.ISO_NEEDS_ANSWER.format(reason=reason))
    conditional = bool(message.text("deliveryInfo/loanCondition"))
    rule = codes.supplier_rule(reason=reason, status=status, answer=answer, conditional=conditional)
    if rule is None:
        raise err.Iso18626Error(
            UNSUPPORTED_REASON,
            err.ISO_UNSUPPORTED_STATUS.format(
                status=status, reason=reason, supported=", ".join(codes.supported_supplier_statuses())
            ),
        )
    payload = _supplier_payload(message, rule, note)
    _take(
        req=req, actor=actor, chains=rule.chains, payload=payload, path="statusInfo/status", value=status,
        error_type=UNRECOGNISED_VALUE, current_iso=req.supplier_status_info.iso,
    )  # fmt: skip
    return req.pk


def _supplier_payload(message: Message, rule: codes.SupplierRule, note: str) -> dict[str, dict]:
    payload: dict[str, dict] = {}
    for chain in rule.chains:
        for action in chain:
            data: dict[str, Any] = {"note": note} if note else {}
            if action == "unfilled":
                data["reason_unfilled"] = (
                    _code(message, "messageInfo/reasonUnfilled", states.REASONS_UNFILLED, "reasonUnfilled")
                    if message.text("messageInfo/reasonUnfilled")
                    # Optional in ISO 18626; the portal records every lender's reason.
                    else "NotAvailableForILL"
                )
            elif action == "retry_possible":
                data["reason_retry"] = _code(
                    message, "messageInfo/reasonRetry", states.REASONS_RETRY, "reasonRetry"
                )
            elif action == "will_supply_with_conditions":
                data["condition"] = _code(
                    message, "deliveryInfo/loanCondition", states.LOAN_CONDITIONS, "loanCondition"
                )
            elif action in ("ship", "approve_renewal"):
                due = _date(message, "statusInfo/dueDate")
                if due is not None:
                    data["due_date"] = due
            elif action == "deliver_copy":
                data["delivered_via"] = message.text("deliveryInfo/sentVia") or "ISO 18626"
            payload[action] = data
    return payload


def _remember_supplier_id(req: IllRequest, message: Message) -> None:
    """Keep the lender system's own id for the request (echoed in what the portal sends it)."""
    value = message.text("header/supplyingAgencyRequestId")[:ID_LIMIT]
    if value:
        RotaEntry.objects.filter(
            request=req, lender_id=req.supplier_id, round=req.rota_round, position=req.rota_position
        ).update(supplier_request_id=value)


def _receive_requesting_agency_message(*, actor: Any, message: Message) -> int:
    borrower = _sender(actor, message, "requestingAgencyId")
    req = _find_request(borrower, _request_id(message))
    action = message.text("action")
    note = message.text("note")[:2000]
    if action == codes.NOTIFICATION and note.startswith(codes.CONDITIONS_AGREED):
        # The borrower's system agrees to the lender's loan conditions (ReShare's marker).
        words = note[len(codes.CONDITIONS_AGREED) :].strip()
        _take(
            req=req, actor=actor, chains=(("accept_conditions",),),
            payload={"accept_conditions": {"note": words} if words else {}}, path="note", value=note[:60],
            error_type=UNSUPPORTED_ACTION, current_iso="",
        )  # fmt: skip
        return req.pk
    if action == codes.NOTIFICATION:
        if not note:  # note is optional: acknowledged, nothing to show
            return req.pk
        try:
            ill_message_send(request_id=req.pk, actor=actor, body=note)
        except err.IllPermissionDenied as exc:
            raise _refused(exc, "action") from exc
        return req.pk
    if action == codes.STATUS_REQUEST:
        if not outbound.endpoint_of(borrower):
            raise err.Iso18626Error(UNSUPPORTED_ACTION, err.ISO_NO_ENDPOINT.format(library=borrower.code))
        outbound.queue_status_answer(request=req)
        return req.pk
    chains = codes.REQUESTER_RULES.get(action)
    if chains is None:
        raise err.Iso18626Error(
            UNSUPPORTED_ACTION,
            err.ISO_UNSUPPORTED_ACTION.format(value=action, supported=", ".join(codes.REQUESTER_SUPPORTED)),
        )
    payload = {a: ({"note": note} if note else {}) for chain in chains for a in chain}
    if "ship_forward" in payload:
        payload["ship_forward"]["forward_to"] = note  # (the note names the next request)
    _take(
        req=req, actor=actor, chains=chains, payload=payload, path="action", value=action,
        error_type=UNSUPPORTED_ACTION, current_iso="",
    )  # fmt: skip
    return req.pk


HANDLERS = {
    "request": _receive_request,
    "supplyingAgencyMessage": _receive_supplying_agency_message,
    "requestingAgencyMessage": _receive_requesting_agency_message,
}
