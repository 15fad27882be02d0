"""Reads for members."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from members.models import Library, OutboundEmail, PatronStatus, Role, User


def library_directory(
    *, q: str = "", province: str = "", kind: str = "", include_inactive: bool = False
) -> QuerySet[Library]:
    """Member libraries for the public directory, filtered and searched by name."""
    libraries = Library.objects.all() if include_inactive else Library.objects.active()
    if q:
        libraries = libraries.filter(
            Q(name__icontains=q) | Q(name_ur__icontains=q) | Q(code__iexact=q) | Q(city__icontains=q)
        )
    if province:
        libraries = libraries.filter(province=province)
    if kind:
        libraries = libraries.filter(kind=kind)
    return libraries.order_by("province", "name")


def library_staff(*, library: Library) -> QuerySet[User]:
    return User.objects.filter(library=library, role__in=[Role.LIBRARIAN, Role.LIBRARY_ADMIN]).order_by(
        "-is_active", "role", "username"
    )


def pending_patrons(*, library: Library) -> QuerySet[User]:
    return User.objects.filter(
        library=library, role=Role.PATRON, patron_status=PatronStatus.PENDING
    ).order_by("date_joined")


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
