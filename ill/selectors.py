"""Reads for interlibrary loan: queues, a request with its history, counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from ill import exceptions as err
from ill import states, visibility
from ill.models import IllRequest
from ill.services import actor_roles
from ill.states import Role
from policies.calendar import pakistan_date

QUEUE_RELATED = ("borrower", "supplier", "bib_record")


def _search(qs: QuerySet, q: str) -> QuerySet:
    q = (q or "").strip()[:100]
    if not q:
        return qs
    ref = q.upper().removeprefix("ILL-")
    if ref.isdigit():
        return qs.filter(Q(pk=int(ref)) | Q(title__icontains=q))
    return qs.filter(Q(title__icontains=q) | Q(author__icontains=q) | Q(isbn=q))


def borrowing_queue(*, library_id: int, status: str = "", q: str = "", attention: bool = False) -> QuerySet:
    """The requesting library's requests, newest first."""
    qs = IllRequest.objects.filter(borrower_id=library_id).select_related(*QUEUE_RELATED, "patron")
    if attention:
        qs = qs.filter(status__in=states.ATTENTION_R)
    elif status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    return _search(qs, q).order_by("-status_changed_at", "-pk")


def lending_queue(*, library_id: int, status: str = "", q: str = "", attention: bool = False) -> QuerySet:
    """Requests this library is (or was last) asked to supply. No patron is loaded."""
    qs = (
        IllRequest.objects.filter(supplier_id=library_id)
        .exclude(supplier_status="")
        .select_related(*QUEUE_RELATED)
    )
    if attention:
        qs = qs.filter(supplier_status__in=states.ATTENTION_S)
    elif status == "open":
        qs = qs.exclude(
            supplier_status__in=[
                s.code for s in states.STATUSES.values() if s.side == "supplier" and s.terminal
            ]
        )
    elif status:
        qs = qs.filter(supplier_status=status)
    return _search(qs, q).order_by("-status_changed_at", "-pk")


def queue_counts(*, library_id: int) -> dict[str, int]:
    """What needs attention in each queue (two cheap indexed counts)."""
    borrowing = IllRequest.objects.filter(borrower_id=library_id).aggregate(
        attention=Count("pk", filter=Q(status__in=states.ATTENTION_R)),
        open=Count("pk", filter=~Q(status__in=states.TERMINAL)),
    )
    lending = IllRequest.objects.filter(supplier_id=library_id).aggregate(
        attention=Count("pk", filter=Q(supplier_status__in=states.ATTENTION_S)),
    )
    return {
        "borrowing_attention": borrowing["attention"],
        "borrowing_open": borrowing["open"],
        "lending_attention": lending["attention"],
    }


def patron_requests(*, patron_id: int) -> QuerySet:
    """A patron's own requests, newest first (what they may see of each: ill.visibility)."""
    return IllRequest.objects.filter(patron_id=patron_id).select_related("borrower", "delivered_copy")


def request_for(*, request_id: int, actor: Any) -> tuple[IllRequest, set[Role]]:
    """A request the actor takes part in, with their roles; others get NotFound."""
    req = (
        IllRequest.objects.select_related("borrower", "supplier", "bib_record", "patron", "rating")
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    roles = actor_roles(actor, req)
    if not roles:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    return req, roles


def available_actions(*, req: IllRequest, roles: set[Role]) -> list[states.Action]:
    """The buttons to show: the table's actions, less "mark overdue" before the due date."""
    actions = states.available_actions(
        status_code=req.status,
        supplier_status=req.supplier_status,
        service_type=req.service_type,
        roles=roles,
    )
    not_due = req.due_date is None or req.due_date >= pakistan_date()
    hidden = {"mark_overdue"} if not_due else set()
    if any(a.code == "ship_forward" for a in actions) and not forward_targets(req=req):
        hidden.add("ship_forward")  # no request waiting for this copy
    return [a for a in actions if a.code not in hidden]


def forward_targets(*, req: IllRequest) -> list[IllRequest]:
    """Other libraries' requests this copy could go on to (ISO 18626 ShippedForward): of
    the same record, that the same lender agreed to supply and has not shipped yet."""
    if req.bib_record_id is None or req.supplier_id is None:
        return []
    return list(
        IllRequest.objects.filter(
            bib_record_id=req.bib_record_id,
            supplier_id=req.supplier_id,
            status=states.WILL_SUPPLY,
            supplier_status=states.WILL_SUPPLY_S,
        )
        .exclude(borrower_id=req.borrower_id)
        .select_related("borrower")
        .order_by("created_at")[:20]
    )


def lending_answers(*, library_id: int, limit: int = 50):
    """This library's past answers on requests that moved on to another lender."""
    from ill.models import RotaEntry

    return (
        RotaEntry.objects.filter(
            lender_id=library_id,
            status__in=[RotaEntry.Status.UNFILLED, RotaEntry.Status.TIMED_OUT, RotaEntry.Status.CANCELLED],
        )
        .select_related("request", "request__borrower")
        .order_by("-answered_at", "-pk")[:limit]
    )


def past_lender_part(*, request_id: int, library_id: int | None):
    """A lender asked earlier, whose part is over: the request and its own rota entries.

    It sees what it was asked and what it answered, never the patron, later lenders or
    where the request went next (ISO 18626 peers only see their own transaction)."""
    from ill.models import RotaEntry

    if library_id is None:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    entries = list(
        RotaEntry.objects.filter(
            request_id=request_id, lender_id=library_id, asked_at__isnull=False
        ).order_by("round", "position")
    )
    if not entries:
        raise err.IllNotFound(err.REQUEST_NOT_FOUND, code=err.ErrorCode.REQUEST_NOT_FOUND)
    req = IllRequest.objects.select_related("borrower", "bib_record").get(pk=request_id)
    lines = visibility.timeline(req=req, reader=visibility.Reader.LENDER, library_id=library_id)
    messages_list = visibility.messages(req=req, reader=visibility.Reader.LENDER, library_id=library_id)
    return req, entries, lines, messages_list
