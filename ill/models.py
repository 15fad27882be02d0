"""Interlibrary loan: requests, their rota of lenders, the event log, messages, copies.

Status fields are written only by ``ill.services.ill_request_transition`` (see
``ill/states.py``); the database refuses values the machine does not know.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from catalogue.models import BibRecord
from ill import states
from members.models import Library


class ServiceType(models.TextChoices):
    """ISO 18626 serviceType."""

    LOAN = "loan", _("Loan")
    COPY = "copy", _("Copy")
    COPY_OR_LOAN = "copy_or_loan", _("Copy or loan")


class ServiceLevel(models.TextChoices):
    """ISO 18626 serviceLevel (the two this consortium offers)."""

    NORMAL = "normal", _("Normal")
    RUSH = "rush", _("Rush")


class PrivateStorage(FileSystemStorage):
    """Delivered copies live outside MEDIA_ROOT: never served by a URL, only by the signed view."""

    @property
    def base_location(self):
        return str(settings.ILL_PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage() -> FileSystemStorage:
    return PrivateStorage()


_R_CODES = [code for code, _label in states.requester_choices()]
_S_CODES = [code for code, _label in states.supplier_choices()]


class IllRequestQuerySet(models.QuerySet):
    def open(self) -> IllRequestQuerySet:
        return self.exclude(status__in=states.TERMINAL)

    def borrowing(self, library_id: int) -> IllRequestQuerySet:
        return self.filter(borrower_id=library_id)

    def lending(self, library_id: int) -> IllRequestQuerySet:
        """Requests this library is (or was) asked to supply, now its turn or its loans."""
        return self.filter(supplier_id=library_id)


class IllRequest(models.Model):
    """One patron's (or library's) request for an item held by another member."""

    borrower = models.ForeignKey(
        Library, verbose_name=_("requesting library"), on_delete=models.PROTECT, related_name="ill_borrowing"
    )
    # Private to the requesting library: never shown to a lender (docs/architecture.md,
    # "ILL practice: the patron is private"); who may see what of a request is decided in
    # one place, ill/visibility.py.
    patron = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ill_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bib_record = models.ForeignKey(
        # A merged record can disappear when its source records move to another one
        # (rematch, split); the request keeps its own copy of the citation.
        BibRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ill_requests",
    )
    # Citation: copied from the record, or typed by staff for items not in the catalogue.
    title = models.CharField(_("title"), max_length=500)
    author = models.CharField(_("author"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    year = models.CharField(_("year"), max_length=20, blank=True)
    isbn = models.CharField(_("ISBN or ISSN"), max_length=20, blank=True)
    record_format = models.CharField(max_length=12, blank=True)
    service_type = models.CharField(
        _("service"), max_length=12, choices=ServiceType.choices, default=ServiceType.LOAN
    )
    article_title = models.CharField(_("article or chapter"), max_length=500, blank=True)
    pages = models.CharField(_("pages"), max_length=50, blank=True)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    service_level = models.CharField(
        _("service level"), max_length=8, choices=ServiceLevel.choices, default=ServiceLevel.NORMAL
    )
    patron_note = models.TextField(_("note from the patron"), blank=True, max_length=2000)
    status = models.CharField(max_length=24, default=states.SUBMITTED, db_index=True)
    supplier_status = models.CharField(max_length=24, default=states.NONE, blank=True)
    supplier = models.ForeignKey(
        Library, on_delete=models.PROTECT, null=True, blank=True, related_name="ill_lending"
    )
    rota_position = models.PositiveIntegerField(null=True, blank=True)
    rota_round = models.PositiveSmallIntegerField(default=1)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    renewals_used = models.PositiveSmallIntegerField(default=0)
    renewals_allowed = models.PositiveSmallIntegerField(default=0)
    loan_condition = models.CharField(max_length=30, blank=True)
    refusal_reason = models.CharField(max_length=20, blank=True)
    fee_pkr = models.PositiveIntegerField(_("fee (PKR)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # ISO 18626: the requesting library's own id for a request its system sent (header
    # requestingAgencyRequestId); later messages find the request by it. Blank for
    # requests made in the portal, whose id towards lenders is the reference (ILL-42).
    requesting_agency_request_id = models.CharField(max_length=200, blank=True)
    # The patron as the requesting library's system named them (ISO 18626 patronInfo):
    # private to the requesting library, like ``patron``; never in a lender's view or message.
    patron_reference = models.CharField(max_length=200, blank=True)
    # The lender the requesting library asked for first (ISO 18626 supplyingAgencyId).
    preferred_supplier = models.ForeignKey(
        Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The lenders it named, in its order (supplyingAgencyId, then its supplierInfo list by
    # sortOrder): routing asks them first, in this order (ill.routing.build_rota).
    preferred_suppliers = ArrayField(models.IntegerField(), default=list, blank=True)

    objects = IllRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ILL request")
        indexes = [
            models.Index(fields=["borrower", "status"]),
            models.Index(fields=["supplier", "supplier_status"]),
            models.Index(fields=["patron", "status"]),
            models.Index(fields=["status", "due_date"]),
            # The report's lists of requests waiting longest in a status (ill.reports).
            models.Index(fields=["status", "status_changed_at"], name="ill_request_status_since"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=_R_CODES), name="ill_status_known"),
            models.CheckConstraint(
                condition=Q(supplier_status__in=_S_CODES), name="ill_supplier_status_known"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="ill_title_required"),
            models.CheckConstraint(
                condition=Q(service_type__in=ServiceType.values), name="ill_service_type_known"
            ),
            models.CheckConstraint(
                condition=Q(service_level__in=ServiceLevel.values), name="ill_service_level_known"
            ),
            # A supplier status belongs to a supplier.
            models.CheckConstraint(
                condition=Q(supplier_status="") | Q(supplier__isnull=False),
                name="ill_supplier_status_has_supplier",
            ),
            models.CheckConstraint(
                condition=Q(supplier__isnull=True) | ~Q(supplier=models.F("borrower")),
                name="ill_no_self_supply",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[states.SHIPPED, states.RECEIVED, states.CHECKED_OUT, states.OVERDUE])
                | Q(due_date__isnull=False),
                name="ill_loan_has_due_date",
            ),
            models.UniqueConstraint(
                fields=["borrower", "requesting_agency_request_id"],
                condition=~Q(requesting_agency_request_id=""),
                name="ill_iso_request_id_unique_per_borrower",
            ),
        ]

    def __str__(self) -> str:
        return f"ILL-{self.pk}: {self.title[:60]}"

    @property
    def reference(self) -> str:
        return f"ILL-{self.pk}"

    @property
    def iso_request_id(self) -> str:
        """ISO 18626 requestingAgencyRequestId: the borrower system's id, else the reference."""
        return self.requesting_agency_request_id or self.reference

    @property
    def status_info(self) -> states.Status:
        return states.status(states.Side.REQUESTER, self.status)

    @property
    def supplier_status_info(self) -> states.Status:
        return states.status(states.Side.SUPPLIER, self.supplier_status)

    @property
    def patron_status_label(self):
        info = self.status_info
        return info.patron_label or info.label

    @property
    def is_open(self) -> bool:
        return self.status not in states.TERMINAL

    @cached_property
    def is_copy(self) -> bool:
        return self.service_type == ServiceType.COPY


