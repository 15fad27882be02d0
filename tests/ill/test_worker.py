"""End to end with a real Celery worker on Redis: validate → routed → first lender asked."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from consortium.celery import app
from ill import states
from ill.models import IllRequest, RotaEntry
from ill.services import ill_request_create, ill_request_transition
from members.models import OutboundEmail
from tests.workers import wait_for


@pytest.fixture(autouse=True)
def _outbox_delivers_eagerly(settings):
    """Override the suite's eager mode: tasks go through Redis to a real worker."""
    settings.EMAIL_BACKEND = "members.email.OutboxEmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    return


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_validated_request_reaches_first_lender_through_the_worker(patron, record, librarian, lender):
    # given a submitted request (its notices are queued in the outbox)
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    assert app.conf.task_always_eager is False  # really through Redis
    app.control.purge()
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
        # when the home library validates it (the routing task is queued after commit)
        ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
        # then the worker builds the rota and asks the first lender, and the lender's email goes out
        assert wait_for(
            timeout=30.0,
            interval=0.1,
            predicate=lambda: IllRequest.objects.get(pk=req.pk).status == states.SENT_TO_SUPPLIER,
        )
        assert wait_for(
            timeout=30.0,
            interval=0.1,
            predicate=lambda: OutboundEmail.objects.filter(
                to=[lender.email], subject__contains="New ILL request", status=OutboundEmail.Status.SENT
            ).exists(),
        )
    req.refresh_from_db()
    assert req.supplier == lender
    assert RotaEntry.objects.get(request=req).status == RotaEntry.Status.ASKED
    assert list(req.events.values_list("action", flat=True)) == [
        "submit",
        "validate",
        "start_sourcing",
        "send_to_supplier",
    ]
