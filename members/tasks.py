"""Thin Celery tasks for members: email delivery and the outbox sweep."""

from celery import shared_task

from members.email import email_deliver, outbox_due

# A sweep handles at most this many due emails, so one run stays well inside its time
# limit even with a slow SMTP server; it re-queues itself when more remain.
SWEEP_BATCH = 200


@shared_task(name="members.send_email", time_limit=120, soft_time_limit=100)
def send_email_task(*, email_id: int) -> str | None:
    """Deliver one outbox email; failures are rescheduled by the service, not by Celery."""
    return email_deliver(email_id=email_id)


@shared_task(name="members.outbox_sweep", time_limit=600, soft_time_limit=560)
def outbox_sweep_task() -> int:
    """Send every due email (first tries lost with a broker, and retries)."""
    ids = outbox_due(limit=SWEEP_BATCH)
    for email_id in ids:
        email_deliver(email_id=email_id)
    if len(ids) == SWEEP_BATCH:
        outbox_sweep_task.delay()
    return len(ids)