class RotaEntry(models.Model):
    """One candidate lender in a request's rota, why it is there, and its answer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not asked yet")
        ASKED = "asked", _("Asked")
        SUPPLYING = "supplying", _("Supplying")
        UNFILLED = "unfilled", _("Unfilled")
        TIMED_OUT = "timed_out", _("No answer in time")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="rota")
    round = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField()
    lender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(
        _("why here")
    )  # in English, for API clients and entries made before reason_data
    # Why here, as data: a code and the numbers routing ranked by (ill.rota_reasons), so each
    # reader sees it in their own language.
    reason_data = models.JSONField(default=dict, blank=True)
    agreement_id = models.IntegerField(null=True, blank=True)
    agreement_name = models.CharField(max_length=200, blank=True)
    loan_period_days = models.PositiveSmallIntegerField(default=0)
    renewals_allowed = models.PositiveSmallIntegerField(default=0)
    response_deadline_days = models.PositiveSmallIntegerField(default=0)
    fee_pkr = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    asked_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reason_unfilled = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True)
    # ISO 18626 supplyingAgencyRequestId: the lender system's own id for this request.
    supplier_request_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["request", "position"]
        indexes = [
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["lender", "status"]),
            models.Index(fields=["asked_at"], name="ill_rota_asked_at"),  # ill.day_figures by day
        ]
        constraints = [
            # Deferred so that staff reordering can swap positions in one transaction.
            models.UniqueConstraint(
                fields=["request", "position"],
                name="ill_rota_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["request", "round", "lender"], name="ill_rota_lender_once_a_round"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="ill_rota_position_positive"),
            models.CheckConstraint(
                condition=~Q(status="asked") | Q(asked_at__isnull=False, deadline_at__isnull=False),
                name="ill_rota_asked_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.position} {self.lender_id}"

    @property
    def reason_text(self) -> str:
        """Why this lender stands here, in the reader's language (the stored English text for
        entries whose reason could not be read as data)."""
        from ill.rota_reasons import rota_reason_text

        return rota_reason_text(self.reason_data) or self.reason

    @property
    def reason_unfilled_label(self) -> str:
        """The lender's ISO 18626 reasonUnfilled as people read it."""
        from ill.states import REASONS_UNFILLED

        return str(REASONS_UNFILLED.get(self.reason_unfilled, self.reason_unfilled))


