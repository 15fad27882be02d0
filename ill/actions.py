"""What each action of the state table (ill/states.py) does besides moving statuses:
one handler per action, registered under its code (as ReShare keeps an action class
beside its state model). An action without rules of its own has no handler.

``ill.services.ill_request_transition`` locks the request, checks the table and the
actor, calls the action's handler, then saves, records the event and schedules
notices. A handler reads a ``Step`` and returns an ``Outcome``: the request fields to
set, the event's data and, where the action writes one, the event's note. It may write
rows that belong to the action (the asked lender's rota entry, a delivered copy) in the
transition's transaction, and refuses with a domain error.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from catalogue.models import Holding
from consortium import clock
from ill import exceptions as err
from ill import rota_reasons, states
from ill.actors import SYSTEM, actor_library_id, actor_user
from ill.models import DeliveredCopy, IllRequest, RotaEntry, ServiceLevel
from members.models import Library, PatronStatus
from policies.calendar import add_working_days
from policies.terms import explanation_text

PDF_MAGIC = b"%PDF-"
# Event note (stored in the log, like routing's reasons) when the overdue timer finds a
# renewal still unanswered on the due date.
RENEWAL_LAPSED = "The renewal was not answered before the due date; the loan is overdue."
# A loan period when the agreement gives none (four weeks, the consortium's default).
DEFAULT_LOAN_DAYS = 28
# A lender's time to answer when the agreement gives none, in working days.
DEFAULT_ANSWER_DAYS = 3

# Field names inside messages, as people read them.
FIELD_LABELS = {
    "reason": _("reason"),
    "reason_unfilled": _("reason for not supplying"),
    "reason_retry": _("reason to retry later"),
    "condition": _("loan condition"),
    "service_type": _("service type"),
    "service_level": _("service level"),
    "file": _("a PDF file"),
    "forward_to": _("the request it goes on to"),
    "note": _("a note"),
}


@dataclass(frozen=True)
class Step:
    """One action being taken, as its handler sees it."""

    req: IllRequest  # locked for this transaction; handlers do not assign its fields
    spec: states.Action
    actor: Any
    payload: dict[str, Any]
    note: str  # the actor's note, trimmed
    via: str  # "iso18626" when the library's own system sent it, else ""
    now: datetime


@dataclass
class Outcome:
    """What a handler decided: request fields to set, event data, the event's own note."""

    changes: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # None: the actor's note
    # (requester status, supplier status) when the handler, not the table's one target,
    # decides where the request goes (a refused renewal of an overdue loan stays overdue)
    to: tuple[str, str] | None = None


Handler = Callable[[Step], Outcome]
HANDLERS: dict[str, Handler] = {}


def handles(*codes: str) -> Callable[[Handler], Handler]:
    """Register a handler for these actions of the state table."""

    def register(handler: Handler) -> Handler:
        for code in codes:
            if code not in states.ACTIONS or code in HANDLERS:
                raise LookupError(f"{code!r} is not an action of ill.states, or has a handler already")
            HANDLERS[code] = handler
        return handler

    return register


def handler_for(code: str) -> Handler:
    return HANDLERS.get(code, _no_rules_of_its_own)


def _no_rules_of_its_own(step: Step) -> Outcome:
    return Outcome()


# ---------------------------------------------------------------------------------------
# helpers


def check_choice(value: Any, choices: dict | list, field: str) -> str:
    """The value if it is one of the choices, else an error naming the field and the choices."""
    if value not in choices:
        raise err.IllError(
            err.UNKNOWN_REASON.format(
                value=value, field=FIELD_LABELS.get(field, field), choices=", ".join(choices)
            ),
            code=err.ErrorCode.UNKNOWN_CHOICE,
            field=field,
        )
    return value


def _current_entry(req: IllRequest) -> RotaEntry | None:
    """The rota entry of the lender asked now (locked), if any."""
    if req.supplier_id is None:
        return None
    return (
        RotaEntry.objects.select_for_update()
        .filter(request=req, lender_id=req.supplier_id, round=req.rota_round)
        .exclude(status__in=[RotaEntry.Status.PENDING, RotaEntry.Status.SKIPPED])
        .order_by("-position")
        .first()
    )


def _loan_period(req: IllRequest) -> int:
    entry = _current_entry(req)
    return (entry.loan_period_days if entry else 0) or DEFAULT_LOAN_DAYS


