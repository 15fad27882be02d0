"""What Celery beat does for ILL: deadlines, overdue loans, reminders. Each row is handled
in its own short transaction through the transition service, so a run killed half-way or
run twice changes nothing twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from consortium import clock
from ill import notices, states
from ill.actors import SYSTEM
from ill.exceptions import InvalidTransition
from ill.models import IllRequest, RotaEntry
from ill.services import ill_request_transition
from policies.calendar import PAKISTAN


def _take(*, action: str, request_ids: list[int]) -> int:
    """The action on each request, each in its own transaction; how many it was taken on.
    A request someone moved a moment ago (the lender answered, the loan came back) is left."""
    done = 0
    for request_id in request_ids:
        try:
            ill_request_transition(request_id=request_id, action=action, actor=SYSTEM)
        except InvalidTransition:
            continue
        done += 1
    return done


def lenders_timed_out(*, limit: int) -> int:
    """Lenders asked whose response deadline passed without an answer: time out, ask the next."""
    requester, supplier = states.taken_from("time_out")
    due = (
        RotaEntry.objects.filter(
            status=RotaEntry.Status.ASKED,
            deadline_at__lt=clock.now(),
            request__status__in=requester,
            request__supplier_status__in=supplier,
        )
        .order_by("deadline_at")
        .values_list("request_id", flat=True)[:limit]
    )
    return _take(action="time_out", request_ids=list(due))


def loans_overdue(*, limit: int) -> int:
    """Loans past their due date: overdue on both sides (ISO 18626 Overdue).

    A renewal asked on or before the due date and still unanswered lapses; one asked
    after the due date (the loan was overdue already) waits for the lender's answer, so
    asking again is not undone by the next run."""
    today = clock.today()
    requester, supplier = states.taken_from("mark_overdue")
    # A renewal asked after the due date waits for the lender's answer.
    no_renewal_or_lapsed = ~Q(supplier_status=states.RENEW_REQUESTED) | Q(asked_by_due=True)
    ids = (
        IllRequest.objects.annotate(
            # status_changed_at is when the renewal was asked; due dates are Pakistan dates.
            asked_by_due=RawSQL(
                "status_changed_at < ((due_date + 1)::timestamp AT TIME ZONE %s)", [PAKISTAN.key]
            )
        )
        .filter(no_renewal_or_lapsed, status__in=requester, supplier_status__in=supplier, due_date__lt=today)
        .order_by("due_date")
        .values_list("pk", flat=True)[:limit]
    )
    return _take(action="mark_overdue", request_ids=list(ids))


def due_soon_reminders(*, limit: int) -> int:
    """Remind patrons ILL_DUE_SOON_DAYS before the due date (once per due date)."""
    day = clock.today() + timedelta(days=settings.ILL_DUE_SOON_DAYS)
    requests = IllRequest.objects.filter(
        status__in=states.REMIND_BEFORE_DUE, due_date__lte=day, due_date__gte=clock.today()
    ).select_related("patron", "borrower", "supplier")[:limit]
    sent = 0
    for req in requests:
        with transaction.atomic():
            notices.queue_due_soon(request=req)
        sent += 1
    return sent
