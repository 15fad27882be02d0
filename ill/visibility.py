"""Who may see what of an ILL request: the one place the privacy rule lives.

Three readers, relative to one request (``reader_for``):

- the borrowing library's staff (``Reader.BORROWER``) see everything: their patron and
  the back office;
- a lender's staff (``Reader.LENDER``, the library asked now or earlier) see their own
  part of the back office and never the patron (docs/architecture.md, "ILL practice"):
  no name, card,
  email, the patron's note or the patron's id in the requesting system;
- the patron (``Reader.PATRON``) sees their request as they live it: status in plain
  words, their dates, where to pick it up, and the notes addressed to them; nothing that
  passes between the libraries (rota, reasons, lender codes and notes, messages).

Every surface that shows a request (pages, the API, notices, ISO 18626 messages) asks
this module: ``sees_patron``, ``sees_back_office``, ``patron_identity``, ``note_for``,
``timeline``, ``messages``, ``rota``, ``rating`` and ``patron_view``. tests/ill/test_visibility.py
enumerates the surfaces and fails when one reads patron or back-office fields directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ill import states
from ill.models import IllEvent, IllRequest, Rating
from ill.states import Role
from policies.calendar import pakistan_date


class Reader(StrEnum):
    PATRON = "patron"
    BORROWER = "borrower"  # staff (or API token) of the requesting library
    LENDER = "lender"  # staff (or API token) of a library asked to supply


# The request's fields that name or describe the patron (private to the requesting library).
PATRON_FIELDS = frozenset({"patron", "patron_note", "patron_reference"})

# What a patron reads about a request in the API: their citation, their state, their dates.
PATRON_API_FIELDS = (
    "id", "reference", "title", "author", "publisher", "year", "isbn", "service_type",
    "article_title", "pages", "needed_by", "service_level", "status", "created_at",
)  # fmt: skip

# Requester statuses in which the item is with the patron or waits for them: only then is
# its due date worth showing (a returned loan has none; a shipped one has the lender's).
DUE_SHOWN = frozenset(
    {states.RECEIVED, states.CHECKED_OUT, states.RENEW_PENDING, states.OVERDUE, states.RECALLED}
)

# Actions by the borrowing library's staff whose note is written to the patron (where and
# when to collect, why it was refused): the patron reads it, a lender never does, like the
# patron's own words. Notes on the home library's other actions are for the lender (the
# ISO 18626 note of Cancel, Renew, ShippedReturn, Notification) and stay in the back office.
NOTE_TO_PATRON = frozenset({"refuse", "cancel", "receive", "check_out", "return_by_patron"})


def reader_of(roles: set[Role] | frozenset[Role]) -> Reader | None:
    """The reader an actor with these roles on a request is (staff roles first)."""
    if Role.BORROWER in roles:
        return Reader.BORROWER
    if Role.LENDER in roles:
        return Reader.LENDER
    if Role.PATRON in roles:
        return Reader.PATRON
    return None


def reader_for(actor: Any, req: IllRequest) -> Reader | None:
    from ill.services import actor_roles

    return reader_of(actor_roles(actor, req))


def sees_patron(reader: Reader | None) -> bool:
    """The patron's identity: the borrowing library's staff and the patron; never a lender."""
    return reader in (Reader.BORROWER, Reader.PATRON)


def sees_back_office(reader: Reader | None) -> bool:
    """Rota, reasons, lenders, their notes and messages between libraries: library staff only."""
    return reader in (Reader.BORROWER, Reader.LENDER)


# ---------------------------------------------------------------------------------------
# the patron's identity


@dataclass(frozen=True)
class PatronIdentity:
    name: str
    first_name: str
    card_number: str
    email: str
    note: str
    reference: str  # the patron as the requesting library's own ILL system names them (ISO 18626)

    def as_api(self, user_id: int | None) -> dict | None:
        if user_id is None:
            return None
        return {"id": user_id, "name": self.name, "card_number": self.card_number}


def patron_identity(*, req: IllRequest, reader: Reader | None) -> PatronIdentity | None:
    """Who asked, for those who may know; None for everyone else."""
    if not sees_patron(reader):
        return None
    user = req.patron
    return PatronIdentity(
        name=user.display_name if user else "",
        first_name=(user.first_name or user.username) if user else "",
        card_number=user.card_number if user else "",
        email=user.email if user else "",
        note=req.patron_note,
        reference=req.patron_reference,
    )


# ---------------------------------------------------------------------------------------
# notes, the timeline, messages, the rota


def note_for(*, event: IllEvent, reader: Reader | None) -> str:
    """An event's note as this reader may read it ("" when it is not for them)."""
    if not event.note:
        return ""
    if reader == Reader.BORROWER:
        return event.note_text
    if reader == Reader.LENDER:
        # The patron's own words, and the home library's words to them, stay at home.
        private = event.actor_role == Role.PATRON or event.action in NOTE_TO_PATRON
        return "" if private else event.note_text
    if reader == Reader.PATRON:
        own = event.actor_role == Role.PATRON
        to_patron = event.actor_role == Role.BORROWER and event.action in NOTE_TO_PATRON
        return event.note if own or to_patron else ""
    return ""


