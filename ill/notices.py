"""Who is told what after each ILL event: the patron, the borrowing library, the lender.

Notices are written to the outbox inside the transition's transaction (so none is lost)
and sent by Celery after commit, exactly once per dedup key (event id and audience).
What each audience's context carries of the request is ill.visibility's decision: the
lender's never the patron, the patron's never the back office (lender, rota reasons, notes
between the libraries), so no template can leak them.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import translation

from ill import states, visibility
from ill.models import IllEvent, IllMessage, IllRequest
from ill.rota_reasons import end_of_rota_lines
from members.models import Library, User
from members.services import notify, recipient_language

PATRON, BORROWER, LENDER = "patron", "borrower", "lender"

# action -> [(audience, template)]; templates/emails/<template>.subject.txt and .txt
NOTICES: dict[str, list[tuple[str, str]]] = {
    "submit": [(PATRON, "ill_patron_received"), (BORROWER, "ill_borrower_new")],
    "refuse": [(PATRON, "ill_patron_cancelled")],
    "cancel": [(PATRON, "ill_patron_cancelled")],
    "answer_cancel_yes": [(PATRON, "ill_patron_cancelled"), (BORROWER, "ill_borrower_update")],
    "answer_cancel_no": [(BORROWER, "ill_borrower_update")],
    "send_to_supplier": [(LENDER, "ill_lender_new_request")],
    "will_supply_with_conditions": [(BORROWER, "ill_borrower_update")],
    "end_of_rota": [(BORROWER, "ill_borrower_end_of_rota")],
    "ship": [(PATRON, "ill_patron_shipped"), (BORROWER, "ill_borrower_update")],
    "receive": [(PATRON, "ill_patron_ready")],
    "deliver_copy": [(PATRON, "ill_patron_copy_ready"), (BORROWER, "ill_borrower_update")],
    "mark_overdue": [(PATRON, "ill_patron_overdue"), (BORROWER, "ill_borrower_update")],
    "recall": [(PATRON, "ill_patron_recalled"), (BORROWER, "ill_borrower_update")],
    "approve_renewal": [(PATRON, "ill_patron_renewal"), (BORROWER, "ill_borrower_update")],
    "refuse_renewal": [(PATRON, "ill_patron_renewal"), (BORROWER, "ill_borrower_update")],
    "renew": [(LENDER, "ill_lender_renewal_asked")],
    "request_cancel": [(LENDER, "ill_lender_cancel_asked")],
    "ship_return": [(LENDER, "ill_lender_shipped_back")],
    "report_lost": [(LENDER, "ill_lender_update")],
}


READER = {
    PATRON: visibility.Reader.PATRON,
    BORROWER: visibility.Reader.BORROWER,
    LENDER: visibility.Reader.LENDER,
}


def _summary(req: IllRequest, *, audience: str) -> dict[str, Any]:
    """What a notice may say about a request, as ill.visibility lets its audience see it."""
    reader = READER[audience]
    url = (
        reverse("ill-my-request", args=[req.pk])
        if audience == PATRON
        else reverse("ill-request", args=[req.pk])
    )
    return {
        "ref": req.reference,
        "title": req.title,
        "author": req.author,
        "article_title": req.article_title,
        "service": req.get_service_type_display(),
        "borrower": req.borrower.local_name,
        "lender": req.supplier.local_name if req.supplier_id and visibility.sees_back_office(reader) else "",
        "status": visibility.status_label(req=req, reader=reader),
        "due_date": visibility.due_date(req=req, reader=reader),
        "needed_by": req.needed_by,
        "path": url,
    }


def _send(req: IllRequest, audience: str, template: str, key: str, extra: dict) -> None:
    """One notice, wholly in its recipient's language (the summary's labels and names too)."""
    if audience == PATRON:
        if req.patron_id is None:
            return
        recipient: User | Library = req.patron
    elif audience == BORROWER:
        recipient = req.borrower
    elif audience == LENDER and req.supplier_id:
        recipient = req.supplier
    else:
        return
    reader = READER[audience]
    language = recipient_language(recipient)
    with translation.override(language):
        context = {"r": _summary(req, audience=audience), **extra}
        if "reasons" in (extra.get("data") or {}) and visibility.sees_back_office(reader):
            context["reasons"] = end_of_rota_lines(extra["data"]["reasons"])
    if audience == PATRON:
        context["patron_name"] = visibility.patron_identity(req=req, reader=reader).first_name
    notify(to=recipient, template=template, context=context, language=language, dedup_key=key)


def queue_for_event(*, request: IllRequest, event: IllEvent) -> None:
    """Queue this event's notices (patron-submitted requests tell the borrowing library too)."""
    for audience, template in NOTICES.get(event.action, []):
        if event.action == "submit" and audience == BORROWER and event.actor_role != states.Role.PATRON:
            continue  # staff created it themselves
        if template == "ill_patron_cancelled" and event.from_status == states.END_OF_ROTA:
            template = "ill_patron_unfilled"
        reader = READER[audience]
        extra = {
            "note": visibility.note_for(event=event, reader=reader),
            "data": visibility.event_data(event=event, reader=reader),
        }
        if event.action == "refuse":
            extra["reason"] = states.REFUSAL_REASONS.get(event.data.get("reason"), "")
        if event.action == "will_supply_with_conditions":
            extra["condition"] = states.LOAN_CONDITIONS.get(request.loan_condition, "")
        _send(request, audience, template, f"ill:{event.pk}:{audience}", extra)


def queue_due_soon(*, request: IllRequest) -> None:
    """Reminder before the due date; once per request and due date (renewal: a new one)."""
    _send(request, PATRON, "ill_patron_due_soon", f"ill:{request.pk}:due-soon:{request.due_date}", {})


def queue_rating_invitation(*, request: IllRequest) -> None:
    """Ask the patron of a request that ended to rate it; once per request (ill.ratings)."""
    _send(request, PATRON, "ill_patron_rating", f"ill:{request.pk}:rating", {})


def queue_message(*, request: IllRequest, message: IllMessage) -> None:
    recipient: Library = message.recipient
    audience = LENDER if recipient.pk == request.supplier_id else BORROWER
    language = recipient_language(recipient)
    with translation.override(language):
        context = {
            "r": _summary(request, audience=audience),
            "sender": message.sender.local_name,
            "body": message.body,
        }
    notify(
        to=recipient,
        template="ill_message",
        context=context,
        language=language,
        dedup_key=f"ill-message:{message.pk}",
    )