class IllEvent(models.Model):
    """Append-only history of a request: who did what, when, from which state to which."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    side = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_library = models.ForeignKey(
        Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_role = models.CharField(max_length=10)
    from_status = models.CharField(max_length=24)
    to_status = models.CharField(max_length=24)
    from_supplier_status = models.CharField(max_length=24, blank=True)
    to_supplier_status = models.CharField(max_length=24, blank=True)
    supplier = models.ForeignKey(Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.action}"

    @property
    def action_label(self):
        spec = states.ACTIONS.get(self.action)
        return spec.label if spec else EVENT_LABELS.get(self.action, self.action)

    @property
    def from_label(self):
        return _label(states.Side.REQUESTER, self.from_status)

    @property
    def to_label(self):
        return _label(states.Side.REQUESTER, self.to_status)

    @property
    def to_supplier_label(self):
        return _label(states.Side.SUPPLIER, self.to_supplier_status)

    @property
    def note_text(self) -> str:
        """The note in the reader's language where it is routing's (a rota reason kept as
        data); a person's note as they wrote it."""
        from ill.rota_reasons import rota_reason_text

        return rota_reason_text(self.data.get("rota_reason") or {}) or self.note


EVENT_LABELS = {
    "submit": _("Request submitted"),
    "reorder_rota": _("Rota reordered"),
    "retry": _("Retry with the lender that offered it"),
    "reminder": _("Reminder from the requesting library"),
}


def _label(side, code):
    st = states.STATUSES.get((side, code))
    return st.label if st is not None and code else "—"


class IllMessage(models.Model):
    """A note between the borrowing and the lending library on one request."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="ill_message_not_empty"),
            models.CheckConstraint(
                condition=~Q(sender=models.F("recipient")), name="ill_message_between_two"
            ),
        ]


class DeliveredCopy(models.Model):
    """A PDF a lender delivered for a copy request; served only through an expiring signed link."""

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, related_name="delivered_copy")
    file = models.FileField(storage=private_storage, upload_to="ill-copies/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="ill_copy_not_empty")]


class Iso18626Delivery(models.Model):
    """One ISO 18626 message the portal sends to a library's own ILL system, and its answer.

    Written in the transaction of the event it reports (so none is lost) and POSTed by a
    Celery task after commit; the peer's Confirmation is kept as it came.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CONFIRMED = "confirmed", _("Confirmed (OK)")
        REFUSED = "refused", _("Refused by the peer (ERROR)")
        FAILED = "failed", _("Failed for good")

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="iso18626_deliveries")
    event = models.ForeignKey(IllEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)  # request, supplyingAgencyMessage, requestingAgencyMessage
    summary = models.CharField(max_length=100)  # e.g. "StatusChange Loaned", "Received"
    url = models.URLField(max_length=500)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    confirmation = models.TextField(blank=True)
    error_type = models.CharField(max_length=40, blank=True)
    error_value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary} -> {self.library_id}"


