"""Reads for members."""

from __future__ import annotations

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from members.models import Invitation, Library, OutboundEmail, PatronStatus, Role, User, same_name


def library_directory(
    *, q: str = "", province: str = "", kind: str = "", include_inactive: bool = False
) -> QuerySet[Library]:
    """Member libraries for the public directory, filtered and searched by name."""
    libraries = Library.objects.all() if include_inactive else Library.objects.active()
    if q:
        libraries = libraries.filter(
            Q(name__icontains=q)
            | Q(name_ur__icontains=q)
            | Q(code__iexact=q)
            | Q(city__icontains=q)
            | Q(city_ur__icontains=q)
        )
    if province:
        libraries = libraries.filter(province=province)
    if kind:
        libraries = libraries.filter(kind=kind)
    return libraries.order_by("province", "name")


def users_named(*, identifier: str) -> QuerySet[User]:
    """Accounts whose username or email address is identifier, in any upper/lower-case
    spelling (two index probes); the one with that username first.

    Usernames and emails are unique regardless of case, and no username equals another
    account's email (members.models.User.validate_unique); should old rows still collide,
    the username wins, so a name always means one account."""
    return User.objects.filter(same_name("username", identifier) | same_name("email", identifier)).order_by(
        Case(When(same_name("username", identifier), then=Value(0)), default=Value(1)), "pk"
    )


def user_for_login(*, identifier: str) -> User | None:
    """The account a typed username or email address names, in any upper/lower-case spelling."""
    return users_named(identifier=identifier).first()


def library_staff(*, library: Library) -> QuerySet[User]:
    return User.objects.filter(library=library, role__in=[Role.LIBRARIAN, Role.LIBRARY_ADMIN]).order_by(
        "-is_active", "role", "username"
    )


def pending_patrons(*, library: Library) -> QuerySet[User]:
    return User.objects.filter(
        library=library, role=Role.PATRON, patron_status=PatronStatus.PENDING
    ).order_by("date_joined")


def pending_invitations(*, library: Library) -> QuerySet[Invitation]:
    """Staff invitations of this library not accepted yet and not expired, oldest first."""
    return Invitation.objects.filter(
        library=library, accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("created_at")


def library_counts() -> dict[str, int]:
    row = Library.objects.aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        paused=Count("pk", filter=Q(is_active=True, lending_paused=True)),
        former=Count("pk", filter=Q(is_active=False)),
    )
    return row


def outbox_messages() -> QuerySet[OutboundEmail]:
    """Every email of the outbox, newest first (the demo mailbox)."""
    return OutboundEmail.objects.order_by("-created_at", "-pk")
