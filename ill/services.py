"""Writes for interlibrary loan. ``ill_request_transition`` is the only code that changes
a request's status (requester or supplier side); what each action does besides is its
handler in ``ill.actions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from catalogue.models import BibRecord, Holding
from consortium import clock
from ill import exceptions as err
from ill import notices, ratings, states
from ill.actions import FIELD_LABELS, Outcome, Step, check_choice, handler_for
from ill.actions import validation_problem as validation_problem  # callers read it with the writes
from ill.actors import SYSTEM as SYSTEM  # callers (views, selectors, tests) take it from here
from ill.actors import actor_library_id, actor_roles, actor_user
from ill.events import EventKind, ill_event_record
from ill.iso18626 import outbound as iso18626_outbound
from ill.models import DeliveredCopy, IllEvent, IllMessage, IllRequest, RotaEntry, ServiceLevel, ServiceType
from ill.states import Role, Side
from members.models import User
from members.permissions import is_approved_patron, works_at

COPY_SALT = "ill.delivered-copy"


def _labels(actions: list[states.Action]) -> str:
    """Actions as people read them, in the request's language (API clients get the codes)."""
    return ", ".join(f"“{a.label}”" for a in actions) or str(_("none"))


def _roles(roles: frozenset[Role] | set[Role]) -> str:
    return str(_(" or ")).join(str(states.ROLE_LABELS[r]) for r in sorted(roles))


# ---------------------------------------------------------------------------------------
# create


def _lenders_exist(record: BibRecord, borrower_id: int) -> bool:
    return Holding.objects.lendable(elsewhere_than=borrower_id).filter(bib_record=record).exists()


def _requester(actor: Any, *, patron_id: int | None, citation: bool) -> tuple[int, User | None]:
    """The borrowing library and the patron of a new request, or why the actor may not ask."""
    if isinstance(actor, User) and actor.is_patron:
        if not is_approved_patron(actor) or actor.library_id is None:
            raise err.IllPermissionDenied(err.PATRON_NOT_APPROVED, code=err.ErrorCode.PATRON_NOT_APPROVED)
        if citation:
            raise err.IllError(
                err.ONLY_STAFF_CITATION, code=err.ErrorCode.ONLY_STAFF_CITATION, field="record"
            )
        return actor.library_id, actor
    if not works_at(actor, None):
        raise err.IllPermissionDenied(err.ONLY_PATRONS_AND_STAFF, code=err.ErrorCode.ONLY_PATRONS_AND_STAFF)
    borrower_id = actor_library_id(actor)
    if patron_id is None:
        return borrower_id, None
    patron = User.objects.filter(pk=patron_id).first()
    if patron is None or not patron.is_patron:
        raise err.IllError(err.NOT_A_PATRON, code=err.ErrorCode.NOT_A_PATRON, field="patron")
    if patron.library_id != borrower_id:
        raise err.IllPermissionDenied(
            err.PATRON_OTHER_LIBRARY, code=err.ErrorCode.PATRON_OTHER_LIBRARY, field="patron"
        )
    return borrower_id, patron


@dataclass
class Citation:
    """What is asked for: from the catalogue record when there is one, else as given."""

    title: str = ""
    author: str = ""
    publisher: str = ""
    year: str = ""
    isbn: str = ""
    record: BibRecord | None = field(default=None)

    @classmethod
    def of_record(cls, bib_record_id: int, borrower_id: int) -> Citation:
        record = BibRecord.objects.filter(pk=bib_record_id).first()
        if record is None:
            raise err.IllError(err.RECORD_OR_TITLE, code=err.ErrorCode.RECORD_OR_TITLE, field="record")
        if not _lenders_exist(record, borrower_id):
            raise err.IllError(err.NO_LENDER, field="record", code=err.ErrorCode.NO_LENDER)
        return cls(
            title=record.title,
            author="; ".join(record.authors[:3]),
            publisher=record.publisher,
            year=str(record.year or ""),
            isbn=(record.isbns or [""])[0],
            record=record,
        )


def _check_service(
    *, service_type: str, service_level: str, needed_by: date | None, article_title: str
) -> None:
    check_choice(service_type, ServiceType.values, "service_type")
    check_choice(service_level, ServiceLevel.values, "service_level")
    if needed_by is not None and needed_by < clock.today():
        raise err.IllError(
            err.PAST_NEEDED_BY.format(date=needed_by.isoformat()),
            code=err.ErrorCode.PAST_NEEDED_BY,
            field="needed_by",
        )
    if service_type == ServiceType.COPY and not article_title.strip():
        raise err.IllError(
            err.COPY_NEEDS_ARTICLE, code=err.ErrorCode.COPY_NEEDS_ARTICLE, field="article_title"
        )


