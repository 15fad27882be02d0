"""Thin Celery tasks for policies: marking agreements whose validity ended as expired."""

from celery import shared_task

from policies.services import agreements_expire


@shared_task(name="policies.expire_agreements", time_limit=300, soft_time_limit=270)
def expire_agreements_task() -> int:
    """Expire agreements past their end date; re-queue while more remain."""
    count, more = agreements_expire()
    if more:
        expire_agreements_task.delay()
    return count