def _given_due_date(payload: dict[str, Any]) -> date | None:
    """A due date the lender gave, if it is a date after today."""
    due = payload.get("due_date")
    return due if isinstance(due, date) and due > clock.today() else None


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
            code=err.ErrorCode.TOO_LARGE,
            field="file",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise err.IllError(
            err.TOO_LARGE.format(name=name, size=round(len(data) / 1048576, 1), limit=limit // 1048576),
            code=err.ErrorCode.TOO_LARGE,
            field="file",
        )
    if not data:
        raise err.IllError(err.EMPTY_FILE.format(name=name), code=err.ErrorCode.EMPTY_FILE, field="file")
    # Magic bytes, not the name or the browser's content type: PDF files start with %PDF-
    # (within the first 1024 bytes, per the PDF specification's tolerance).
    if PDF_MAGIC not in data[:1024]:
        raise err.IllError(err.NOT_PDF.format(name=name), code=err.ErrorCode.NOT_PDF, field="file")
    return data, name


def manual_rota_entry(
    req: IllRequest, code: str, actor: Any, *, round_: int, retry: bool = False
) -> RotaEntry:
    """Staff name the library to ask next (a citation nobody holds in the catalogue, or
    a lender they know has it); routing asks exactly that one in the new round. A retry
    asks again the lender that offered it (its request says Retry)."""
    from ill.routing import next_position, rota_entry, terms_for_candidates  # routing takes actions

    lender = Library.objects.filter(code=code.strip().upper()).first()
    if lender is None or lender.pk == req.borrower_id:
        raise err.IllError(err.LENDER_NOT_MEMBER, code=err.ErrorCode.LENDER_NOT_MEMBER, field="lender")
    terms, why = terms_for_candidates(req=req, lenders=[lender])[lender.pk]
    if terms is None:
        raise err.IllError(
            f"{err.LENDER_NOT_MEMBER} {explanation_text(why)}.",
            code=err.ErrorCode.LENDER_NOT_MEMBER,
            field="lender",
        )
    data = {"code": rota_reasons.CHOSEN_BY_STAFF, "library": actor_library_id(actor), "policy": why}
    if retry:
        data["retry"] = True
    entry = rota_entry(req, lender=lender, terms=terms, data=data, round_=round_)
    entry.position = next_position(req)
    entry.save()
    return entry


# ---------------------------------------------------------------------------------------
# requester side


@handles("validate")
def _validate(step: Step) -> Outcome:
    problem = validation_problem(step.req)
    if problem and not step.payload.get("override"):
        raise err.IllError(
            err.CHECK_FAILED.format(problem=states.REFUSAL_REASONS[problem]),
            code=err.ErrorCode(problem),
            check=problem,
        )
    return Outcome(data={"overridden": problem} if problem else {})


@handles("refuse")
def _refuse(step: Step) -> Outcome:
    reason = check_choice(step.payload.get("reason"), states.REFUSAL_REASONS, "reason")
    return Outcome(changes={"refusal_reason": reason}, data={"reason": reason})


@handles("send_to_supplier")
def _send_to_supplier(step: Step) -> Outcome:
    """Ask the lender of a pending rota entry; its answer is due in working days."""
    entry = (
        RotaEntry.objects.select_for_update()
        .filter(pk=step.payload.get("entry_id"), request=step.req, status=RotaEntry.Status.PENDING)
        .first()
    )
    if entry is None:
        raise err.InvalidTransition(err.CHANGED_MEANWHILE, code=err.ErrorCode.CHANGED_MEANWHILE)
    days = entry.response_deadline_days or DEFAULT_ANSWER_DAYS
    # Rush: one working day whatever the agreement says (ReShare counts rush in hours).
    deadline = add_working_days(step.now, 1 if step.req.service_level == ServiceLevel.RUSH else days)
    entry.status, entry.asked_at, entry.deadline_at = RotaEntry.Status.ASKED, step.now, deadline
    entry.save(update_fields=["status", "asked_at", "deadline_at"])
    outcome = Outcome(
        changes={
            "supplier_id": entry.lender_id,
            "rota_position": entry.position,
            "fee_pkr": entry.fee_pkr,
            "renewals_allowed": entry.renewals_allowed,
            "loan_condition": "",
        },
        data={"entry_id": entry.pk, "lender": entry.lender_id, "deadline": deadline.isoformat()},
    )
    if not step.note:
        # Routing's reason: English in the note (ISO 18626 messages, the API), as data for pages.
        outcome.note, outcome.data["rota_reason"] = entry.reason, entry.reason_data
    return outcome


@handles("resource")
def _resource(step: Step) -> Outcome:
    """A new round of the rota, with the lender staff named if they named one."""
    outcome = Outcome(changes={"rota_round": step.req.rota_round + 1})
    if step.payload.get("lender"):
        entry = manual_rota_entry(
            step.req,
            str(step.payload["lender"]),
            step.actor,
            round_=outcome.changes["rota_round"],
            retry=bool(step.payload.get("retry")),
        )
        outcome.data["lender"] = entry.lender_id
    return outcome


# A request named by its portal reference (ILL-42) or its number, as a forward names it.
FORWARD_REFERENCE = re.compile(r"\bILL-(\d{1,12})\b|^(\d{1,12})$")


def forward_target_id(text: str) -> int | None:
    """The request a forward names: its reference (ILL-42) anywhere in the text, or its number."""
    found = FORWARD_REFERENCE.search(str(text or "").strip())
    return int(found.group(1) or found.group(2)) if found else None


@handles("ship_forward")
def _ship_forward(step: Step) -> Outcome:
    """The copy goes on to another library's request of the same record that the same
    lender agreed to supply (WillSupply): this loan ends (LoanCompleted for the lender) and
    the portal ships that request for the lender, its loan starting now."""
    from ill.services import ill_request_transition  # (services takes the actions)

    req = step.req
    target_id = forward_target_id(step.payload.get("forward_to", ""))
    target = (
        IllRequest.objects.filter(pk=target_id).exclude(pk=req.pk).first() if target_id is not None else None
    )
    if (
        target is None
        or target.borrower_id == req.borrower_id
        or target.supplier_id != req.supplier_id
        or req.bib_record_id is None
        or target.bib_record_id != req.bib_record_id
        or (target.status, target.supplier_status) != (states.WILL_SUPPLY, states.WILL_SUPPLY_S)
    ):
        raise err.IllError(
            err.FORWARD_TARGET.format(value=str(step.payload.get("forward_to", ""))[:40] or "—"),
            code=err.ErrorCode.FORWARD_TARGET,
            field="forward_to",
        )
    note = f"Forwarded by {req.borrower.code} from {req.reference} (ISO 18626 ShippedForward)."
    ill_request_transition(
        request_id=target.pk, action="ship", actor=SYSTEM, note=note, forwarded_from=req.pk
    )
    return Outcome(data={"forwarded_to": target.pk})


@handles("renew")
def _renew(step: Step) -> Outcome:
    req = step.req
    if req.renewals_used >= req.renewals_allowed:
        raise err.IllError(
            err.NO_RENEWALS_LEFT.format(allowed=req.renewals_allowed, used=req.renewals_used),
            code=err.ErrorCode.NO_RENEWALS_LEFT,
        )
    return Outcome()


@handles("reject_conditions")
def _reject_conditions(step: Step) -> Outcome:
    return _cancel_current_entry(step)


@handles("end_of_rota")
def _end_of_rota(step: Step) -> Outcome:
    return Outcome(data={"reasons": step.payload.get("reasons", [])})


# ---------------------------------------------------------------------------------------
# supplier side


def _close_current_entry(step: Step, *, status: str, reason: str) -> Outcome:
    """The lender asked said no (or said nothing in time): its rota entry says why."""
    entry = _current_entry(step.req)
    if entry is not None:
        entry.status, entry.reason_unfilled, entry.answered_at, entry.note = (
            status,
            reason,
            step.now,
            step.note,
        )
        entry.save(update_fields=["status", "reason_unfilled", "answered_at", "note"])
    return Outcome(data={"reason": reason})


@handles("unfilled")
def _unfilled(step: Step) -> Outcome:
    reason = check_choice(step.payload.get("reason_unfilled"), states.REASONS_UNFILLED, "reason_unfilled")
    return _close_current_entry(step, status=RotaEntry.Status.UNFILLED, reason=reason)


@handles("retry_possible")
def _retry_possible(step: Step) -> Outcome:
    reason = check_choice(step.payload.get("reason_retry"), states.REASONS_RETRY, "reason_retry")
    return _close_current_entry(step, status=RotaEntry.Status.UNFILLED, reason=reason)


@handles("time_out")
def _time_out(step: Step) -> Outcome:
    return _close_current_entry(step, status=RotaEntry.Status.TIMED_OUT, reason="NoAnswer")


def _answered(step: Step, *, supplying: bool = True) -> None:
    """The lender asked answered (and, unless it only expects to, is supplying)."""
    entry = _current_entry(step.req)
    if entry is None:
        return
    if entry.answered_at is None:
        entry.answered_at = step.now
    if supplying:
        entry.status = RotaEntry.Status.SUPPLYING
    entry.save(update_fields=["status", "answered_at"])


@handles("expect_to_supply")
def _expect_to_supply(step: Step) -> Outcome:
    _answered(step, supplying=False)
    return Outcome()


@handles("will_supply")
def _will_supply(step: Step) -> Outcome:
    _answered(step)
    return Outcome()


@handles("will_supply_with_conditions")
def _will_supply_with_conditions(step: Step) -> Outcome:
    condition = check_choice(step.payload.get("condition"), states.LOAN_CONDITIONS, "condition")
    _answered(step)
    return Outcome(changes={"loan_condition": condition}, data={"condition": condition})


@handles("deliver_copy")
def _deliver_copy(step: Step) -> Outcome:
    """The lender's PDF, kept for the borrower's patron behind an expiring link."""
    upload = step.payload.get("file")
    if upload is None and step.payload.get("delivered_via"):
        # Delivered by the lender's own system straight to the borrower (ISO 18626
        # CopyCompleted with deliveryInfo/sentVia): nothing to store here.
        _answered(step)
        return Outcome(data={"delivered_via": str(step.payload["delivered_via"])[:200]})
    if upload is None:
        raise err.IllError(
            err.NEEDS_VALUE.format(action=step.spec.label, field=FIELD_LABELS["file"]),
            code=err.ErrorCode.NEEDS_VALUE,
            field="file",
        )
    content, name = _validate_pdf(upload)
    copy = DeliveredCopy(
        request=step.req,
        original_name=name[:255],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor_user(step.actor),
        expires_at=step.now + timedelta(days=settings.ILL_COPY_LINK_DAYS),
    )
    copy.file.save(f"ill-{step.req.pk}.pdf", ContentFile(content), save=False)
    copy.save()
    _answered(step)
    return Outcome(data={"copy_id": copy.pk})


@handles("ship")
def _ship(step: Step) -> Outcome:
    """Due the lender's date, else today plus the agreement's loan period."""
    due = _given_due_date(step.payload) or clock.today() + timedelta(days=_loan_period(step.req))
    return Outcome(changes={"due_date": due}, data={"due_date": due.isoformat()})


@handles("approve_renewal")
def _approve_renewal(step: Step) -> Outcome:
    """Due the lender's date, else one more loan period from the due date (or today if later)."""
    req, today = step.req, clock.today()
    due = _given_due_date(step.payload) or max(req.due_date or today, today) + timedelta(
        days=_loan_period(req)
    )
    return Outcome(
        changes={"due_date": due, "renewals_used": req.renewals_used + 1}, data={"due_date": due.isoformat()}
    )


@handles("refuse_renewal")
def _refuse_renewal(step: Step) -> Outcome:
    """The loan keeps its due date; one already past it stays overdue (it does not go back to
    "on loan" with nothing to flag it again)."""
    req = step.req
    if req.due_date is not None and req.due_date < clock.today():
        return Outcome(to=(states.OVERDUE, states.OVERDUE_S), data={"stays_overdue": True})
    return Outcome()


@handles("mark_overdue")
def _mark_overdue(step: Step) -> Outcome:
    req = step.req
    # Staff may say so only once the due date has passed; a lender's own system (ISO
    # 18626 Overdue) keeps the loan record and is taken at its word.
    if step.via != "iso18626" and (req.due_date is None or req.due_date >= clock.today()):
        raise err.IllError(err.NOT_DUE_YET.format(due=req.due_date or "—"), code=err.ErrorCode.NOT_DUE_YET)
    if req.supplier_status == states.RENEW_REQUESTED:
        return Outcome(data={"renewal_lapsed": True}, note=step.note or RENEWAL_LAPSED)
    return Outcome()


def _cancel_current_entry(step: Step) -> Outcome:
    entry = _current_entry(step.req)
    if entry is not None:
        entry.status, entry.answered_at = RotaEntry.Status.CANCELLED, entry.answered_at or step.now
        entry.save(update_fields=["status", "answered_at"])
    return Outcome()


@handles("answer_cancel_yes")
def _answer_cancel_yes(step: Step) -> Outcome:
    return _cancel_current_entry(step)
