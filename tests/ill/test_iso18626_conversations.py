"""ISO 18626 conformance: whole conversations replayed from files (tests/ill/conversations).

Each folder is one conversation between the borrowing library's system and its lenders'
systems: numbered messages and a ``conversation.toml`` saying, for each step, who sends
it, the Confirmation expected and the portal's state after it (README.md there). Every
step goes through the real endpoint with the sender's API token; every library has an
endpoint (a peer on 127.0.0.1), so everything the portal owes a peer is written and sent.
"""

from __future__ import annotations

import contextlib
import string
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from lxml import etree

from ill.iso18626 import xml
from ill.iso18626.xml import CONFIRMATION_OF, q, schema_facts
from ill.models import IllEvent, IllMessage, IllRequest, Iso18626Delivery
from members.models import Library
from tests.ill import iso18626_messages as msgs

CONVERSATIONS = Path(__file__).parent / "conversations"
NAMES = sorted(p.parent.name for p in CONVERSATIONS.glob("*/conversation.toml"))
LOAN_DAYS = 30  # the lender's dueDate, ${due}: this many days from today

pytestmark = pytest.mark.skipif(
    not msgs.SAMPLES.exists(), reason=f"ISO 18626 samples not found at {msgs.SAMPLES}"
)


@dataclass(frozen=True)
class Step:
    """One message of a conversation and what the portal should make of it."""

    send: str  # the message file
    sender: str  # whose system sends it: borrower, lender, second_lender
    message_status: str  # OK or ERROR
    error_type: str = ""
    days_past_due: int = 0  # sent this many days after ${due} (0: today)
    status: str | None = None  # the request's status afterwards
    supplier_status: str | None = None
    lender: str | None = None  # the lender asked afterwards
    due_date: str | None = None
    unchanged: bool = False  # nothing at all changes (an ERROR implies it)
    events: list[str] | None = None  # the actions the step records in the request's history
    outbound: list[str] | None = None  # "role: summary" the step sends peers
    outbound_says: dict[str, str] | None = None  # element path -> text, in each message sent


@dataclass(frozen=True)
class Member:
    library: Library
    key: str  # its system's API token


@pytest.fixture
def consortium(library, lender, second_lender, iso_record, library_token, peer) -> dict[str, Member]:
    """A borrower and two lenders holding the book, each with its own system at the peer."""
    roles = {"borrower": library, "lender": lender, "second_lender": second_lender}
    Library.objects.filter(pk__in=[lib.pk for lib in roles.values()]).update(iso18626_url=peer.url)
    return {role: Member(lib, library_token(lib)) for role, lib in roles.items()}


def _placeholders(name: str, consortium: dict[str, Member], isbn: str) -> dict[str, str]:
    return {
        **{role: member.library.code for role, member in consortium.items()},
        "portal": settings.ISO18626_AGENCY_ID,
        "request_id": f"KOHA-{name.upper()}",
        "isbn": isbn,
        "due": (timezone.localdate() + timedelta(days=LOAN_DAYS)).isoformat(),
    }


def _fill(path: Path, values: dict[str, str]) -> str:
    """A file with its ${placeholders} filled in (an unknown one is an error)."""
    return string.Template(path.read_text(encoding="utf-8")).substitute(values)


def _steps(folder: Path, values: dict[str, str]) -> list[Step]:
    raw = tomllib.loads(_fill(folder / "conversation.toml", values))["step"]
    steps = [Step(sender=s.pop("from"), **s) for s in raw]
    assert sorted(s.send for s in steps) == sorted(p.name for p in folder.glob("*.xml")), (
        "each message file is one step"
    )
    return steps


def _clock(step: Step, values: dict[str, str]):
    """Today, or the step's days past the due date (a loan overdue by then)."""
    if not step.days_past_due:
        return contextlib.nullcontext()
    due = date.fromisoformat(values["due"])
    days = (due - timezone.localdate()).days + step.days_past_due
    return time_machine.travel(timezone.now() + timedelta(days=days))


def _portal_state() -> tuple:
    """What a message could change: every request's statuses and lender, and the rows written."""
    requests = IllRequest.objects.order_by("pk").values_list(
        "status", "supplier_status", "supplier_id", "due_date", "renewals_used"
    )
    counts = (IllEvent.objects.count(), IllMessage.objects.count(), Iso18626Delivery.objects.count())
    return list(requests), counts


