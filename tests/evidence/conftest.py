"""Evidence fixtures: a small, known year of interlibrary loan between two members."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from ill.routing import route
from ill.services import ill_request_create, ill_request_transition
from policies.models import AgreementKind
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory, PatronFactory
from tests.policies.factories import AgreementFactory, PolicyVersionFactory

PKT = ZoneInfo("Asia/Karachi")
START = datetime(2026, 3, 2, 9, 0, tzinfo=PKT)  # a Monday
TODAY = datetime(2026, 3, 20, 12, 0, tzinfo=PKT)  # when the pages are read


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _act(req, action, actor, **payload):
    ill_request_transition(request_id=req.pk, action=action, actor=actor, **payload)
    req.refresh_from_db()
    return req


def place(*, patron, librarian, lender_librarian, record, ending: str, at: datetime = START):
    """One request of the patron's, walked to an ending: "received" (supplied, received two
    working days later), "unfilled" (the only lender said no, then cancelled) or "open"."""
    with time_machine.travel(at, tick=False):
        req = _act(ill_request_create(actor=patron, bib_record_id=record.pk), "validate", librarian)
        route(request_id=req.pk)
        req.refresh_from_db()
    if ending == "open":
        return req
    with time_machine.travel(at + timedelta(hours=3), tick=False):
        if ending == "unfilled":
            _act(req, "unfilled", lender_librarian, reason_unfilled="NotOnShelf")
            route(request_id=req.pk)
            return _act(req, "cancel", librarian)
        _act(req, "will_supply", lender_librarian)
        _act(req, "ship", lender_librarian)
    with time_machine.travel(at + timedelta(days=2), tick=False):
        return _act(req, "receive", librarian)


@pytest.fixture
def agreement(db):
    return AgreementFactory(
        name="Consortium ILL", kind=AgreementKind.CONSORTIUM_WIDE, services_allowed=["loan", "copy"]
    )


@pytest.fixture
def year_of_sharing(library, other_library, librarian, other_librarian, agreement):
    """PK-HOME (Punjab) borrows from PK-AWAY (Sindh): 6 requests supplied and received after 2
    working days, 2 not supplied (ended: their patrons are invited to rate), 1 still open.
    The catalogue: 3 titles, one held by both. A policy in force, a bilateral agreement."""
    patrons = [
        PatronFactory(library=library, first_name="Zubaida", last_name=f"Siddiqui{n}") for n in range(3)
    ]
    records = [make_record(title=f"Tarikh {n}", libraries=[other_library]) for n in range(2)]
    make_record(title="Urdu adab", libraries=[library, other_library])
    made = []
    for n, ending in enumerate(["received"] * 6 + ["unfilled"] * 2 + ["open"]):
        made.append(
            place(
                patron=patrons[n % 3], librarian=librarian, lender_librarian=other_librarian,
                record=records[n % 2], ending=ending,
            )
        )  # fmt: skip
    LibraryFactory(code="PK-PESH", name="Peshawar University", province="KP")
    AgreementFactory(name="Home and Away lending", parties=[library, other_library])
    PolicyVersionFactory(policy__title="Interlibrary loan code", policy__slug="ill-code")
    return {"patrons": patrons, "requests": made}
