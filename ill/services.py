"""Writes for interlibrary loan. ``ill_request_transition`` is the only code that changes
a request's status (requester or supplier side)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from catalogue.models import BibRecord, Holding
from consortium import clock
from ill import exceptions as err
from ill import notices, rota_reasons, states
from ill.iso18626 import outbound as iso18626_outbound
from ill.models import DeliveredCopy, IllEvent, IllMessage, IllRequest, RotaEntry, ServiceLevel, ServiceType
from ill.states import ACTIONS, Role, Side
from members.models import Library, PatronStatus, User
from members.permissions import LibraryPrincipal, is_approved_patron, works_at
from policies.calendar import add_working_days
from policies.terms import explanation_text

COPY_SALT = "ill.delivered-copy"
PDF_MAGIC = b"%PDF-"
# Event note (stored in the log, like routing's reasons) when the overdue timer finds a
# renewal still unanswered on the due date.
RENEWAL_LAPSED = "The renewal was not answered before the due date; the loan is overdue."


@dataclass(frozen=True)
class SystemActor:
    """Routing and timers: the ``system`` role of the state machine."""

    name: str = "system"
    is_authenticated: bool = True
    pk: None = None
    library_id: None = None

    def __str__(self) -> str:
        return "Ishtiraak"


SYSTEM = SystemActor()


def actor_roles(actor: Any, req: IllRequest) -> set[Role]:
    """The state machine roles this actor holds on this request."""
    if isinstance(actor, SystemActor):
        return {Role.SYSTEM}
    roles: set[Role] = set()
    if isinstance(actor, User) and actor.is_patron and req.patron_id == actor.pk and actor.is_active:
        roles.add(Role.PATRON)
    if works_at(actor, req.borrower_id):
        roles.add(Role.BORROWER)
    if req.supplier_id is not None and req.supplier_status and works_at(actor, req.supplier_id):
        roles.add(Role.LENDER)
    return roles


def _actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _actor_library_id(actor: Any) -> int | None:
    if isinstance(actor, LibraryPrincipal):
        return actor.library.pk
    return getattr(actor, "library_id", None)


def _labels(actions: list[states.Action]) -> str:
    """Actions as people read them, in the request's language (API clients get the codes)."""
    return ", ".join(f"“{a.label}”" for a in actions) or str(_("none"))


def _roles(roles: frozenset[Role] | set[Role]) -> str:
    return str(_(" or ")).join(str(states.ROLE_LABELS[r]) for r in sorted(roles))


# Field names inside messages, as people read them.
FIELD_LABELS = {
    "reason": _("reason"),
    "reason_unfilled": _("reason for not supplying"),
    "reason_retry": _("reason to retry later"),
    "condition": _("loan condition"),
    "service_type": _("service type"),
    "service_level": _("service level"),
    "file": _("a PDF file"),
    "note": _("a note"),
}


# ---------------------------------------------------------------------------------------
# create


def _check_needed_by(needed_by: date | None) -> None:
    if needed_by is not None and needed_by < clock.today():
        raise err.IllError(err.PAST_NEEDED_BY.format(date=needed_by.isoformat()), field="needed_by")