def _check_confirmation(response, step: Step, sent: str, where: str) -> None:
    """The answer is a schema-valid Confirmation of the message sent, saying what the manifest says."""
    conf = msgs.confirmation(response.content)  # asserts it validates against the XSD
    kind = etree.QName(etree.fromstring(sent.encode())[0]).localname
    assert response.status_code == 200, where
    assert conf["kind"] == CONFIRMATION_OF[kind], where
    got = (conf["messageStatus"], conf.get("errorType", ""))
    assert got == (step.message_status, step.error_type), f"{where}: {conf}"


def _check_state(req: IllRequest | None, step: Step, consortium: dict[str, Member], where: str) -> None:
    """The request's statuses, lender asked and due date, where the manifest names them."""
    expected = {"status": step.status, "supplier_status": step.supplier_status, "due_date": step.due_date}
    expected = {k: v for k, v in expected.items() if v is not None}
    if step.lender is not None:
        expected["lender"] = consortium[step.lender].library.code
    if not expected:
        return
    assert req is not None, f"{where}: no request {step}"
    req.refresh_from_db()
    actual = {
        "status": req.status,
        "supplier_status": req.supplier_status,
        "due_date": req.due_date.isoformat() if req.due_date else None,
        "lender": req.supplier.code if req.supplier_id else None,
    }
    assert {k: actual[k] for k in expected} == expected, where


def _last_rows() -> tuple[int, ...]:
    """The last event and the last outbound message so far (what a step adds comes after)."""
    return tuple(
        model.objects.aggregate(last=Max("pk"))["last"] or 0 for model in (IllEvent, Iso18626Delivery)
    )


def _check_written(step: Step, last: tuple[int, ...], roles: dict[int, str], where: str) -> None:
    """The events the step recorded and the messages it wrote to peers, as the manifest says."""
    if step.events is not None:
        events = IllEvent.objects.filter(pk__gt=last[0]).order_by("pk").values_list("action", flat=True)
        assert list(events) == step.events, where
    sent = list(Iso18626Delivery.objects.filter(pk__gt=last[1]).order_by("pk"))
    if step.outbound is not None:
        assert [f"{roles[d.library_id]}: {d.summary}" for d in sent] == step.outbound, where
    for path, text in (step.outbound_says or {}).items():
        assert sent, f"{where}: nothing sent to say {path}"
        said = [xml.parse(d.body.encode()).text(path) for d in sent]
        assert said == [text] * len(sent), f"{where}: {path}"


def _patron_words(sent: str) -> set[str]:
    """What a request's patronInfo says about its reader (no peer may hear it)."""
    patron = etree.fromstring(sent.encode()).find(f".//{q('patronInfo')}")
    if patron is None:
        return set()
    return {el.text.strip() for el in patron.iter() if len(el) == 0 and len(el.text or "") > 2}


def _check_outbound(patron_words: set[str]) -> None:
    """Everything the portal wrote to a peer is valid, carries no patron data, and was sent."""
    deliveries = list(Iso18626Delivery.objects.order_by("pk"))
    assert deliveries, "the conversation sends peers something"
    schema = schema_facts().schema
    invalid = [d.summary for d in deliveries if not schema.validate(etree.fromstring(d.body.encode()))]
    assert invalid == []
    for delivery in deliveries:
        assert "patronInfo" not in delivery.body
        assert [w for w in patron_words if w in delivery.body] == [], delivery.summary
        assert delivery.status == Iso18626Delivery.Status.CONFIRMED, delivery.last_error


@pytest.mark.parametrize("name", NAMES)
def test_conversation(name, consortium, iso_record, iso_post):
    # given the consortium, and the conversation with its placeholders filled in
    folder = CONVERSATIONS / name
    values = _placeholders(name, consortium, iso_record.isbns[0])
    roles = {member.library.pk: role for role, member in consortium.items()}
    patron_words: set[str] = set()
    for step in _steps(folder, values):
        where = f"{name}/{step.send}"
        sent = _fill(folder / step.send, values)
        patron_words |= _patron_words(sent)
        before, last = _portal_state(), _last_rows()
        # when the sender's system posts the step's message
        with _clock(step, values):
            response = iso_post(sent.encode(), consortium[step.sender].key)
        # then the portal confirms it as the manifest says, and is where it says
        _check_confirmation(response, step, sent, where)
        if step.unchanged or step.message_status == "ERROR":
            assert _portal_state() == before, where
        req = IllRequest.objects.filter(requesting_agency_request_id=values["request_id"]).first()
        _check_state(req, step, consortium, where)
        _check_written(step, last, roles, where)
    # and what it sent the peers on the way was valid and kept the patron at home
    _check_outbound(patron_words)
