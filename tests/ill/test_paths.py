"""Every action of the machine is taken at least once on a real request, in order."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from ill import states
from ill.models import IllEvent
from ill.routing import route
from ill.services import SYSTEM, ill_request_create, ill_request_transition
from policies.calendar import PAKISTAN

PDF = b"%PDF-1.7\n%%EOF\n"
V = ("B", "validate", {"override": True})
WAITING = "waiting"  # (a forward's target, made when the walk gets there)
R = ("R", "", {})

WALKS = {
    "loan, renewals, overdue, recall": (
        {}, [V, R, ("L", "expect_to_supply", {}), ("L", "will_supply", {}), ("L", "ship", {}),
             ("B", "receive", {}), ("B", "check_out", {}), ("P", "renew", {}), ("L", "refuse_renewal", {}),
             ("S", "mark_overdue", {}), ("P", "renew", {}), ("L", "approve_renewal", {}),
             ("L", "recall", {}), ("B", "return_by_patron", {}), ("B", "ship_return", {}),
             ("L", "check_in", {})], states.COMPLETED),
    "conditions accepted, cancel refused, lost": (
        {}, [V, R, ("L", "will_supply_with_conditions", {"condition": "LibraryUseOnly"}),
             ("B", "accept_conditions", {}), ("P", "request_cancel", {}), ("L", "answer_cancel_no", {}),
             ("L", "ship", {}), ("B", "receive", {}), ("B", "report_lost", {"note": "Lost in transit"}),
             ("L", "complete_without_return", {})], states.COMPLETED),
    "conditions rejected, end of rota, re-sourced, retry, cancelled": (
        {}, [V, R, ("L", "will_supply_with_conditions", {"condition": "NoReproduction"}),
             ("B", "reject_conditions", {}), R, ("B", "resource", {}), R,
             ("L", "retry_possible", {"reason_retry": "OnLoan"}), R, ("B", "cancel", {})], states.CANCELLED),
    "refused at validation": ({}, [("B", "refuse", {"reason": "duplicate"})], states.REFUSED),
    "copy delivered": (
        {"service_type": "copy", "article_title": "Introduction"},
        [V, R, ("L", "deliver_copy", {"file": "pdf"}), ("P", "complete_copy", {})], states.COMPLETED),
    "lender silent, timed out": ({}, [V, R, ("S", "time_out", {}), R], states.END_OF_ROTA),
    "cancel agreed by lender": (
        {}, [V, R, ("P", "request_cancel", {}), ("L", "answer_cancel_yes", {})], states.CANCELLED),
    "unfilled": ({}, [V, R, ("L", "unfilled", {"reason_unfilled": "NotOnShelf"}), R], states.END_OF_ROTA),
    "sent on to the next library": (
        {}, [V, R, ("L", "will_supply", {}), ("L", "ship", {}), ("B", "receive", {}),
             ("B", "ship_forward", {"forward_to": WAITING})], states.COMPLETED),
}  # fmt: skip


def _waiting(record, lender_librarian) -> str:
    """Another library's request of the record, agreed by the same lender: its reference."""
    from tests.factories import LibrarianFactory, LibraryFactory, PatronFactory

    other = LibraryFactory(code="PK-NEXT")
    req = ill_request_create(actor=PatronFactory(library=other), bib_record_id=record.pk)
    ill_request_transition(request_id=req.pk, action="validate", actor=LibrarianFactory(library=other))
    route(request_id=req.pk)
    ill_request_transition(request_id=req.pk, action="will_supply", actor=lender_librarian)
    return req.reference


@pytest.mark.parametrize("walk", sorted(WALKS))
def test_walk(walk, patron, record, librarian, lender_librarian):
    options, steps, final = WALKS[walk]
    req = ill_request_create(actor=patron, bib_record_id=record.pk, **options)
    actors = {"P": patron, "B": librarian, "L": lender_librarian, "S": SYSTEM}
    for who, action, payload in steps:
        if who == "R":
            route(request_id=req.pk)
            continue
        if payload.get("forward_to") == WAITING:
            payload = {**payload, "forward_to": _waiting(record, lender_librarian)}
        if payload.get("file") == "pdf":
            payload = {**payload, "file": SimpleUploadedFile("intro.pdf", PDF)}
        if action == "mark_overdue":
            # the timer's moment: the day after the due date
            req.refresh_from_db()
            with time_machine.travel(
                datetime.combine(req.due_date + timedelta(days=1), time(9), PAKISTAN), tick=False
            ):
                ill_request_transition(request_id=req.pk, action=action, actor=actors[who], **payload)
            continue
        ill_request_transition(request_id=req.pk, action=action, actor=actors[who], **payload)
    req.refresh_from_db()
    assert req.status == final


def test_walks_cover_every_action(patron, record, librarian, lender_librarian):
    for walk in WALKS:
        test_walk(walk, patron, record, librarian, lender_librarian)
    taken = set(IllEvent.objects.values_list("action", flat=True))
    assert set(states.ACTIONS) - taken == set()
