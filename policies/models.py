"""Written cooperation policies (versioned documents) and the agreements members sign.

Invariants live in database constraints where they can (ranges, dates, one draft per
policy, immutable numbering); rules that span rows (parties of a bilateral agreement,
overlapping agreements, contradictions with the consortium-wide agreement) live in
``policies.services``, which owns every write.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from members.models import Library

# Markdown above this size is refused (a policy is a few pages; megabytes are an attack
# or an accident). Checked by the service with a clear message and by the database.
MAX_BODY_CHARS = 200_000

# Loan periods and deadlines that a signed agreement may carry.
LOAN_PERIOD_MIN, LOAN_PERIOD_MAX = 1, 365
RENEWALS_MAX = 10
RESPONSE_DEADLINE_MIN, RESPONSE_DEADLINE_MAX = 1, 30


class PolicyCategory(models.TextChoices):
    INTERLIBRARY_LOAN = "interlibrary_loan", _("Interlibrary loan")
    DOCUMENT_DELIVERY = "document_delivery", _("Document delivery")
    RECIPROCAL_BORROWING = "reciprocal_borrowing", _("Reciprocal borrowing")
    COLLECTION_DEVELOPMENT = "collection_development", _("Collection development")
    CATALOGUING_STANDARDS = "cataloguing_standards", _("Cataloguing standards")
    DIGITISATION = "digitisation", _("Digitisation")
    TRAINING = "training", _("Training")


class Policy(models.Model):
    """A written policy of the consortium; its text lives in versions."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=PolicyCategory.choices)
    retired = models.BooleanField(_("retired"), default=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(retired=False) | Q(retired_at__isnull=False), name="policy_retired_has_time"
            ),
            models.CheckConstraint(
                condition=Q(category__in=PolicyCategory.values), name="policy_category_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PolicyVersion(models.Model):
    """One version of a policy's text. Published versions never change; drafts carry a
    ``revision`` counter so that a second editor's stale save is refused, not applied."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    body_markdown = models.TextField(_("text (Markdown)"), blank=True)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    effective_from = models.DateField(_("in force from"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        verbose_name = _("policy version")
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique"),
            # Edits go to the one open draft; a second draft would split the history.
            models.UniqueConstraint(fields=["policy"], condition=Q(status="draft"), name="policy_one_draft"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False, effective_from__isnull=False),
                name="policy_version_published_complete",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="policy_version_number_positive"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body_markdown"), MAX_BODY_CHARS),
                name="policy_version_body_size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class PolicyAcknowledgement(models.Model):
    """A member library's admin accepted this version of a policy."""

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="policy_acknowledgements")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["library", "version"], name="policy_ack_once_per_library")
        ]


class PolicyEventKind(models.TextChoices):
    """What happened to a policy (a code, stable in the stored history), or to the calendar."""

    CREATED = "created", _("Created")
    DRAFT_STARTED = "draft_started", _("New draft started")
    DRAFT_SAVED = "draft_saved", _("Draft saved")
    PUBLISHED = "published", _("Version published")
    RETIRED = "retired", _("Retired")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by a library")
    REMINDERS_SENT = "reminders_sent", _("Reminders sent")
    # The consortium admin's correction of the holiday calendar: no policy of its own.
    HOLIDAY_SET = "holiday_set", _("Holiday calendar corrected")


