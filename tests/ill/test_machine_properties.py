"""Property: any sequence of button presses by anyone leaves a consistent request.

Each press either succeeds (one event, from = the state before, to = the state after)
or is refused with a domain error and changes nothing at all.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortium.exceptions import DomainError
from ill import states
from ill.models import IllEvent, IllRequest
from ill.routing import route
from ill.services import SYSTEM, ill_request_create, ill_request_transition

PAYLOAD = {
    "reason": "other",
    "reason_unfilled": "NotOnShelf",
    "reason_retry": "OnLoan",
    "condition": "LibraryUseOnly",
    "note": "pressed by hypothesis",
    "override": True,
}
ACTORS = ["patron", "librarian", "lender", "stranger", "system"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    presses=st.lists(st.tuples(st.sampled_from(sorted(states.ACTIONS)), st.sampled_from(ACTORS)), max_size=25)
)
def test_random_presses_keep_the_request_consistent(
    presses, patron, record, librarian, lender_librarian, second_lender_librarian
):
    actors = {
        "patron": patron,
        "librarian": librarian,
        "lender": lender_librarian,
        "stranger": second_lender_librarian,
        "system": SYSTEM,
    }
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    for action, who in presses:
        before = IllRequest.objects.values_list("status", "supplier_status", "due_date").get(pk=req.pk)
        events = IllEvent.objects.filter(request=req).count()
        try:
            ill_request_transition(request_id=req.pk, action=action, actor=actors[who], **PAYLOAD)
        except DomainError:
            after = IllRequest.objects.values_list("status", "supplier_status", "due_date").get(pk=req.pk)
            assert after == before
            assert IllEvent.objects.filter(request=req).count() == events
            continue
        route(request_id=req.pk)  # what the queued task does after commit
        event = IllEvent.objects.filter(request=req, action=action).order_by("-pk").first()
        assert event is not None and event.from_status == before[0]
        req.refresh_from_db()
        assert (states.Side.REQUESTER, req.status) in states.STATUSES
        assert (states.Side.SUPPLIER, req.supplier_status) in states.STATUSES


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_offered_button_works(data, patron, record, librarian, lender_librarian):
    """Walk by choosing only among the actions the screens offer: each one succeeds."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ill import selectors
    from ill.services import actor_roles

    service = data.draw(st.sampled_from(["loan", "copy", "copy_or_loan"]))
    req = ill_request_create(
        actor=patron, bib_record_id=record.pk, service_type=service, article_title="Preface"
    )
    people = [patron, librarian, lender_librarian, SYSTEM]
    for _ in range(data.draw(st.integers(min_value=1, max_value=30))):
        req.refresh_from_db()
        offers = [
            (a, person)
            for person in people
            for a in selectors.available_actions(req=req, roles=actor_roles(person, req))
        ]
        if not offers:
            break
        action, person = data.draw(st.sampled_from(offers))
        payload = dict(PAYLOAD)
        if action.code == "deliver_copy":
            payload["file"] = SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n")
        if action.code == "renew" and req.renewals_used >= req.renewals_allowed:
            continue  # the agreement's renewal limit: refused with a reason, tested elsewhere
        ill_request_transition(request_id=req.pk, action=action.code, actor=person, **payload)
        route(request_id=req.pk)
    req.refresh_from_db()
    assert IllEvent.objects.filter(request=req).exists()