def _named_lenders(borrower_id: int, first: int | None, others: list[int] | None) -> list[int]:
    """The lenders a request names, in order, each once, never the borrower itself."""
    named = [first] if first else []
    return [pk for pk in dict.fromkeys([*named, *(others or [])]) if pk != borrower_id]


@transaction.atomic
def ill_request_create(
    *,
    actor: Any,
    bib_record_id: int | None = None,
    title: str = "",
    author: str = "",
    publisher: str = "",
    year: str = "",
    isbn: str = "",
    service_type: str = ServiceType.LOAN,
    article_title: str = "",
    pages: str = "",
    needed_by: date | None = None,
    service_level: str = ServiceLevel.NORMAL,
    note: str = "",
    patron_id: int | None = None,
    requesting_agency_request_id: str = "",
    patron_reference: str = "",
    preferred_supplier_id: int | None = None,
    preferred_supplier_ids: list[int] | None = None,
) -> IllRequest:
    """A patron asks their home library for an item (or staff ask for a patron or a citation).

    A library system's ISO 18626 request also gives its own id for the request, its
    patron (as text private to the borrowing library) and the lender it would ask first.
    """
    borrower_id, patron = _requester(actor, patron_id=patron_id, citation=bib_record_id is None)
    _check_service(
        service_type=service_type,
        service_level=service_level,
        needed_by=needed_by,
        article_title=article_title,
    )
    if bib_record_id is not None:
        cited = Citation.of_record(bib_record_id, borrower_id)
    else:
        cited = Citation(title=title, author=author, publisher=publisher, year=year, isbn=isbn)
    if not cited.title.strip():
        raise err.IllError(err.RECORD_OR_TITLE, code=err.ErrorCode.RECORD_OR_TITLE, field="title")
    req = IllRequest(
        borrower_id=borrower_id,
        patron=patron,
        created_by=actor_user(actor),
        bib_record=cited.record,
        title=cited.title.strip()[:500],
        author=cited.author.strip()[:300],
        publisher=cited.publisher.strip()[:300],
        year=cited.year.strip()[:20],
        isbn=cited.isbn.strip()[:20],
        record_format=cited.record.format if cited.record else "",
        service_type=service_type,
        article_title=article_title.strip()[:500],
        pages=pages.strip()[:50],
        needed_by=needed_by,
        service_level=service_level,
        patron_note=note.strip()[:2000],
        status=states.SUBMITTED,
        status_changed_at=clock.now(),
        requesting_agency_request_id=requesting_agency_request_id,
        patron_reference=patron_reference.strip()[:200],
        preferred_supplier_id=preferred_supplier_id if preferred_supplier_id != borrower_id else None,
        preferred_suppliers=_named_lenders(borrower_id, preferred_supplier_id, preferred_supplier_ids),
    )
    req.save()
    event = ill_event_record(
        request=req,
        kind=EventKind.SUBMIT,
        side=Side.REQUESTER,
        actor=actor,
        actor_role=Role.PATRON if patron is not None and actor_user(actor) == patron else Role.BORROWER,
        before=("", ""),
        note=req.patron_note,
    )
    notices.queue_for_event(request=req, event=event)
    return req


# ---------------------------------------------------------------------------------------
# the transition


def _locked_request(request_id: int) -> IllRequest:
    req = IllRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    return req


def _check_allowed(req: IllRequest, spec: states.Action, actor: Any, expected: str | None) -> set[Role]:
    """The actor's roles, if the table lets them take this action now; else why not."""
    roles = actor_roles(actor, req)
    if not roles:
        if works_at(actor, None):
            raise err.IllPermissionDenied(err.NOT_ASKED, code=err.ErrorCode.NOT_ASKED)
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    now = {
        "status_code": req.status,
        "supplier_status": req.supplier_status,
        "service_type": req.service_type,
    }
    available = states.available_actions(**now, roles=roles)
    codes = [a.code for a in available]
    if expected is not None and expected not in (req.status, req.supplier_status):
        raise err.InvalidTransition(
            err.CHANGED_MEANWHILE,
            code=err.ErrorCode.CHANGED_MEANWHILE,
            status=req.status,
            supplier_status=req.supplier_status,
            available=codes,
        )
    if spec in available:
        return roles
    if spec in states.available_actions(**now, roles=frozenset(Role)):
        # The state allows it, but not for this actor (e.g. a patron pressing "validate").
        raise err.IllPermissionDenied(
            err.NOT_YOUR_TURN.format(roles=_roles(spec.roles), action=spec.label),
            code=err.ErrorCode.NOT_YOUR_TURN,
            available=codes,
        )
    raise err.InvalidTransition(
        err.NOT_AVAILABLE.format(
            action=spec.label,
            status=req.status_info.label,
            supplier_status=req.supplier_status_info.label,
            available=_labels(available),
        ),
        code=err.ErrorCode.INVALID_TRANSITION,
        status=req.status,
        supplier_status=req.supplier_status,
        available=codes,
    )


