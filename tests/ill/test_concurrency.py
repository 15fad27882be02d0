"""Two staff press the same button at the same moment: exactly one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ill import exceptions as err
from ill import states
from ill.models import IllEvent, IllRequest
from ill.services import ill_request_create, ill_request_transition
from tests.factories import LibrarianFactory


@pytest.mark.django_db(transaction=True)
def test_two_clicks_one_wins_the_other_gets_conflict(patron, record, library):
    # given a submitted request and two librarians of the home library
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    staff = [LibrarianFactory(library=library), LibrarianFactory(library=library)]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def click(actor):
        try:
            barrier.wait()
            ill_request_transition(request_id=req.pk, action="refuse", actor=actor, reason="other")
            results.append("ok")
        except err.InvalidTransition as exc:
            results.append(exc)
        finally:
            connection.close()

    # when both press "Refuse" at once
    threads = [threading.Thread(target=click, args=(a,)) for a in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # then one refused it, the other got a clear conflict naming the state
    assert results.count("ok") == 1
    loser = next(r for r in results if r != "ok")
    assert "Refused by the home library" in str(loser) and loser.http_status == 409
    assert IllRequest.objects.get(pk=req.pk).status == states.REFUSED
    assert IllEvent.objects.filter(request=req, action="refuse").count() == 1


@pytest.mark.django_db(transaction=True)
def test_stale_page_click_is_told_someone_changed_it(patron, record, librarian):
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    ill_request_transition(request_id=req.pk, action="refuse", actor=librarian, reason="other")
    with pytest.raises(err.InvalidTransition, match="Someone else changed"):
        ill_request_transition(
            request_id=req.pk, action="cancel", actor=patron, expected_status=states.SUBMITTED
        )
