"""Thin Celery tasks for ILL: routing and the timers. Ids only, never model objects."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from ill import day_figures, timers
from ill.iso18626 import outbound
from ill.routing import route

# Timers handle at most this many rows a run: each row is one short transaction
# (~5 ms), so a batch stays far inside the time limit; the task re-queues itself when
# the batch was full.
TIMER_BATCH = 500


@shared_task(
    name="ill.route_request",
    time_limit=120,
    soft_time_limit=100,
    # Transient database trouble (a failover, a dropped connection): try again with
    # backoff; routing is idempotent, so a retry never double-asks.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def route_request_task(*, request_id: int) -> str:
    """Build the rota if needed and ask the next lender (or report end of rota)."""
    return route(request_id=request_id)


@shared_task(name="ill.check_deadlines", time_limit=600, soft_time_limit=560)
def check_deadlines_task() -> int:
    """Pass over lenders that did not answer by their deadline (working days)."""
    done = timers.lenders_timed_out(limit=TIMER_BATCH)
    if done == TIMER_BATCH:
        check_deadlines_task.delay()
    return done


@shared_task(name="ill.mark_overdue", time_limit=600, soft_time_limit=560)
def mark_overdue_task() -> int:
    done = timers.loans_overdue(limit=TIMER_BATCH)
    if done == TIMER_BATCH:
        mark_overdue_task.delay()
    return done


@shared_task(name="ill.due_soon_reminders", time_limit=600, soft_time_limit=560)
def due_soon_reminders_task() -> int:
    return timers.due_soon_reminders(limit=5000)


@shared_task(name="ill.iso18626_deliver", bind=True, time_limit=90, soft_time_limit=75, max_retries=8)
def iso18626_deliver_task(self, *, delivery_id: int) -> str:
    """POST one ISO 18626 message to a library's system and keep its Confirmation.

    An unreachable peer (or one answering 5xx) is tried again after 30 s, 1, 2, 4 ...
    minutes, at most an hour apart, eight times (about four hours in all), then the
    delivery is marked failed; the delivery row makes a duplicate run a no-op.
    """
    final = self.request.retries >= self.max_retries
    try:
        return outbound.deliver(delivery_id=delivery_id, final=final)
    except outbound.TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=outbound.delivery_retry_delay(self.request.retries)) from exc


@shared_task(name="ill.refresh_day_figures", time_limit=600, soft_time_limit=560)
def refresh_day_figures_task() -> bool:
    """Count the days something happened to since the last count (ill.day_figures)."""
    return day_figures.refresh(wait=False)


@shared_task(name="ill.rebuild_day_figures", time_limit=3600, soft_time_limit=3500)
def rebuild_day_figures_task() -> int:
    """Recount every day's ILL figures (the nightly check; holiday corrections)."""
    return day_figures.rebuild()
