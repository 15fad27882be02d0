"""Email outbox: Django's mail API writes rows; a Celery task delivers them with retries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from consortium.text import contain_bidi
from members.models import OutboundEmail

MAX_ATTEMPTS = 100  # with the backoff below: about 2 days of retrying before "failed"


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff, 1 minute doubling up to 30 minutes (an outage ends, mail flows)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 30))


def email_enqueue(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    html_body: str = "",
    cc: Sequence[str] = (),
    dedup_key: str | None = None,
    from_email: str | None = None,
) -> OutboundEmail | None:
    """Store an email in the outbox and send it after commit; a repeated dedup_key is skipped.

    Every email passes here (notices and Django's own, through OutboxEmailBackend), so this
    is where catalogue text in subjects and bodies loses its bidirectional controls: a mail
    client has no <bdi> (consortium.text)."""
    from members.tasks import send_email_task

    subject, body, html_body = contain_bidi(subject), contain_bidi(body), contain_bidi(html_body)

    if dedup_key and OutboundEmail.objects.filter(dedup_key=dedup_key).exists():
        return None
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to=list(to),
                cc=list(cc),
                subject=subject[:300],
                body=body,
                html_body=html_body,
                from_email=from_email or settings.DEFAULT_FROM_EMAIL,
                dedup_key=dedup_key,
            )
    except IntegrityError:
        return None  # another transaction queued the same notice first
    send_email_task.delay_on_commit(email_id=email.pk)
    return email


def email_deliver(*, email_id: int) -> OutboundEmail.Status | None:
    """Send one queued email; on failure schedule the next attempt. Returns the new status."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.QUEUED)
            .first()
        )
        if email is None:
            return None  # already sent, failed for good, or being sent by another worker
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body,
            from_email=email.from_email,
            to=email.to,
            cc=email.cc,
            connection=get_connection(settings.EMAIL_DELIVERY_BACKEND),
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            else:
                email.next_attempt_at = timezone.now() + retry_delay(email.attempts)
        else:
            email.status = OutboundEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
        return email.status


def outbox_due(*, limit: int) -> list[int]:
    """Ids of queued emails whose next attempt is due."""
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


class OutboxEmailBackend(BaseEmailBackend):
    """Django email backend that puts messages in the outbox (password reset, admin mail)."""

    def send_messages(self, email_messages: Sequence[EmailMultiAlternatives]) -> int:
        for message in email_messages:
            html = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = content
            email_enqueue(
                to=message.to,
                cc=message.cc,
                subject=message.subject,
                body=message.body,
                html_body=html,
                from_email=message.from_email,
            )
        return len(email_messages)


DEMO_MAILBOX_BACKEND = "members.email.DemoMailboxBackend"


class DemoMailboxBackend(BaseEmailBackend):
    """Delivery for the demo: nothing leaves the machine; the sent outbox rows are the mailbox."""

    # Like a development mail catcher (Mailpit): the one-command demo selects this backend
    # (consortium/run.py) and consortium admins read every message at /manage/mailbox/.

    def send_messages(self, email_messages: Sequence[EmailMultiAlternatives]) -> int:
        return len(email_messages)


def demo_mailbox_enabled() -> bool:
    """Whether delivery goes to the demo mailbox (never with a real mail server: bodies hold reset links)."""
    return settings.EMAIL_DELIVERY_BACKEND == DEMO_MAILBOX_BACKEND
