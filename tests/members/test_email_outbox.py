from __future__ import annotations

import smtplib

import pytest
from django.core import mail

from members.email import email_deliver, email_enqueue, outbox_due
from members.models import OutboundEmail
from members.tasks import outbox_sweep_task

pytestmark = pytest.mark.django_db


class FailingBackend:
    """An SMTP server that is down."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_email_survives_an_smtp_outage(settings, time_machine, django_capture_on_commit_callbacks):
    # given the mail server is down
    settings.EMAIL_DELIVERY_BACKEND = "tests.members.test_email_outbox.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email = email_enqueue(to=["p@example.pk"], subject="Your book arrived", body="Pick it up")
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED and email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error
    # when it comes back an hour later
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(email.created_at.replace(microsecond=0) + __import__("datetime").timedelta(hours=1))
    outbox_sweep_task()
    # then the email goes out, once
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert [m.subject for m in mail.outbox] == ["Your book arrived"]
    outbox_sweep_task()
    assert len(mail.outbox) == 1


def test_same_notice_is_queued_once():
    first = email_enqueue(to=["a@example.pk"], subject="s", body="b", dedup_key="ill:1:shipped")
    second = email_enqueue(to=["a@example.pk"], subject="s", body="b", dedup_key="ill:1:shipped")
    assert first is not None and second is None
    assert OutboundEmail.objects.count() == 1


def test_delivering_twice_sends_once():
    email = email_enqueue(to=["a@example.pk"], subject="s", body="b")
    email_deliver(email_id=email.pk)
    email_deliver(email_id=email.pk)
    assert len(mail.outbox) == 1
    assert outbox_due(limit=10) == []


def test_password_reset_mail_goes_through_the_outbox(client, patron, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": patron.email})
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(to=[patron.email], status="sent").exists()
    assert "/accounts/reset/" in mail.outbox[-1].body