# What of an event's data a patron's notice may use (the rest is routing's and the lenders').
PATRON_EVENT_DATA = frozenset({"renewal_lapsed"})


def event_data(*, event: IllEvent, reader: Reader | None) -> dict:
    """An event's data as this reader's notice may use it."""
    if sees_back_office(reader):
        return event.data
    return {k: v for k, v in event.data.items() if k in PATRON_EVENT_DATA}


@dataclass(frozen=True)
class TimelineLine:
    """One event of a request's history as a library's staff read it."""

    at: datetime
    action: str
    label: str
    to_label: str  # the requester status it moved to ("" when unchanged)
    supplier_label: str  # the lender's status it moved to ("" when unchanged)
    who: str
    note: str


def _who(event: IllEvent, reader: Reader) -> str:
    if event.actor_role == Role.SYSTEM:
        return str(_("automatic"))
    if event.actor_role == Role.PATRON:
        if sees_patron(reader) and event.actor is not None:
            return event.actor.display_name
        return str(_("patron"))
    return event.actor_library.code if event.actor_library_id else ""


def _events_seen(req: IllRequest, reader: Reader | None, library_id: int | None) -> QuerySet:
    events = req.events.select_related("actor", "actor_library", "supplier")
    if reader == Reader.BORROWER:
        return events
    if reader == Reader.LENDER and library_id is not None:
        # A lender sees its own part only: not earlier or later lenders' answers.
        return events.filter(supplier_id=library_id)
    return events.none()


def timeline(*, req: IllRequest, reader: Reader | None, library_id: int | None = None) -> list[TimelineLine]:
    """The staff timeline: everything for the borrowing library, a lender's own part for it."""
    lines = []
    for e in _events_seen(req, reader, library_id):
        changed = e.to_supplier_status and e.from_supplier_status != e.to_supplier_status
        lines.append(
            TimelineLine(
                at=e.created_at,
                action=e.action,
                label=str(e.action_label),
                to_label=str(e.to_label) if e.from_status != e.to_status else "",
                supplier_label=str(e.to_supplier_label) if changed else "",
                who=_who(e, reader),
                note=note_for(event=e, reader=reader),
            )
        )
    return lines


def messages(*, req: IllRequest, reader: Reader | None, library_id: int | None = None) -> QuerySet:
    """Messages between the libraries: all for the borrowing library, a lender's own for it."""
    found = req.messages.select_related("sender")
    if reader == Reader.BORROWER:
        return found
    if reader == Reader.LENDER and library_id is not None:
        return found.filter(Q(sender_id=library_id) | Q(recipient_id=library_id))
    return found.none()


def rota(*, req: IllRequest, reader: Reader | None) -> QuerySet:
    """The lenders to ask and why: the borrowing library's own planning."""
    entries = req.rota.select_related("lender").order_by("position")
    return entries if reader == Reader.BORROWER else entries.none()


def due_date(*, req: IllRequest, reader: Reader | None) -> date | None:
    """The due date: for staff whenever set; for the patron while the item is theirs to return."""
    if reader == Reader.PATRON and req.status not in DUE_SHOWN:
        return None
    return req.due_date


def status_label(*, req: IllRequest, reader: Reader | None) -> str:
    """The requester status in the reader's words (the patron's plain words for the patron)."""
    return str(req.patron_status_label if reader == Reader.PATRON else req.status_info.label)


