"""The history of an ILL request: every event is recorded by ``ill_event_record``, with
a typed kind, its actor and the statuses before and after (Zulip's RealmAuditLog,
Saleor's order events). ``IllEvent`` rows are append-only (migration 0002)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ill.actors import actor_library_id, actor_user
from ill.models import IllEvent, IllRequest
from ill.states import Role, Side


class EventKind(StrEnum):
    """What happened. Besides submitting and reordering the rota, one kind per action of
    the state table (``ill.states.ACTIONS``; tests/ill/test_events.py keeps them equal)."""

    SUBMIT = "submit"
    REORDER_ROTA = "reorder_rota"
    # the requesting library's system asked again (ISO 18626 requestType Retry, Reminder)
    RETRY = "retry"
    REMINDER = "reminder"
    # requester side
    VALIDATE = "validate"
    REFUSE = "refuse"
    START_SOURCING = "start_sourcing"
    SEND_TO_SUPPLIER = "send_to_supplier"
    END_OF_ROTA = "end_of_rota"
    RESOURCE = "resource"
    ACCEPT_CONDITIONS = "accept_conditions"
    REJECT_CONDITIONS = "reject_conditions"
    RECEIVE = "receive"
    CHECK_OUT = "check_out"
    RENEW = "renew"
    RETURN_BY_PATRON = "return_by_patron"
    SHIP_RETURN = "ship_return"
    SHIP_FORWARD = "ship_forward"
    REPORT_LOST = "report_lost"
    CANCEL = "cancel"
    REQUEST_CANCEL = "request_cancel"
    COMPLETE_COPY = "complete_copy"
    # supplier side
    EXPECT_TO_SUPPLY = "expect_to_supply"
    WILL_SUPPLY = "will_supply"
    WILL_SUPPLY_WITH_CONDITIONS = "will_supply_with_conditions"
    UNFILLED = "unfilled"
    RETRY_POSSIBLE = "retry_possible"
    TIME_OUT = "time_out"
    SHIP = "ship"
    DELIVER_COPY = "deliver_copy"
    MARK_OVERDUE = "mark_overdue"
    RECALL = "recall"
    APPROVE_RENEWAL = "approve_renewal"
    REFUSE_RENEWAL = "refuse_renewal"
    CHECK_IN = "check_in"
    COMPLETE_WITHOUT_RETURN = "complete_without_return"
    ANSWER_CANCEL_YES = "answer_cancel_yes"
    ANSWER_CANCEL_NO = "answer_cancel_no"


def ill_event_record(
    *,
    request: IllRequest,
    kind: EventKind,
    side: Side,
    actor: Any,
    actor_role: Role,
    before: tuple[str, str],
    note: str = "",
    data: dict[str, Any] | None = None,
    supplier_id: int | None = None,
) -> IllEvent:
    """Append one event: ``before`` is (status, supplier status) before it, the request
    holds them after. ``supplier_id`` is the lender the event concerns: a lender's
    timeline shows only the events naming it."""
    return IllEvent.objects.create(
        request=request,
        action=kind,
        side=side,
        actor=actor_user(actor),
        actor_library_id=actor_library_id(actor),
        actor_role=actor_role,
        from_status=before[0],
        to_status=request.status,
        from_supplier_status=before[1],
        to_supplier_status=request.supplier_status,
        supplier_id=supplier_id,
        note=note,
        data=data or {},
    )