def _move(req: IllRequest, spec: states.Action, outcome: Outcome) -> None:
    """Apply the handler's changes and the action's statuses (both sides), and save."""
    for name, value in outcome.changes.items():
        setattr(req, name, value)
    if spec.side == Side.REQUESTER:
        req.status = spec.to
        if spec.effect is not None:
            req.supplier_status = spec.effect.to
    else:
        req.supplier_status = spec.to
        if spec.effect is not None:
            req.status = spec.effect.to
    if outcome.to is not None:
        req.status, req.supplier_status = outcome.to
    req.status_changed_at = clock.now()
    req.save(
        update_fields=sorted(
            {*outcome.changes, "status", "supplier_status", "status_changed_at", "updated_at"}
        )
    )


@transaction.atomic
def ill_request_transition(*, request_id: int, action: str, actor: Any, **payload: Any) -> IllRequest:
    """Take one action of the state machine on a request, or refuse it with a reason.

    Locks the row, checks the table and the actor, applies the action's handler, saves
    with update_fields, records the event and queues notices and routing after commit.
    ``expected_status`` (what the actor saw) turns a lost race into a clear Conflict.
    """
    spec = states.ACTIONS.get(action)
    if spec is None:
        raise err.IllError(err.UNKNOWN_ACTION.format(action=action), code=err.ErrorCode.UNKNOWN_ACTION)
    req = _locked_request(request_id)
    expected = payload.pop("expected_status", None)
    via = payload.pop("via", "")
    roles = _check_allowed(req, spec, actor, expected)
    note = str(payload.get("note", "") or "").strip()[:2000]
    step = Step(req=req, spec=spec, actor=actor, payload=payload, note=note, via=via, now=clock.now())
    outcome = handler_for(action)(step)
    note = note if outcome.note is None else outcome.note
    if "note" in spec.needs and not note:
        raise err.IllError(
            err.NEEDS_VALUE.format(action=spec.label, field=FIELD_LABELS["note"]),
            code=err.ErrorCode.NEEDS_VALUE,
            field="note",
        )
    before = (req.status, req.supplier_status)
    _move(req, spec, outcome)
    event = ill_event_record(
        request=req,
        kind=EventKind(action),
        side=spec.side,
        actor=actor,
        actor_role=sorted(roles & spec.roles)[0],
        before=before,
        note=note,
        # "via": e.g. "iso18626", the library's own system sent it
        data={"via": via, **outcome.data} if via else outcome.data,
        supplier_id=req.supplier_id,
    )
    # Outbox rows are written in this transaction (never lost) and sent after commit.
    notices.queue_for_event(request=req, event=event)
    iso18626_outbound.queue_for_event(request=req, event=event)
    ratings.rating_invite(request=req)  # when it has just ended, its patron is asked to rate it
    if req.status in (states.VALIDATED, states.SOURCING) and action != "start_sourcing":
        from ill.tasks import route_request_task

        route_request_task.delay_on_commit(request_id=req.pk)
    return req


# ---------------------------------------------------------------------------------------
# rota, messages, copies


def _locked_for_borrower(
    request_id: int, actor: Any, action: str, *, related: tuple[str, ...] = ()
) -> IllRequest:
    """The request, locked, when the actor acts for its borrowing library (else the error)."""
    req = IllRequest.objects.select_for_update().select_related(*related).filter(pk=request_id).first()
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    if Role.BORROWER not in actor_roles(actor, req):
        raise err.IllPermissionDenied(
            err.NOT_YOUR_TURN.format(roles=_roles({Role.BORROWER}), action=action),
            code=err.ErrorCode.NOT_YOUR_TURN,
        )
    return req


