"""Reads for the desk: what waits for each person, one card per queue.

Each card is a count, how long its oldest item has waited and a link to the queue that
lists exactly those items. Cards are scoped as the queues behind them are: a librarian's
cards count their own library's work, a consortium admin's the consortium's. The ILL cards
of one side (borrowing or lending) come from one statement with a FILTER per card; every
other card is one statement of its own (tests/desk/test_selectors.py pins the counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalogue.models import ImportJob
from ill import states
from ill.models import IllRequest, RotaEntry
from members.models import ApiToken, Invitation, Library, MembershipEvent, PatronStatus, Role, User
from members.permissions import administers, can, is_consortium_admin, works_at
from policies.calendar import end_of_day, pakistan_date
from policies.models import PolicyAcknowledgement, PolicyVersion, VersionStatus
from policies.selectors import agreements_ending

# An active API token nobody has used for this long is probably forgotten: revoke or use it.
TOKEN_IDLE_DAYS = 90
# The consortium renews or lets agreements lapse with two months' notice.
AGREEMENT_NOTICE_DAYS = 60


@dataclass(frozen=True)
class Card:
    """One queue on the desk."""

    key: str
    title: Promise | str
    count: int
    url: str
    oldest: datetime | None = None  # since when the longest-waiting item has waited
    due_today: int | None = None  # working-day deadlines: None where the queue has none
    overdue: int | None = None
    ends_on: date | None = None  # agreements: the first one to end
    now: datetime = field(default_factory=timezone.now, compare=False)

    @property
    def age_text(self) -> str:
        """How long the oldest item has waited, in the reader's language."""
        if self.oldest is None or not self.count:
            return ""
        seconds = max(0, (self.now - self.oldest).total_seconds())
        if seconds < 3600:
            return str(_("under an hour"))
        if seconds < 86400:
            hours = int(seconds // 3600)
            return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        days = int(seconds // 86400)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise | str
    cards: list[Card]


@dataclass(frozen=True)
class _RequestQueue:
    """An ILL queue: the requests of one side in these statuses, and its filtered page."""

    key: str
    title: Promise
    status: str
    deadlines: bool = False


BORROWING = (
    _RequestQueue("validate", _("Requests to validate"), states.SUBMITTED),
    _RequestQueue("end_of_rota", _("No lender found (end of rota)"), states.END_OF_ROTA),
    _RequestQueue("receive", _("Shipped to us: to receive"), states.SHIPPED),
    _RequestQueue("check_out", _("Received: to check out to the patron"), states.RECEIVED),
    _RequestQueue("overdue_borrowed", _("Overdue loans of our patrons"), states.OVERDUE),
    _RequestQueue("ship_back", _("Returned by the patron: to ship back"), states.RETURNED_BY_PATRON),
)
LENDING = (
    _RequestQueue("answer", _("Requests to answer as lender"), states.REQUEST_RECEIVED, deadlines=True),
    _RequestQueue("ship", _("To pull and ship"), states.WILL_SUPPLY_S),
    _RequestQueue("check_in", _("Returns to check in"), states.RETURN_SHIPPED),
    _RequestQueue("overdue_lent", _("Overdue loans we lent"), states.OVERDUE_S),
)


def _queue_url(name: str, **params: Any) -> str:
    return reverse(name) + ("?" + urlencode(params) if params else "")


def _request_cards(*, library_id: int, lending: bool, now: datetime) -> list[Card]:
    """The cards of one side of ILL for a library (one statement)."""
    queues = LENDING if lending else BORROWING
    status_field = "supplier_status" if lending else "status"
    scope = {"supplier_id": library_id} if lending else {"borrower_id": library_id}
    requests = IllRequest.objects.filter(**scope, **{f"{status_field}__in": [q.status for q in queues]})
    aggregates: dict[str, Any] = {}
    for queue in queues:
        here = Q(**{status_field: queue.status})
        aggregates[f"{queue.key}_n"] = Count("pk", filter=here)
        aggregates[f"{queue.key}_oldest"] = Min("status_changed_at", filter=here)
        if queue.deadlines:
            # The lender's response deadline (ill.services: working days, Pakistan time), on the
            # rota entry that asked this library.
            end_of_today = end_of_day(pakistan_date(now))
            aggregates[f"{queue.key}_due_today"] = Count(
                "pk", filter=here & Q(deadline__gte=now, deadline__lte=end_of_today)
            )
            aggregates[f"{queue.key}_overdue"] = Count("pk", filter=here & Q(deadline__lt=now))
    if any(q.deadlines for q in queues):
        asked = RotaEntry.objects.filter(
            request_id=OuterRef("pk"), lender_id=OuterRef("supplier_id"), status=RotaEntry.Status.ASKED
        ).order_by("-asked_at")
        requests = requests.annotate(deadline=Subquery(asked.values("deadline_at")[:1]))
    row = requests.aggregate(**aggregates)
    page = "ill-lending" if lending else "ill-borrowing"
    return [
        Card(
            key=queue.key,
            title=queue.title,
            count=row[f"{queue.key}_n"],
            oldest=row[f"{queue.key}_oldest"],
            due_today=row.get(f"{queue.key}_due_today"),
            overdue=row.get(f"{queue.key}_overdue"),
            url=_queue_url(page, status=queue.status),
            now=now,
        )
        for queue in queues
    ]


def _failed_imports_card(*, library_id: int | None, now: datetime) -> Card:
    jobs = ImportJob.objects.filter(status=ImportJob.Status.FAILED)
    if library_id is not None:
        jobs = jobs.filter(library_id=library_id)
    row = jobs.aggregate(n=Count("pk"), oldest=Min(Coalesce("finished_at", "created_at")))
    return Card(
        key="imports_failed",
        title=_("Imports that failed"),
        count=row["n"],
        oldest=row["oldest"],
        url=_queue_url("import-list", status=ImportJob.Status.FAILED),
        now=now,
    )


def _patrons_card(*, library_id: int, now: datetime) -> Card:
    row = User.objects.filter(
        library_id=library_id, role=Role.PATRON, patron_status=PatronStatus.PENDING, is_active=True
    ).aggregate(n=Count("pk"), oldest=Min("date_joined"))
    return Card(
        key="patrons",
        title=_("Patrons to approve"),
        count=row["n"],
        oldest=row["oldest"],
        url=reverse("my-library") + "#h-patrons",
        now=now,
    )


def _tokens_card(*, library_id: int, now: datetime) -> Card:
    cutoff = now - timedelta(days=TOKEN_IDLE_DAYS)
    row = (
        ApiToken.objects.filter(library_id=library_id, revoked_at__isnull=True)
        .annotate(last_activity=Coalesce("last_used_at", "created_at"))
        .filter(last_activity__lt=cutoff)
        .aggregate(n=Count("pk"), oldest=Min("last_activity"))
    )
    return Card(
        key="tokens",
        title=_("API tokens unused for 90 days"),
        count=row["n"],
        oldest=row["oldest"],
        url=reverse("my-library") + "#h-tokens",
        now=now,
    )


def _invitations_card(*, library_id: int, now: datetime) -> Card:
    row = Invitation.objects.filter(
        library_id=library_id, accepted_at__isnull=True, expires_at__gt=now
    ).aggregate(n=Count("pk"), oldest=Min("created_at"))
    return Card(
        key="invitations",
        title=_("Staff invitations not yet accepted"),
        count=row["n"],
        oldest=row["oldest"],
        url=reverse("my-library") + "#h-invitations",
        now=now,
    )


def _paused_libraries_card(*, now: datetime) -> Card:
    paused_at = (
        MembershipEvent.objects.filter(library_id=OuterRef("pk"), kind="lending_paused")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    row = (
        Library.objects.lending_paused_now(today=pakistan_date(now))
        .annotate(paused_at=Subquery(paused_at))
        .aggregate(n=Count("pk"), oldest=Min("paused_at"))
    )
    return Card(
        key="paused",
        title=_("Libraries with lending paused"),
        count=row["n"],
        oldest=row["oldest"],
        url=_queue_url("members-admin", lending="paused"),
        now=now,
    )


def _agreements_ending_card(*, now: datetime) -> Card:
    row = agreements_ending(within_days=AGREEMENT_NOTICE_DAYS, today=pakistan_date(now)).aggregate(
        n=Count("pk"), first=Min("valid_until")
    )
    return Card(
        key="agreements_ending",
        title=_("Agreements ending within 60 days"),
        count=row["n"],
        ends_on=row["first"],
        url=_queue_url("policies:agreements", ending=AGREEMENT_NOTICE_DAYS),
        now=now,
    )


def _acknowledgements_card(*, now: datetime) -> Card:
    """Policies whose current version (the latest published, which members acknowledge even
    before it takes effect) some active member has not acknowledged yet (one statement)."""
    newer = PolicyVersion.objects.filter(
        policy_id=OuterRef("policy_id"), status=VersionStatus.PUBLISHED, number__gt=OuterRef("number")
    )
    not_acknowledged = Library.objects.active().exclude(
        pk__in=PolicyAcknowledgement.objects.filter(version_id=OuterRef(OuterRef("pk"))).values("library_id")
    )
    # A consortium has tens of policies, not thousands: the rows themselves, oldest first.
    awaiting = list(
        PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED, policy__retired=False)
        .filter(~Exists(newer), Exists(not_acknowledged))
        .order_by("published_at")
        .values_list("policy__slug", "published_at")
    )
    # One policy: straight to who has not acknowledged it; several: the list of policies,
    # each with its acknowledgements page.
    url = (
        reverse("policies:acknowledgements", args=[awaiting[0][0]])
        if len(awaiting) == 1
        else reverse("policies:manage")
    )
    return Card(
        key="acknowledgements",
        title=_("Policies awaiting acknowledgement by members"),
        count=len(awaiting),
        oldest=awaiting[0][1] if awaiting else None,
        url=url,
        now=now,
    )


def _end_of_rota_card(*, now: datetime) -> Card:
    row = IllRequest.objects.filter(status=states.END_OF_ROTA).aggregate(
        n=Count("pk"), oldest=Min("status_changed_at")
    )
    return Card(
        key="consortium_end_of_rota",
        title=_("Requests at end of rota with no lender"),
        count=row["n"],
        oldest=row["oldest"],
        url=reverse("ill-report") + "#h-eor",
        now=now,
    )


def desk_for(*, user: Any) -> list[Section]:
    """The sections of cards this person's desk shows (empty for anyone who is not staff)."""
    now = timezone.now()
    sections: list[Section] = []
    if works_at(user, None) and user.library_id is not None:
        library_id = user.library_id
        sections.append(
            Section(
                "borrowing", _("Borrowing"), _request_cards(library_id=library_id, lending=False, now=now)
            )
        )
        sections.append(
            Section("lending", _("Lending"), _request_cards(library_id=library_id, lending=True, now=now))
        )
        library_cards = [_failed_imports_card(library_id=library_id, now=now)]
        if can(user, "library.patrons", library_id):
            library_cards.append(_patrons_card(library_id=library_id, now=now))
        if administers(user, library_id):
            library_cards.append(_tokens_card(library_id=library_id, now=now))
            library_cards.append(_invitations_card(library_id=library_id, now=now))
        sections.append(Section("library", _("Your library"), library_cards))
    if is_consortium_admin(user):
        sections.append(
            Section(
                "consortium",
                _("The consortium"),
                [
                    _paused_libraries_card(now=now),
                    _agreements_ending_card(now=now),
                    _acknowledgements_card(now=now),
                    _end_of_rota_card(now=now),
                    _failed_imports_card(library_id=None, now=now),
                ],
            )
        )
    return sections
