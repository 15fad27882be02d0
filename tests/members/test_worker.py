"""A real Celery worker (threads, same process) against Redis delivers outbox email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from members.models import OutboundEmail
from tests.workers import solo_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


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
    assert wait_for(timeout=20.0, predicate=lambda: len(mail.outbox) == 1), (
        "the worker did not deliver the email"
    )
    assert mail.outbox[0].to == [patron.email] and "/accounts/reset/" in mail.outbox[0].body
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT


def test_healthz_reports_the_worker_ok(worker, db):
    response = Client().get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"].startswith("ok")


def test_healthz_names_the_worker_when_none_runs(db):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("down")
