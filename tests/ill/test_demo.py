"""The demo seeds ILL requests in the main states, through the real services, once."""

from __future__ import annotations

from ill import demo, states
from ill.models import IllRequest
from members.demo import seed_members
from policies import demo as policies_demo


def test_seed_creates_requests_in_main_states_and_is_idempotent(db):
    seed_members()
    policies_demo.seed()
    first = demo.seed()
    assert first["records"] == len(demo.DEMO_RECORDS)
    seen = set(IllRequest.objects.values_list("status", flat=True))
    expected = {s[2] for s in demo.SCENARIOS} | {states.END_OF_ROTA}
    missing = expected - seen
    assert not missing, missing
    assert demo.seed() == {"records": 0, "requests": 0}


def test_demo_has_a_lender_that_was_passed_over(db):
    seed_members()
    policies_demo.seed()
    demo.seed()
    req = IllRequest.objects.get(patron_note=f"{demo.DEMO_NOTE}passed-on")
    first = req.rota.get(status="unfilled")
    assert req.status == states.SENT_TO_SUPPLIER and req.supplier_id != first.lender_id
    assert first.reason_unfilled == "NotOnShelf"