def rating(*, req: IllRequest, reader: Reader | None) -> Rating | None:
    """The patron's rating of their request (ill.ratings), like their note: for the patron,
    who gives it, and their library, who reads it; a lender is never told who rated or
    what they wrote (the consortium report counts ratings, never shows one)."""
    if not sees_patron(reader):
        return None
    try:
        return req.rating
    except Rating.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------
# the patron's view of a request


@dataclass(frozen=True)
class PatronDate:
    key: str  # requested, needed_by, shipped, ready, picked_up, returned, copy_ready, due
    label: str
    day: date


@dataclass(frozen=True)
class PatronMessage:
    at: datetime
    text: str


@dataclass(frozen=True)
class PatronStep:
    at: datetime
    label: str


@dataclass(frozen=True)
class PatronView:
    """A request as its patron reads it: nothing that passes between the libraries."""

    status: str
    dates: list[PatronDate]
    pickup: Any  # the borrowing library (Library): where the item is collected
    messages: list[PatronMessage]
    steps: list[PatronStep]
    own_note: str  # what the patron wrote when asking

    def date(self, key: str) -> date | None:
        return next((d.day for d in self.dates if d.key == key), None)

    def as_api(self) -> dict:
        return {
            "status_label": self.status,
            "dates": {d.key: d.day.isoformat() for d in self.dates},
            "pickup": {"code": self.pickup.code, "name": self.pickup.local_name},
            "messages": [{"at": m.at.isoformat(), "text": m.text} for m in self.messages],
        }


# The requester statuses whose (latest) arrival is a date the patron cares about.
_ARRIVALS = {
    states.SHIPPED: ("shipped", _("On its way since")),
    states.RECEIVED: ("ready", _("Ready for pickup since")),
    states.CHECKED_OUT: ("picked_up", _("Picked up")),
    states.RETURNED_BY_PATRON: ("returned", _("Returned")),
    states.COPY_DELIVERED: ("copy_ready", _("Copy ready since")),
}


def _patron_message(event: IllEvent) -> str:
    note = note_for(event=event, reader=Reader.PATRON)
    if event.action == "refuse" and event.data.get("reason") in states.REFUSAL_REASONS:
        reason = str(states.REFUSAL_REASONS[event.data["reason"]])
        return f"{reason}. {note}".strip() if note else reason
    return note


def patron_view(*, req: IllRequest, events: list[IllEvent] | None = None) -> PatronView:
    """The patron's page of a request: status in plain words, dates, pickup place, notes to them."""
    # .all() keeps the events a list page prefetched (IllEvent's ordering is its history's).
    events = list(req.events.all()) if events is None else events
    arrived: dict[str, datetime] = {}
    notes, steps = [], []
    for e in events:
        if e.to_status in _ARRIVALS and e.from_status != e.to_status:
            arrived[e.to_status] = e.created_at
        if e.from_status != e.to_status or e.action == "submit":
            label = str(states.status(states.Side.REQUESTER, e.to_status).patron_label or "")
            label = label or str(states.status(states.Side.REQUESTER, e.to_status).label)
            if not steps or steps[-1].label != label:
                steps.append(PatronStep(at=e.created_at, label=label))
        text = _patron_message(e)
        if text and e.action != "submit":  # the patron's own request note is shown as theirs
            notes.append(PatronMessage(at=e.created_at, text=text))
    dates = [PatronDate("requested", str(_("Requested on")), pakistan_date(req.created_at))]
    if req.needed_by and req.status not in states.TERMINAL and states.RECEIVED not in arrived:
        dates.append(PatronDate("needed_by", str(_("Needed by")), req.needed_by))
    for status, (key, label) in _ARRIVALS.items():
        if status in arrived:
            dates.append(PatronDate(key, str(label), pakistan_date(arrived[status])))
    due = due_date(req=req, reader=Reader.PATRON)
    if due:
        dates.append(PatronDate("due", str(_("Due")), due))
    return PatronView(
        status=status_label(req=req, reader=Reader.PATRON),
        dates=dates,
        pickup=req.borrower,
        messages=notes,
        steps=steps,
        own_note=req.patron_note,
    )
