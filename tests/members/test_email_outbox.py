from __future__ import annotations

import datetime
import re
import smtplib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from members.email import email_deliver, email_enqueue, outbox_due
from members.models import OutboundEmail
from members.tasks import outbox_sweep_task
from tests.members.mail_servers import portal_email_settings, smtp_sink

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


# ---------------------------------------------------------------- EMAIL_URL and the outbox


def test_email_url_configures_delivery_and_leaves_the_outbox_in_front():
    # when the operator sets EMAIL_URL to their mail server
    loaded = portal_email_settings(EMAIL_URL="smtp+tls://portal:s3cret@mail.example.pk:587")
    # then Django's mail (password reset included) still goes into the outbox
    assert loaded["EMAIL_BACKEND"] == "members.email.OutboxEmailBackend"
    # and the outbox task delivers over SMTP to that server
    assert loaded["EMAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"], loaded["EMAIL_USE_TLS"]) == (
        "mail.example.pk",
        587,
        True,
    )
    assert (loaded["EMAIL_HOST_USER"], loaded["EMAIL_HOST_PASSWORD"]) == ("portal", "s3cret")


def test_email_delivery_backend_wins_over_email_url():
    loaded = portal_email_settings(
        EMAIL_URL="smtp://mail.example.pk:25",
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    assert loaded["EMAIL_BACKEND"] == "members.email.OutboxEmailBackend"
    assert loaded["EMAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_email_url_of_another_kind_names_the_delivery_backend():
    loaded = portal_email_settings(EMAIL_URL="consolemail://")
    assert loaded["EMAIL_BACKEND"] == "members.email.OutboxEmailBackend"
    assert loaded["EMAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_password_reset_with_smtp_down_is_kept_and_retried_until_delivered(
    portal_mail_server, patron, time_machine, caplog, django_capture_on_commit_callbacks
):
    # given the mail server is down
    # when the patron asks for a password reset
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(reverse("password_reset"), {"email": patron.email})
    assert response.status_code == 302
    # then the email waits in the outbox with the failure noted, and nothing logs it as lost
    email = OutboundEmail.objects.get(to=[patron.email])
    assert email.status == OutboundEmail.Status.QUEUED and email.attempts == 1
    assert "refused" in email.last_error.lower()
    assert "Failed to send password reset email" not in caplog.text
    # when the server is back and the sweep runs an hour later
    with smtp_sink(portal_mail_server) as server:
        time_machine.move_to(email.created_at + datetime.timedelta(hours=1))
        outbox_sweep_task()
        outbox_sweep_task()
    # then the reset link reaches the patron, once
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert [m["To"] for m in server.messages] == [patron.email]
    assert "/accounts/reset/" in server.messages[0].get_payload(decode=True).decode()


# ---------------------------------------------------------------- reset links


def test_reset_link_is_built_from_portal_base_url_not_the_host_header(
    settings, patron, django_capture_on_commit_callbacks
):
    # given the portal's address and a request that names another host and port
    settings.PORTAL_BASE_URL = "https://ishtiraak.example.pk"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    # when a password reset is asked for through that host
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("password_reset"), {"email": patron.email}, HTTP_HOST="evil.example:9999"
        )
    assert response.status_code == 302
    # then the emailed link points at the portal
    (message,) = mail.outbox
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith("https://ishtiraak.example.pk/accounts/reset/") for link in links)
    assert "evil.example" not in message.body + message.subject