def _lenders_exist(record: BibRecord, borrower_id: int) -> bool:
    return Holding.objects.lendable(elsewhere_than=borrower_id).filter(bib_record=record).exists()


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
) -> IllRequest:
    """A patron asks their home library for an item (or staff ask for a patron or a citation).

    A library system's ISO 18626 request also gives its own id for the request, its
    patron (as text private to the borrowing library) and the lender it would ask first.
    """
    if isinstance(actor, User) and actor.is_patron:
        if not is_approved_patron(actor) or actor.library_id is None:
            raise err.IllPermissionDenied(err.PATRON_NOT_APPROVED)
        borrower_id, patron = actor.library_id, actor
        if bib_record_id is None:
            raise err.IllError(err.ONLY_STAFF_CITATION, field="record")
    elif works_at(actor, None):
        borrower_id = _actor_library_id(actor)
        patron = None
        if patron_id is not None:
            patron = User.objects.filter(pk=patron_id).first()
            if patron is None or not patron.is_patron:
                raise err.IllError(err.NOT_A_PATRON, field="patron")
            if patron.library_id != borrower_id:
                raise err.IllPermissionDenied(err.PATRON_OTHER_LIBRARY, field="patron")
    else:
        raise err.IllPermissionDenied(err.ONLY_PATRONS_AND_STAFF)
    if service_type not in ServiceType.values:
        raise err.IllError(
            err.UNKNOWN_REASON.format(
                value=service_type, field=FIELD_LABELS["service_type"], choices=", ".join(ServiceType.values)
            ),
            field="service_type",
        )
    if service_level not in ServiceLevel.values:
        raise err.IllError(
            err.UNKNOWN_REASON.format(
                value=service_level,
                field=FIELD_LABELS["service_level"],
                choices=", ".join(ServiceLevel.values),
            ),
            field="service_level",
        )
    _check_needed_by(needed_by)
    if service_type == ServiceType.COPY and not article_title.strip():
        raise err.IllError(err.COPY_NEEDS_ARTICLE, field="article_title")
    record = None
    if bib_record_id is not None:
        record = BibRecord.objects.filter(pk=bib_record_id).first()
        if record is None:
            raise err.IllError(err.RECORD_OR_TITLE, field="record")
        if not _lenders_exist(record, borrower_id):
            raise err.IllError(err.NO_LENDER, field="record", code="no_lender")
        title = record.title
        author = "; ".join(record.authors[:3])
        publisher = record.publisher
        year = str(record.year or "")
        isbn = (record.isbns or [""])[0]
    if not title.strip():
        raise err.IllError(err.RECORD_OR_TITLE, field="title")
    now = clock.now()
    req = IllRequest(
        borrower_id=borrower_id,
        patron=patron,
        created_by=_actor_user(actor),
        bib_record=record,
        title=title.strip()[:500],
        author=author.strip()[:300],
        publisher=publisher.strip()[:300],
        year=year.strip()[:20],
        isbn=isbn.strip()[:20],
        record_format=record.format if record else "",
        service_type=service_type,
        article_title=article_title.strip()[:500],
        pages=pages.strip()[:50],
        needed_by=needed_by,
        service_level=service_level,
        patron_note=note.strip()[:2000],
        status=states.SUBMITTED,
        status_changed_at=now,
        requesting_agency_request_id=requesting_agency_request_id,
        patron_reference=patron_reference.strip()[:200],
        preferred_supplier_id=preferred_supplier_id if preferred_supplier_id != borrower_id else None,
    )
    req.save()
    event = IllEvent.objects.create(
        request=req,
        action="submit",
        side=Side.REQUESTER,
        actor=_actor_user(actor),
        actor_library_id=borrower_id,
        actor_role=Role.PATRON if patron is not None and _actor_user(actor) == patron else Role.BORROWER,
        from_status="",
        to_status=states.SUBMITTED,
        note=req.patron_note,
    )
    notices.queue_for_event(request=req, event=event)
    return req


# ---------------------------------------------------------------------------------------
# the transition


def _check_choice(value: Any, choices: dict, field: str) -> str:
    if value not in choices:
        raise err.IllError(
            err.UNKNOWN_REASON.format(
                value=value, field=FIELD_LABELS.get(field, field), choices=", ".join(choices)
            ),
            field=field,
        )
    return value


def _current_entry(req: IllRequest) -> RotaEntry | None:
    if req.supplier_id is None:
        return None
    return (
        RotaEntry.objects.select_for_update()
        .filter(request=req, lender_id=req.supplier_id, round=req.rota_round)
        .exclude(status__in=[RotaEntry.Status.PENDING, RotaEntry.Status.SKIPPED])
        .order_by("-position")
        .first()
    )