# A patron may change their rating for a week after first answering; then it is final.
RATING_CHANGE_WINDOW = timedelta(days=7)
RATING_SCORES = range(1, 6)
RATING_COMMENT_MAX = 2000


class Rating(models.Model):
    """A patron's rating of a request that ended, 1 to 5 with an optional comment.

    The row is written when the patron is invited (once per request: it is the marker), the
    score when they answer. Who rated and what they wrote never reach a lender
    (ill.visibility.rating); the consortium report counts ratings, never shows one.
    """

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, related_name="rating")
    invited_at = models.DateTimeField(db_index=True)
    score = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=RATING_COMMENT_MAX)
    answered_at = models.DateTimeField(null=True, blank=True)  # the first answer: the week runs from it
    updated_at = models.DateTimeField(null=True, blank=True, db_index=True)  # the latest answer

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(score__gte=RATING_SCORES.start, score__lt=RATING_SCORES.stop),
                name="ill_rating_score_1_to_5",
            ),
            # answered: a score and when; not yet: neither, and no comment
            models.CheckConstraint(
                condition=Q(score__isnull=True, answered_at__isnull=True, comment="")
                | Q(score__isnull=False, answered_at__isnull=False, updated_at__isnull=False),
                name="ill_rating_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.score or '-'}"

    @property
    def changeable_until(self) -> datetime | None:
        """When the answer becomes final (None before the patron answers)."""
        return self.answered_at + RATING_CHANGE_WINDOW if self.answered_at else None


def _zero_ratings() -> list[int]:
    return [0] * (1 + len(RATING_SCORES))


class DayFigures(models.Model):
    """One library's ILL figures for one Pakistan calendar day, pre-aggregated for reports
    (ill.day_figures keeps them; ill.reports and the evidence pages sum them).

    Borrowing counts the requests the library placed that day, by what became of them
    since; lending counts the times it was asked that day, by its answer; ratings count the
    patrons invited that day. Durations are histograms ({"whole units": how many}) so that
    any period's percentiles are exact: working days request → shipped and request →
    received, whole hours asked → answered (from 48 hours on, whole days: 48, 72, ...).
    """

    day = models.DateField()  # a month's row: its first day
    # A month's row sums its days' rows (ill.day_figures keeps both): a report over whole
    # months reads 12 rows a library a year, not 365.
    month = models.BooleanField(default=False)
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    requested = models.PositiveIntegerField(default=0)
    supplied = models.PositiveIntegerField(default=0)
    not_supplied = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    ended_before_lender = models.PositiveIntegerField(default=0)
    to_shipped = models.JSONField(default=dict)
    to_received = models.JSONField(default=dict)
    asked = models.PositiveIntegerField(default=0)
    lent = models.PositiveIntegerField(default=0)
    unfilled = models.PositiveIntegerField(default=0)
    timed_out = models.PositiveIntegerField(default=0)
    still_asked = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    answer_hours = models.JSONField(default=dict)
    unfilled_reasons = models.JSONField(default=dict)  # ISO 18626 reasonUnfilled -> how many
    # [invited, rated 1, ..., rated 5]: its patrons' requests, and the requests it supplied
    ratings_as_borrower = ArrayField(models.PositiveIntegerField(), default=_zero_ratings)
    ratings_as_lender = ArrayField(models.PositiveIntegerField(), default=_zero_ratings)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "library", "month"], name="ill_day_figures_once"),
            models.CheckConstraint(
                condition=Q(month=False) | Q(day__day=1), name="ill_day_figures_month_on_its_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.library_id}"


class DayFiguresState(models.Model):
    """The one row saying how far ill.day_figures has counted (its watermark)."""

    counted_through = models.DateTimeField()  # changes up to here are in DayFigures
    refreshed_at = models.DateTimeField()
    rebuilt_at = models.DateTimeField(null=True, blank=True)  # the last full recount

    def __str__(self) -> str:
        return f"through {self.counted_through}"
