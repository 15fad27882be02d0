"""Member libraries, the people who use the portal, API tokens and the email outbox."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# ISIL-style: country prefix, hyphen, up to 11 letters, digits, hyphens, slashes or colons
# (ISO 15511 allows 16 characters in all).
LIBRARY_CODE_RE = r"^[A-Z]{2}-[A-Za-z0-9/:\-]{1,13}$"
library_code_validator = RegexValidator(
    LIBRARY_CODE_RE,
    _("Library code must be ISIL-style: country code, hyphen, then letters or digits (PK-LUMS)."),
)


class Province(models.TextChoices):
    PUNJAB = "PB", _("Punjab")
    SINDH = "SD", _("Sindh")
    KP = "KP", _("Khyber Pakhtunkhwa")
    BALOCHISTAN = "BA", _("Balochistan")
    ICT = "IS", _("Islamabad Capital Territory")
    GB = "GB", _("Gilgit-Baltistan")
    AJK = "AJK", _("Azad Jammu and Kashmir")


# Small stable integers for the catalogue's denormalised province arrays.
PROVINCE_NUMBERS = {code: n for n, code in enumerate(Province.values, start=1)}


class LibraryKind(models.TextChoices):
    UNIVERSITY = "university", _("University")
    COLLEGE = "college", _("College")
    PUBLIC = "public", _("Public")
    SPECIAL = "special", _("Special")
    NATIONAL = "national", _("National")


class LibraryQuerySet(models.QuerySet):
    def active(self) -> LibraryQuerySet:
        return self.filter(is_active=True)

    def lending(self, *, today=None) -> LibraryQuerySet:
        """Active members that are not paused for lending today."""
        today = today or timezone.localdate()
        return self.active().filter(Q(lending_paused=False) | Q(lending_paused_until__lt=today))

    def lending_paused_now(self, *, today=None) -> LibraryQuerySet:
        """Active members whose lending pause is in effect today (the complement of lending())."""
        today = today or timezone.localdate()
        return self.active().filter(lending_paused=True).exclude(lending_paused_until__lt=today)


def library_name_in(name: str, name_ur: str, language: str | None = None) -> str:
    """A library's name (or city) as a reader of this language (default: the active one)
    reads it: the Urdu form for an Urdu reader when the library has one, else the English."""
    language = language or get_language() or "en"
    return name_ur if name_ur and language.startswith("ur") else name


class Library(models.Model):
    """A member library of the consortium."""

    code = models.CharField(_("code"), max_length=16, unique=True, validators=[library_code_validator])
    name = models.CharField(_("name (English)"), max_length=200)
    name_ur = models.CharField(_("name (Urdu)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=LibraryKind.choices)
    city = models.CharField(_("city"), max_length=100)
    city_ur = models.CharField(_("city (Urdu)"), max_length=100, blank=True)
    province = models.CharField(_("province or territory"), max_length=3, choices=Province.choices)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("contact email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    joined_on = models.DateField(_("joined"), default=timezone.localdate)
    is_active = models.BooleanField(_("active member"), default=True)
    left_on = models.DateField(_("left"), null=True, blank=True)
    lending_paused = models.BooleanField(_("lending paused"), default=False)
    lending_paused_reason = models.CharField(_("reason for pause"), max_length=300, blank=True)
    lending_paused_until = models.DateField(_("paused until"), null=True, blank=True)
    # The library's own ILL system (Koha ILL, ReShare, a broker): the portal POSTs ISO 18626
    # messages about this library's requests and loans there. Blank: web queues only.
    iso18626_url = models.URLField(
        _("ISO 18626 endpoint of the library's ILL system"),
        blank=True,
        help_text=_(
            "Where the portal sends ISO 18626 messages for this library; blank to use the web queues only."
        ),
    )
    # The credential that system wants on the portal's calls (a header and its value, such
    # as Authorization: Bearer ...): the value sealed (consortium.sealed), never shown again.
    iso18626_auth_header = models.CharField(_("credential header"), max_length=64, blank=True)
    iso18626_auth_sealed = models.TextField(blank=True)
    iso18626_auth_set_at = models.DateTimeField(null=True, blank=True)
    # Notices to the contact address are written in one language, this one (staff accounts
    # get theirs in their own language).
    language = models.CharField(
        _("language of emails to the contact address"),
        max_length=5,
        choices=[("en", "English"), ("ur", "اردو")],
        default="en",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("library")
        verbose_name_plural = _("libraries")
        constraints = [
            models.CheckConstraint(
                condition=Q(lending_paused=False) | ~Q(lending_paused_reason=""),
                name="library_pause_has_reason",
            ),
            models.CheckConstraint(condition=Q(code__regex=LIBRARY_CODE_RE), name="library_code_isil_style"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def local_name(self) -> str:
        """The name in the active language (library_name_in)."""
        return library_name_in(self.name, self.name_ur)

    @property
    def local_city(self) -> str:
        """The city in the active language: its Urdu name for an Urdu reader when given."""
        return library_name_in(self.city, self.city_ur)

    def name_in(self, language: str) -> str:
        """The name as a reader of this language reads it (emails: the recipient's language)."""
        return library_name_in(self.name, self.name_ur, language)

    @property
    def province_number(self) -> int:
        return PROVINCE_NUMBERS[self.province]

    def is_lending_today(self, today=None) -> bool:
        today = today or timezone.localdate()
        if not self.is_active:
            return False
        return not self.lending_paused or (
            self.lending_paused_until is not None and self.lending_paused_until < today
        )


class Role(models.TextChoices):
    PATRON = "patron", _("Patron")
    LIBRARIAN = "librarian", _("Librarian")
    LIBRARY_ADMIN = "library_admin", _("Library admin")
    CONSORTIUM_ADMIN = "consortium_admin", _("Consortium admin")


STAFF_ROLES = (Role.LIBRARIAN, Role.LIBRARY_ADMIN)


class PatronStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


# Usernames and email addresses are unique regardless of case, and none is another
# account's username-or-email (log-in takes either): User.validate_unique and constraints.
USERNAME_TAKEN = _(
    "An account with this username already exists (usernames are the same in capital and small letters)."
)
USERNAME_IS_AN_EMAIL = _("This username is the email address of another account; choose another username.")
EMAIL_TAKEN = _("An account with this email address already exists.")
EMAIL_IS_A_USERNAME = _("This email address is the username of another account; use another address.")


def same_name(field: str, value: str) -> Q:
    """The account's username or email (field) is value in any upper/lower case, compared as
    the unique indexes compare (lower()), so the lookup is one index probe. A blank name
    names no account (and saying so lets the planner use the partial index on emails)."""
    return Q(Exact(Lower(field), Lower(Value(value)))) & ~Q(**{field: ""})


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        """Usernames are one name in any upper/lower-case spelling (createsuperuser asks this)."""
        return self.get(same_name("username", username))

    def create_superuser(self, username, email=None, password=None, **extra):
        extra.setdefault("role", Role.CONSORTIUM_ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """Anyone who logs in: a patron, a library's staff member or a consortium admin."""

    # Unique regardless of case: the constraint user_email_unique_ignoring_case below.
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATRON)
    library = models.ForeignKey(
        Library,
        verbose_name=_("library"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        help_text=_("Home library of a patron; employer of a librarian or library admin."),
    )
    card_number = models.CharField(_("library card number"), max_length=40, blank=True)
    patron_status = models.CharField(
        _("patron status"), max_length=10, choices=PatronStatus.choices, blank=True
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("preferred language"),
        max_length=5,
        choices=[("en", "English"), ("ur", "اردو")],
        default="en",
    )
    decided_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField(max_length=300, blank=True)

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            # Staff belong to exactly one library; patrons have a home library.
            models.CheckConstraint(
                condition=Q(role="consortium_admin") | Q(library__isnull=False),
                name="user_library_required_for_role",
            ),
            models.CheckConstraint(
                condition=~Q(role="patron") | ~Q(patron_status=""),
                name="user_patron_has_status",
            ),
            models.UniqueConstraint(
                fields=["library", "card_number"],
                condition=~Q(card_number=""),
                name="user_card_unique_per_library",
            ),
            # Log-in takes any upper/lower-case spelling of a username or email address, so
            # each must name one account (and the lockout count one account's failures).
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_ignoring_case",
                violation_error_message=USERNAME_TAKEN,
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique_ignoring_case",
                violation_error_message=EMAIL_TAKEN,
            ),
        ]

    def validate_unique(self, exclude=None) -> None:
        """Django's checks, then: no other account has this username or email address in any
        upper/lower-case spelling, nor has this username as its email or the reverse (log-in
        takes either), each refused with a message on its field."""
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        try:
            super().validate_unique(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        others = User.objects.exclude(pk=self.pk) if self.pk is not None else User.objects.all()
        checks = [
            ("username", "username", USERNAME_TAKEN),
            ("username", "email", USERNAME_IS_AN_EMAIL),
            ("email", "email", EMAIL_TAKEN),
            ("email", "username", EMAIL_IS_A_USERNAME),
        ]
        for field, other_field, message in checks:
            value = getattr(self, field)
            if not value or field in exclude or field in errors:
                continue
            if others.filter(same_name(other_field, value)).exists():
                errors[field] = [ValidationError(message, code="unique")]
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None) -> None:
        """The case-insensitive uniqueness of username and email is checked by validate_unique
        (messages on the field, not beside the form); the database constraints stay the guard."""
        super().validate_constraints(exclude={*(exclude or ()), "username", "email"})

    @property
    def is_patron(self) -> bool:
        return self.role == Role.PATRON

    @property
    def is_library_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_consortium_admin(self) -> bool:
        return self.role == Role.CONSORTIUM_ADMIN

    def has_perm(self, perm, obj=None) -> bool:
        """A consortium admin manages everything in the Django admin (history kept: see admin.py)."""
        if self.is_active and self.is_consortium_admin:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and self.is_consortium_admin:
            return True
        return super().has_module_perms(app_label)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A library system's key to the API; only its SHA-256 is stored."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    """An emailed invitation to become a library's staff member."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["librarian", "library_admin"]),
                name="invitation_staff_role_only",
            )
        ]


class MembershipEvent(models.Model):
    """Audit trail of membership changes (joined, paused, resumed, removed, staff changes)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class OutboundEmail(models.Model):
    """One email in the outbox: written in the sender's transaction, sent by Celery."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed for good")

    to = models.JSONField()
    cc = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    from_email = models.CharField(max_length=200)
    # A notice's idempotency key: the same key is sent only once.
    dedup_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