def validation_problem(req: IllRequest) -> str | None:
    """The first reason the home library would refuse this request, or None."""
    patron = req.patron
    if patron is not None and (
        not patron.is_active
        or patron.patron_status != PatronStatus.APPROVED
        or patron.library_id != req.borrower_id
    ):
        return "invalid_patron"
    if req.bib_record_id is not None:
        same = IllRequest.objects.open().filter(bib_record_id=req.bib_record_id, borrower_id=req.borrower_id)
        same = same.filter(patron=patron) if patron is not None else same.filter(patron__isnull=True)
        if same.exclude(pk=req.pk).filter(created_at__lt=req.created_at).exists():
            return "duplicate"
        if (
            Holding.objects.filter(
                bib_record_id=req.bib_record_id,
                library_id=req.borrower_id,
                lendable=True,
                status=Holding.Status.AVAILABLE,
            ).exists()
            and not req.is_copy
        ):
            return "held_locally"
    if (
        patron is not None
        and IllRequest.objects.open().filter(patron=patron).exclude(status=states.SUBMITTED).count()
        >= settings.ILL_PATRON_MAX_OPEN
    ):
        return "over_limit"
    return None


def _validate_pdf(upload: Any) -> tuple[bytes, str]:
    name = getattr(upload, "name", "upload") or "upload"
    size = getattr(upload, "size", None)
    limit = settings.ILL_COPY_MAX_BYTES
    if size is not None and size > limit:
        raise err.IllError(
            err.TOO_LARGE.format(name=name, size=round(size / 1048576, 1), limit=limit // 1048576),
            field="file",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise err.IllError(
            err.TOO_LARGE.format(name=name, size=round(len(data) / 1048576, 1), limit=limit // 1048576),
            field="file",
        )
    if not data:
        raise err.IllError(err.EMPTY_FILE.format(name=name), field="file")
    # Magic bytes, not the name or the browser's content type: PDF files start with %PDF-
    # (within the first 1024 bytes, per the PDF specification's tolerance).
    if PDF_MAGIC not in data[:1024]:
        raise err.IllError(err.NOT_PDF.format(name=name), field="file")
    return data, name


def _apply_payload(
    req: IllRequest, action: str, actor: Any, payload: dict, fields: set[str], data: dict
) -> str:
    """Per-action rules and field changes; returns the event note."""
    note = str(payload.get("note", "") or "").strip()[:2000]
    now = clock.now()
    if action == "validate":
        problem = validation_problem(req)
        if problem and not payload.get("override"):
            raise err.IllError(
                err.CHECK_FAILED.format(problem=states.REFUSAL_REASONS[problem]), code=problem, check=problem
            )
        if problem:
            data["overridden"] = problem
    elif action == "refuse":
        req.refusal_reason = _check_choice(payload.get("reason"), states.REFUSAL_REASONS, "reason")
        fields.add("refusal_reason")
        data["reason"] = req.refusal_reason
    elif action == "send_to_supplier":
        entry = (
            RotaEntry.objects.select_for_update()
            .filter(pk=payload.get("entry_id"), request=req, status=RotaEntry.Status.PENDING)
            .first()
        )
        if entry is None:
            raise err.InvalidTransition(err.CHANGED_MEANWHILE)
        days = entry.response_deadline_days or 3
        # Rush: one working day whatever the agreement says (ReShare counts rush in hours).
        deadline = add_working_days(now, 1 if req.service_level == ServiceLevel.RUSH else days)
        entry.status, entry.asked_at, entry.deadline_at = RotaEntry.Status.ASKED, now, deadline
        entry.save(update_fields=["status", "asked_at", "deadline_at"])
        req.supplier_id, req.rota_position = entry.lender_id, entry.position
        req.fee_pkr, req.renewals_allowed, req.loan_condition = entry.fee_pkr, entry.renewals_allowed, ""
        fields |= {"supplier", "rota_position", "fee_pkr", "renewals_allowed", "loan_condition"}
        data.update(entry_id=entry.pk, lender=entry.lender_id, deadline=deadline.isoformat())
        if not note:
            # Routing's reason: English in the note (ISO 18626 messages, the API), as data for pages.
            note, data["rota_reason"] = entry.reason, entry.reason_data
    elif action == "resource":
        req.rota_round += 1
        fields.add("rota_round")
        if payload.get("lender"):
            entry = _manual_rota_entry(req, str(payload["lender"]), actor)
            data["lender"] = entry.lender_id
    elif action in ("unfilled", "time_out", "retry_possible"):
        entry = _current_entry(req)
        if action == "unfilled":
            reason = _check_choice(payload.get("reason_unfilled"), states.REASONS_UNFILLED, "reason_unfilled")
        elif action == "retry_possible":
            reason = _check_choice(payload.get("reason_retry"), states.REASONS_RETRY, "reason_retry")
        else:
            reason = "NoAnswer"
        data["reason"] = reason
        if entry is not None:
            entry.status = RotaEntry.Status.TIMED_OUT if action == "time_out" else RotaEntry.Status.UNFILLED
            entry.reason_unfilled, entry.answered_at, entry.note = reason, now, note
            entry.save(update_fields=["status", "reason_unfilled", "answered_at", "note"])
    elif action in ("expect_to_supply", "will_supply", "will_supply_with_conditions", "deliver_copy"):
        entry = _current_entry(req)
        if action == "will_supply_with_conditions":
            req.loan_condition = _check_choice(payload.get("condition"), states.LOAN_CONDITIONS, "condition")
            fields.add("loan_condition")
            data["condition"] = req.loan_condition
        upload = payload.get("file")
        if action == "deliver_copy" and upload is None and payload.get("delivered_via"):
            # Delivered by the lender's own system straight to the borrower (ISO 18626
            # CopyCompleted with deliveryInfo/sentVia): nothing to store here.
            data["delivered_via"] = str(payload["delivered_via"])[:200]
        elif action == "deliver_copy":
            if upload is None:
                raise err.IllError(
                    err.NEEDS_VALUE.format(action=ACTIONS[action].label, field=FIELD_LABELS["file"]),
                    field="file",
                )
            content, name = _validate_pdf(upload)
            copy = DeliveredCopy(
                request=req,
                original_name=name[:255],
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_by=_actor_user(actor),
                expires_at=now + timedelta(days=settings.ILL_COPY_LINK_DAYS),
            )
            copy.file.save(f"ill-{req.pk}.pdf", ContentFile(content), save=False)
            copy.save()
            data["copy_id"] = copy.pk
        if entry is not None:
            if entry.answered_at is None:
                entry.answered_at = now
            if action != "expect_to_supply":
                entry.status = RotaEntry.Status.SUPPLYING
            entry.save(update_fields=["status", "answered_at"])
    elif action == "ship":
        entry = _current_entry(req)
        period = (entry.loan_period_days if entry else 0) or 28
        due = payload.get("due_date")
        req.due_date = (
            due if isinstance(due, date) and due > clock.today() else clock.today() + timedelta(days=period)
        )
        fields.add("due_date")
        data["due_date"] = req.due_date.isoformat()
    elif action == "renew":
        if req.renewals_used >= req.renewals_allowed:
            raise err.IllError(
                err.NO_RENEWALS_LEFT.format(allowed=req.renewals_allowed, used=req.renewals_used),
                code="no_renewals_left",
            )
    elif action == "approve_renewal":
        entry = _current_entry(req)
        period = (entry.loan_period_days if entry else 0) or 28
        due = payload.get("due_date")
        req.due_date = (
            due
            if isinstance(due, date) and due > clock.today()
            else max(req.due_date or clock.today(), clock.today()) + timedelta(days=period)
        )
        req.renewals_used += 1
        fields |= {"due_date", "renewals_used"}
        data["due_date"] = req.due_date.isoformat()
    elif action == "mark_overdue":
        # Staff may say so only once the due date has passed; a lender's own system (ISO
        # 18626 Overdue) keeps the loan record and is taken at its word.
        if data.get("via") != "iso18626" and (req.due_date is None or req.due_date >= clock.today()):
            raise err.IllError(err.NOT_DUE_YET.format(due=req.due_date or "—"), code="not_due_yet")
        if req.supplier_status == states.RENEW_REQUESTED:
            data["renewal_lapsed"] = True
            note = note or RENEWAL_LAPSED
    elif action in ("reject_conditions", "answer_cancel_yes"):
        entry = _current_entry(req)
        if entry is not None:
            entry.status, entry.answered_at = RotaEntry.Status.CANCELLED, entry.answered_at or now
            entry.save(update_fields=["status", "answered_at"])
    elif action == "end_of_rota":
        data["reasons"] = payload.get("reasons", [])
    for key in ACTIONS[action].needs:
        if key == "note" and not note:
            raise err.IllError(
                err.NEEDS_VALUE.format(action=ACTIONS[action].label, field=FIELD_LABELS["note"]), field="note"
            )
    return note


def _manual_rota_entry(req: IllRequest, code: str, actor: Any) -> RotaEntry:
    """Staff name the library to ask next (a citation nobody holds in the catalogue, or
    a lender they know has it); routing asks exactly that one in the new round."""
    from ill.routing import terms_for_candidates

    lender = Library.objects.filter(code=code.strip().upper()).first()
    if lender is None or lender.pk == req.borrower_id:
        raise err.IllError(err.LENDER_NOT_MEMBER, field="lender")
    terms, why = terms_for_candidates(req=req, lenders=[lender])[lender.pk]
    if terms is None:
        raise err.IllError(f"{err.LENDER_NOT_MEMBER} {explanation_text(why)}.", field="lender")
    data = {"code": rota_reasons.CHOSEN_BY_STAFF, "library": _actor_library_id(actor), "policy": why}
    with translation.override("en"):
        english = rota_reasons.rota_reason_text(data)
    return RotaEntry.objects.create(
        request=req,
        round=req.rota_round,
        position=next_position(req),
        lender=lender,
        reason=english,
        reason_data=data,
        agreement_id=terms.agreement_id,
        agreement_name=terms.agreement_name[:200],
        loan_period_days=terms.loan_period_days,
        renewals_allowed=terms.renewals_allowed,
        response_deadline_days=terms.response_deadline_days,
        fee_pkr=terms.fee_pkr,
    )


@transaction.atomic
def ill_request_transition(*, request_id: int, action: str, actor: Any, **payload: Any) -> IllRequest:
    """Take one action of the state machine on a request, or refuse it with a reason.

    Locks the row, checks the table and the actor, applies the action's rules, saves
    with update_fields, appends an IllEvent and queues notices and routing after commit.
    ``expected_status`` (what the actor saw) turns a lost race into a clear Conflict.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise err.IllError(err.UNKNOWN_ACTION.format(action=action), code="unknown_action")
    req = IllRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND)
    roles = actor_roles(actor, req)
    if not roles:
        if works_at(actor, None):
            raise err.IllPermissionDenied(err.NOT_ASKED)
        raise err.IllNotFound(err.REQUEST_NOT_FOUND)
    available = states.available_actions(
        status_code=req.status,
        supplier_status=req.supplier_status,
        service_type=req.service_type,
        roles=roles,
    )
    expected = payload.pop("expected_status", None)
    via = payload.pop("via", "")
    if expected is not None and expected not in (req.status, req.supplier_status):
        raise err.InvalidTransition(
            err.CHANGED_MEANWHILE, status=req.status, supplier_status=req.supplier_status,
            available=[a.code for a in available],
        )  # fmt: skip
    if spec not in available:
        possible_now = spec in states.available_actions(
            status_code=req.status,
            supplier_status=req.supplier_status,
            service_type=req.service_type,
            roles=frozenset(Role),
        )
        if possible_now:
            # The state allows it, but not for this actor (e.g. a patron pressing "validate").
            raise err.IllPermissionDenied(
                err.NOT_YOUR_TURN.format(roles=_roles(spec.roles), action=spec.label),
                available=[a.code for a in available],
            )
        raise err.InvalidTransition(
            err.NOT_AVAILABLE.format(
                action=spec.label,
                status=req.status_info.label,
                supplier_status=req.supplier_status_info.label,
                available=_labels(available),
            ),
            status=req.status,
            supplier_status=req.supplier_status,
            available=[a.code for a in available],
        )
    fields: set[str] = set()
    data: dict[str, Any] = {}
    if via:
        data["via"] = via  # e.g. "iso18626": the library's own system sent it
    note = _apply_payload(req, action, actor, payload, fields, data)
    before = (req.status, req.supplier_status)
    if spec.side == Side.REQUESTER:
        req.status = spec.to
        if spec.effect is not None:
            req.supplier_status = spec.effect.to
    else:
        req.supplier_status = spec.to
        if spec.effect is not None:
            req.status = spec.effect.to
    req.status_changed_at = clock.now()
    fields |= {"status", "supplier_status", "status_changed_at", "updated_at"}
    req.save(update_fields=sorted(fields))
    event = IllEvent.objects.create(
        request=req,
        action=action,
        side=spec.side,
        actor=_actor_user(actor),
        actor_library_id=_actor_library_id(actor),
        actor_role=sorted(roles & spec.roles)[0],
        from_status=before[0],
        to_status=req.status,
        from_supplier_status=before[1],
        to_supplier_status=req.supplier_status,
        supplier_id=req.supplier_id,
        note=note,
        data=data,
    )
    # Outbox rows are written in this transaction (never lost) and sent after commit.
    notices.queue_for_event(request=req, event=event)
    iso18626_outbound.queue_for_event(request=req, event=event)
    if req.status in (states.VALIDATED, states.SOURCING) and action != "start_sourcing":
        from ill.tasks import route_request_task

        route_request_task.delay_on_commit(request_id=req.pk)
    return req


# ---------------------------------------------------------------------------------------
# rota, messages, copies


@transaction.atomic
def ill_rota_reorder(*, request_id: int, actor: Any, entry_ids: list[int]) -> list[RotaEntry]:
    """Staff of the borrowing library put the lenders not yet asked in a new order."""
    req = IllRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND)
    if Role.BORROWER not in actor_roles(actor, req):
        raise err.IllPermissionDenied(
            err.NOT_YOUR_TURN.format(roles=_roles({Role.BORROWER}), action=_("reorder the rota"))
        )
    pending = list(
        RotaEntry.objects.select_for_update().filter(
            request=req, round=req.rota_round, status=RotaEntry.Status.PENDING
        )
    )
    by_id = {e.pk: e for e in pending}
    if sorted(entry_ids) != sorted(by_id) or len(set(entry_ids)) != len(entry_ids):
        raise err.IllError(err.REORDER_MISMATCH, field="order")
    positions = sorted(e.position for e in pending)
    for position, entry_id in zip(positions, entry_ids, strict=True):
        by_id[entry_id].position = position
    RotaEntry.objects.bulk_update(pending, ["position"])
    IllEvent.objects.create(
        request=req,
        action="reorder_rota",
        side=Side.REQUESTER,
        actor=_actor_user(actor),
        actor_library_id=_actor_library_id(actor),
        actor_role=Role.BORROWER,
        from_status=req.status,
        to_status=req.status,
        from_supplier_status=req.supplier_status,
        to_supplier_status=req.supplier_status,
        data={"order": [by_id[i].lender_id for i in entry_ids]},
    )
    return sorted(pending, key=lambda e: e.position)


@transaction.atomic
def ill_message_send(*, request_id: int, actor: Any, body: str) -> IllMessage:
    """A note from one library to the other on a request (the patron is not a party)."""
    req = IllRequest.objects.select_related("borrower", "supplier").filter(pk=request_id).first()
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND)
    body = (body or "").strip()
    if not body:
        raise err.IllError(err.MESSAGE_EMPTY, field="body")
    roles = actor_roles(actor, req)
    if Role.BORROWER in roles and req.supplier_id:
        sender, recipient = req.borrower, req.supplier
    elif Role.LENDER in roles:
        sender, recipient = req.supplier, req.borrower
    else:
        raise err.IllPermissionDenied(err.NOT_PARTY)
    message = IllMessage.objects.create(
        request=req, sender=sender, recipient=recipient, author=_actor_user(actor), body=body[:4000]
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
        raise err.IllNotFound(err.LINK_EXPIRED) from exc
    copy = (
        DeliveredCopy.objects.select_related("request")
        .filter(pk=data.get("c"), request_id=data.get("r"))
        .first()
    )
    if copy is None or copy.expires_at <= clock.now():
        raise err.IllNotFound(err.LINK_EXPIRED)
    roles = actor_roles(actor, copy.request)
    if not roles & {Role.PATRON, Role.BORROWER}:
        raise err.IllNotFound(err.LINK_EXPIRED)
    return copy


def next_position(req: IllRequest) -> int:
    return (RotaEntry.objects.filter(request=req).aggregate(m=Max("position"))["m"] or 0) + 1