@transaction.atomic
def ill_rota_reorder(*, request_id: int, actor: Any, entry_ids: list[int]) -> list[RotaEntry]:
    """Staff of the borrowing library put the lenders not yet asked in a new order."""
    req = _locked_for_borrower(request_id, actor, _("reorder the rota"))
    pending = list(
        RotaEntry.objects.select_for_update().filter(
            request=req, round=req.rota_round, status=RotaEntry.Status.PENDING
        )
    )
    by_id = {e.pk: e for e in pending}
    if sorted(entry_ids) != sorted(by_id) or len(set(entry_ids)) != len(entry_ids):
        raise err.IllError(err.REORDER_MISMATCH, code=err.ErrorCode.REORDER_MISMATCH, field="order")
    positions = sorted(e.position for e in pending)
    for position, entry_id in zip(positions, entry_ids, strict=True):
        by_id[entry_id].position = position
    RotaEntry.objects.bulk_update(pending, ["position"])
    ill_event_record(
        request=req,
        kind=EventKind.REORDER_ROTA,
        side=Side.REQUESTER,
        actor=actor,
        actor_role=Role.BORROWER,
        before=(req.status, req.supplier_status),
        data={"order": [by_id[i].lender_id for i in entry_ids]},
    )
    return sorted(pending, key=lambda e: e.position)


# Where a retry can be taken: no lender left to ask, or another lender asked that has not
# agreed to supply it yet.
RETRYABLE = frozenset({states.END_OF_ROTA, states.SOURCING, states.SENT_TO_SUPPLIER, states.EXPECT_TO_SUPPLY})


@transaction.atomic
def ill_request_retry(*, request_id: int, actor: Any, terms: dict[str, Any], note: str = "") -> IllRequest:
    """The requesting library asks again the lender that offered a retry (it answered
    RetryPossible: on loan, cost exceeds the maximum...), on changed terms (service type
    and level, needed-by date, article, pages; what ``terms`` gives). With no lender left
    to ask the request goes to that lender at once (a new round of the rota, as staff
    re-sourcing with a named lender); while another lender considers it, that lender is
    asked next, before the rest of the rota. ISO 18626 requestType Retry."""
    req = _locked_for_borrower(request_id, actor, _("retry"), related=("borrower",))
    offer = (
        RotaEntry.objects.filter(request=req, reason_unfilled__in=list(states.REASONS_RETRY))
        .select_related("lender")
        .order_by("-answered_at", "-pk")
        .first()
    )
    if offer is None:
        raise err.IllError(
            err.NO_RETRY_OFFERED.format(reference=req.reference), code=err.ErrorCode.NO_RETRY_OFFERED
        )
    if req.status not in RETRYABLE:
        raise err.InvalidTransition(
            err.RETRY_NOT_NOW.format(reference=req.reference, status=req.status_info.label),
            code=err.ErrorCode.RETRY_NOT_NOW,
        )
    if req.supplier_id == offer.lender_id and req.status != states.END_OF_ROTA:
        raise err.InvalidTransition(
            err.RETRY_LENDER_ASKED.format(lender=offer.lender.code), code=err.ErrorCode.RETRY_NOT_NOW
        )
    changes = _retry_terms(req, terms)
    for name, value in changes.items():
        setattr(req, name, value)
    if changes:
        req.save(update_fields=[*changes, "updated_at"])
    before = (req.status, req.supplier_status)
    data = {
        "lender": offer.lender_id,
        "reason_retry": offer.reason_unfilled,
        "terms": {name: str(value) for name, value in changes.items()},
    }
    ill_event_record(
        request=req, kind=EventKind.RETRY, side=Side.REQUESTER, actor=actor, actor_role=Role.BORROWER,
        before=before, note=note.strip()[:2000], data=data, supplier_id=offer.lender_id,
    )  # fmt: skip
    if req.status == states.END_OF_ROTA:
        return ill_request_transition(
            request_id=req.pk, action="resource", actor=actor, lender=offer.lender.code, retry=True
        )
    _queue_first(req, offer, actor)
    return req


