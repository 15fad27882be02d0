"""A real Celery worker (threads, same process) against Redis delivers outbox email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from members.models import OutboundEmail
from tests.members.mail_servers import smtp_sink
from tests.workers import solo_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _sent(email: OutboundEmail) -> bool:
    """Whether the worker has committed the email as sent (it hands it over before it commits)."""
    email.refresh_from_db()
    return email.status == OutboundEmail.Status.SENT


@pytest.fixture
def worker(settings):
    with solo_worker(settings) as running:
        yield running


def test_password_reset_email_is_delivered_by_the_worker(worker, patron):
    # when a patron asks for a password reset (the request commits the outbox row)
    response = Client().post(reverse("password_reset"), {"email": patron.email})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(to__contains=[patron.email])
    # then the worker, not the request, delivers it
    assert wait_for(timeout=20.0, predicate=lambda: _sent(email)), "the worker did not deliver the email"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patron.email] and "/accounts/reset/" in mail.outbox[0].body


def test_healthz_reports_the_worker_ok(worker, db):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"].startswith("ok")


def test_healthz_names_the_worker_when_none_runs(db):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("down")


def test_password_reset_email_reaches_the_mail_server_of_email_url(worker, portal_mail_server, patron):
    # given the portal configured by EMAIL_URL for its mail server, which is up
    with smtp_sink(portal_mail_server) as server:
        # when a patron asks for a password reset
        response = Client().post(reverse("password_reset"), {"email": patron.email})
        assert response.status_code == 302
        # then it went into the outbox, and the worker hands it to the mail server
        email = OutboundEmail.objects.get(to=[patron.email])
        assert wait_for(timeout=20.0, predicate=lambda: _sent(email)), (
            "the worker did not deliver the email to the SMTP server"
        )
    assert [m["To"] for m in server.messages] == [patron.email]
    assert "/accounts/reset/" in server.messages[0].get_payload(decode=True).decode()
    assert email.attempts == 1