class PolicyEvent(models.Model):
    """Append-only history of the policies app: each policy's changes with who made them,
    and the corrections of the holiday calendar (which move every deadline)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=PolicyEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    library = models.ForeignKey(Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PolicyEventKind.values), name="policy_event_kind_known"
            ),
            # Every event but a calendar correction belongs to a policy.
            models.CheckConstraint(
                condition=Q(policy__isnull=False) | Q(kind=PolicyEventKind.HOLIDAY_SET),
                name="policy_event_has_policy",
            ),
        ]


class AgreementKind(models.TextChoices):
    CONSORTIUM_WIDE = "consortium", _("Consortium-wide")
    MULTILATERAL = "multilateral", _("Multilateral")
    BILATERAL = "bilateral", _("Bilateral")


# Most specific first: terms_for decides at the first of these levels that has an
# agreement in force between the two libraries.
SPECIFICITY = (AgreementKind.BILATERAL, AgreementKind.MULTILATERAL, AgreementKind.CONSORTIUM_WIDE)


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed for signature")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class Service(models.TextChoices):
    LOAN = "loan", _("Loan (returnable)")
    COPY = "copy", _("Copy (document delivery)")


class ItemCategory(models.TextChoices):
    """Categories an agreement may exclude beyond catalogue formats."""

    REFERENCE = "reference", _("Reference")
    RARE = "rare", _("Rare books")


def excludable_formats() -> list[tuple[str, str]]:
    """Catalogue formats plus item categories an agreement may exclude."""
    from catalogue.models import Format

    return [*Format.choices, *ItemCategory.choices]


EXCLUDABLE_VALUES = [
    "book",
    "ebook",
    "thesis",
    "serial",
    "map",
    "score",
    "audio",
    "video",
    "manuscript",
    "microform",
    "other",
    *ItemCategory.values,
]


class ShippingPaidBy(models.TextChoices):
    BORROWER = "borrower", _("Borrowing library")
    LENDER = "lender", _("Lending library")
    SHARED = "shared", _("Each pays one way")


class Agreement(models.Model):
    """A signed agreement between member libraries, with the terms routing obeys."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=AgreementKind.choices)
    all_members = models.BooleanField(
        _("every member"),
        default=False,
        help_text=_("Applies to every active member, including libraries that join later."),
    )
    parties = models.ManyToManyField(
        Library, related_name="agreements", blank=True, verbose_name=_("parties")
    )
    policy_versions = models.ManyToManyField(
        PolicyVersion, related_name="agreements", blank=True, verbose_name=_("incorporated policies")
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Structured terms.
    services_allowed = ArrayField(
        models.CharField(max_length=8, choices=Service.choices), verbose_name=_("services allowed")
    )
    excluded_formats = ArrayField(
        models.CharField(max_length=12, choices=excludable_formats),
        default=list,
        blank=True,
        verbose_name=_("formats excluded"),
    )
    loan_period_days = models.PositiveSmallIntegerField(_("loan period (days)"), default=28)
    renewals_allowed = models.PositiveSmallIntegerField(_("renewals allowed"), default=1)
    response_deadline_days = models.PositiveSmallIntegerField(
        _("response deadline (working days)"), default=3
    )
    max_open_loans = models.PositiveIntegerField(
        _("maximum open loans between two parties"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    fee_pkr = models.PositiveIntegerField(_("fee per request (PKR)"), default=0)
    shipping_paid_by = models.CharField(
        _("shipping paid by"), max_length=10, choices=ShippingPaidBy.choices, default=ShippingPaidBy.BORROWER
    )
    walk_in_borrowing = models.BooleanField(_("reciprocal walk-in borrowing"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("agreement")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="agreement_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(loan_period_days__gte=LOAN_PERIOD_MIN, loan_period_days__lte=LOAN_PERIOD_MAX),
                name="agreement_loan_period_range",
            ),
            models.CheckConstraint(
                condition=Q(renewals_allowed__lte=RENEWALS_MAX), name="agreement_renewals_range"
            ),
            models.CheckConstraint(
                condition=Q(
                    response_deadline_days__gte=RESPONSE_DEADLINE_MIN,
                    response_deadline_days__lte=RESPONSE_DEADLINE_MAX,
                ),
                name="agreement_response_deadline_range",
            ),
            models.CheckConstraint(
                condition=Q(max_open_loans__isnull=True) | Q(max_open_loans__gte=1),
                name="agreement_max_open_loans_positive",
            ),
            models.CheckConstraint(
                condition=Q(services_allowed__len__gte=1) & Q(services_allowed__contained_by=Service.values),
                name="agreement_services_known",
            ),
            models.CheckConstraint(
                condition=Q(excluded_formats__contained_by=EXCLUDABLE_VALUES),
                name="agreement_excluded_formats_known",
            ),
            models.CheckConstraint(condition=Q(kind__in=AgreementKind.values), name="agreement_kind_known"),
            models.CheckConstraint(
                condition=Q(status__in=AgreementStatus.values), name="agreement_status_known"
            ),
            models.CheckConstraint(
                condition=Q(shipping_paid_by__in=ShippingPaidBy.values), name="agreement_shipping_known"
            ),
            # "Every member" is what consortium-wide means, and only that.
            models.CheckConstraint(
                condition=Q(kind="consortium", all_members=True)
                | (~Q(kind="consortium") & Q(all_members=False)),
                name="agreement_all_members_iff_consortium",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["suspended", "terminated"]) | ~Q(status_reason=""),
                name="agreement_stop_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_from"])]

    def __str__(self) -> str:
        return self.name

    @property
    def allows_loan(self) -> bool:
        return Service.LOAN in self.services_allowed

    @property
    def allows_copy(self) -> bool:
        return Service.COPY in self.services_allowed

    @property
    def excluded_format_labels(self) -> list[str]:
        labels = dict(excludable_formats())
        return [str(labels.get(value, value)) for value in self.excluded_formats]

    @property
    def service_labels(self) -> list[str]:
        """The services allowed, as people read them (the stored values are codes)."""
        return [str(Service(v).label) if v in Service.values else v for v in self.services_allowed]


class AgreementAcceptance(models.Model):
    """A party library's admin signed the agreement (who and when)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="acceptances")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="agreement_acceptances")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "library"], name="agreement_accept_once_per_party")
        ]


# What each AgreementEvent.kind (a code, stable in the stored history) says on the page.
AGREEMENT_EVENT_LABELS = {
    "created": _("Created"),
    "updated": _("Edited"),
    "proposed": _("Proposed to the parties"),
    "withdrawn": _("Withdrawn to draft"),
    "accepted": _("Accepted"),
    "activated": _("In force"),
    "suspended": _("Suspended"),
    "resumed": _("Resumed"),
    "terminated": _("Terminated"),
    "expired": _("Expired"),
}


class AgreementEvent(models.Model):
    """Append-only history of an agreement: created, edited, proposed, accepted, status changes."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    library = models.ForeignKey(Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    @property
    def kind_label(self) -> str:
        """The event in the reader's language; an unknown code as stored."""
        return str(AGREEMENT_EVENT_LABELS.get(self.kind, self.kind))


class HolidayKind(models.TextChoices):
    CLOSED = "closed", _("Closed (holiday added)")
    OPEN = "open", _("Open (computed holiday cancelled, or a working weekend day)")


class Holiday(models.Model):
    """The consortium admin's correction to the computed calendar: Islamic holidays move
    with moon sighting, so a day can be added as closed or a computed holiday reopened."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=6, choices=HolidayKind.choices, default=HolidayKind.CLOSED)
    name = models.CharField(_("name"), max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday correction")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=HolidayKind.values), name="holiday_kind_known")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name} ({self.kind})"