def _queue_first(req: IllRequest, offer: RotaEntry, actor: Any) -> None:
    """The lender that offered the retry asked next, before the lenders not asked yet. A
    lender is in a round once: when the offer was made in this round, its entry is put
    back in the queue (its answer stays in the history, the retry event says it)."""
    from ill.actions import manual_rota_entry  # (actions takes services' helpers)

    if offer.round == req.rota_round:
        offer.status, offer.reason_unfilled, offer.answered_at, offer.deadline_at = (
            RotaEntry.Status.PENDING, "", None, None,
        )  # fmt: skip
        offer.reason_data = {**offer.reason_data, "retry": True}
        offer.save(update_fields=["status", "reason_unfilled", "answered_at", "deadline_at", "reason_data"])
        entry = offer
    else:
        entry = manual_rota_entry(req, offer.lender.code, actor, round_=req.rota_round, retry=True)
    pending = list(
        RotaEntry.objects.filter(request=req, round=req.rota_round, status=RotaEntry.Status.PENDING).order_by(
            "position"
        )
    )
    order = [entry, *(e for e in pending if e.pk != entry.pk)]
    for position, each in zip(sorted(e.position for e in pending), order, strict=True):
        each.position = position
    RotaEntry.objects.bulk_update(order, ["position"])


def _retry_terms(req: IllRequest, terms: dict[str, Any]) -> dict[str, Any]:
    """The terms a retry changes, checked as a new request's are."""
    fields = ("service_type", "service_level", "needed_by", "article_title", "pages")
    wanted = {name: terms[name] for name in fields if name in terms and terms[name] not in (None, "")}
    merged = {name: wanted.get(name, getattr(req, name)) for name in fields}
    _check_service(
        service_type=merged["service_type"],
        service_level=merged["service_level"],
        needed_by=merged["needed_by"] if "needed_by" in wanted else None,
        article_title=merged["article_title"],
    )
    return {name: value for name, value in wanted.items() if getattr(req, name) != value}


@transaction.atomic
def ill_request_remind(*, request_id: int, actor: Any, note: str = "") -> IllEvent:
    """The requesting library reminds the lender asked (ISO 18626 requestType Reminder):
    recorded in the request's history, where the lender asked sees it, and sent on as a
    Reminder to the lender's own ILL system if it has one."""
    req = _locked_for_borrower(request_id, actor, _("send a reminder"))
    event = ill_event_record(
        request=req, kind=EventKind.REMINDER, side=Side.REQUESTER, actor=actor, actor_role=Role.BORROWER,
        before=(req.status, req.supplier_status), note=note.strip()[:2000], supplier_id=req.supplier_id,
    )  # fmt: skip
    iso18626_outbound.queue_for_event(request=req, event=event)  # a lender's own system hears it too
    return event


@transaction.atomic
def ill_message_send(*, request_id: int, actor: Any, body: str) -> IllMessage:
    """A note from one library to the other on a request (the patron is not a party)."""
    req = IllRequest.objects.select_related("borrower", "supplier").filter(pk=request_id).first()
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    body = (body or "").strip()
    if not body:
        raise err.IllError(err.MESSAGE_EMPTY, code=err.ErrorCode.MESSAGE_EMPTY, field="body")
    roles = actor_roles(actor, req)
    if Role.BORROWER in roles and req.supplier_id:
        sender, recipient = req.borrower, req.supplier
    elif Role.LENDER in roles:
        sender, recipient = req.supplier, req.borrower
    else:
        raise err.IllPermissionDenied(err.NOT_PARTY, code=err.ErrorCode.NOT_PARTY)
    message = IllMessage.objects.create(
        request=req, sender=sender, recipient=recipient, author=actor_user(actor), body=body[:4000]
    )
    notices.queue_message(request=req, message=message)
    return message


def copy_token(copy: DeliveredCopy) -> str:
    """The signed part of a delivered copy's link (expiry is the copy's expires_at)."""
    return signing.dumps({"c": copy.pk, "r": copy.request_id}, salt=COPY_SALT, compress=True)


def copy_for_token(*, token: str, actor: Any) -> DeliveredCopy:
    """The copy behind a link, for its patron or the borrowing library's staff, until it expires."""
    try:
        data = signing.loads(token, salt=COPY_SALT)
    except signing.BadSignature as exc:
        raise err.IllNotFound(err.LINK_EXPIRED, code=err.ErrorCode.LINK_EXPIRED) from exc
    copy = (
        DeliveredCopy.objects.select_related("request")
        .filter(pk=data.get("c"), request_id=data.get("r"))
        .first()
    )
    if copy is None or copy.expires_at <= clock.now():
        raise err.IllNotFound(err.LINK_EXPIRED, code=err.ErrorCode.LINK_EXPIRED)
    roles = actor_roles(actor, copy.request)
    if not roles & {Role.PATRON, Role.BORROWER}:
        raise err.IllNotFound(err.LINK_EXPIRED, code=err.ErrorCode.LINK_EXPIRED)
    return copy
