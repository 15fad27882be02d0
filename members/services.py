"""Writes for members: libraries, staff, patrons, tokens, invitations."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from consortium import outbound_http, sealed
from consortium.context_processors import consortium_name
from members import exceptions as err
from members.authentication import hash_key
from members.email import email_enqueue
from members.models import (
    ApiToken,
    Invitation,
    Library,
    MembershipEvent,
    PatronStatus,
    Role,
    User,
    same_name,
)
from members.permissions import administers, can, works_at

INVITATION_DAYS = 14


def recipient_language(to: User | Library | str) -> str:
    """The language an email to this recipient is written in: an account's own, a library's
    contact-address language; a bare address (an invitation) gets the site's default."""
    if isinstance(to, User | Library):
        return to.language or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def notify(
    *,
    to: User | Library | str,
    template: str,
    context: dict,
    language: str | None = None,
    dedup_key: str | None = None,
) -> None:
    """Render templates/emails/<template>.{subject,txt} in the recipient's language and queue.

    The whole email is in that one language: lazy strings in the context (statuses, reasons)
    are rendered under the same override."""
    address = to if isinstance(to, str) else to.email
    language = language or recipient_language(to)
    with translation.override(language):
        context = {"CONSORTIUM_NAME": consortium_name(), "BASE_URL": settings.PORTAL_BASE_URL, **context}
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        body = render_to_string(f"emails/{template}.txt", context)
    email_enqueue(to=[address], subject=" ".join(subject.split()), body=body, dedup_key=dedup_key)


def membership_event(*, library: Library, kind: str, actor: User | None, note: str = "") -> None:
    MembershipEvent.objects.create(library=library, kind=kind, actor=actor, note=note)


def _require(actor: User, rule: str, library: Library | None) -> None:
    if not can(actor, rule, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)


@transaction.atomic
def library_create(*, actor: User, **fields: object) -> Library:
    """Admit a new member library."""
    _require(actor, "consortium.manage", None)
    library = Library(**fields)
    library.full_clean()
    library.save()
    membership_event(library=library, kind="joined", actor=actor)
    return library


@transaction.atomic
def library_pause_lending(*, actor: User, library: Library, reason: str, until: date | None) -> Library:
    """Pause a member's lending (routing skips it); its history and open loans stay."""
    if not administers(actor, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    reason = reason.strip()
    if not reason:
        raise err.MembersError(err.PAUSE_NEEDS_REASON, field="reason", code=err.ErrorCode.PAUSE_NEEDS_REASON)
    if until is not None and until < timezone.localdate():
        raise err.MembersError(err.PAUSE_UNTIL_IN_PAST, field="until", code=err.ErrorCode.PAUSE_UNTIL_IN_PAST)
    library = Library.objects.select_for_update().get(pk=library.pk)
    library.lending_paused = True
    library.lending_paused_reason = reason[:300]
    library.lending_paused_until = until
    library.save(
        update_fields=["lending_paused", "lending_paused_reason", "lending_paused_until", "updated_at"]
    )
    membership_event(
        library=library,
        kind="lending_paused",
        actor=actor,
        note=f"{reason} (until {until or 'further notice'})",
    )
    return library


def iso18626_endpoint_check(url: str) -> None:
    """Refuse an ISO 18626 endpoint the portal may not call, saying why (MembersError)."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise err.MembersError(
            err.ISO18626_URL_INVALID, field="iso18626_url", code=err.ErrorCode.ISO18626_URL_INVALID
        )
    try:
        outbound_http.endpoint_resolve(url, allow_private=settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS)
    except outbound_http.EndpointRefused as exc:
        raise err.MembersError(exc.message, field="iso18626_url", code=exc.code) from exc


@transaction.atomic
def library_iso18626_endpoint_set(*, actor: User, library: Library, url: str) -> Library:
    """Where the portal sends ISO 18626 messages for this library's requests (blank: none).

    The address is checked as delivery checks it (consortium.outbound_http): an http(s)
    URL whose host resolves, now, to public addresses only. Delivery checks again at each
    send, since DNS answers change."""
    if not administers(actor, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    url = (url or "").strip()
    if url:
        iso18626_endpoint_check(url)
    library = Library.objects.select_for_update().get(pk=library.pk)
    if library.iso18626_url == url:
        return library
    library.iso18626_url = url
    library.save(update_fields=["iso18626_url", "updated_at"])
    membership_event(library=library, kind="iso18626_endpoint", actor=actor, note=url or "removed")
    return library


# Headers the portal writes itself: a credential may not replace them.
RESERVED_HEADERS = ("Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Connection")
CREDENTIAL_MAX = 2000
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")


@transaction.atomic
def library_iso18626_credential_set(*, actor: User, library: Library, header: str, value: str) -> Library:
    """The credential the library's own ILL system wants on the portal's calls (a header
    and its value), sealed (consortium.sealed); an empty ``value`` removes it. The value is
    never logged, recorded in events, nor shown again."""
    if not administers(actor, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    header, value = (header or "").strip() or "Authorization", (value or "").strip()
    library = Library.objects.select_for_update().get(pk=library.pk)
    if not value:
        if not library.iso18626_auth_sealed:
            return library
        library.iso18626_auth_header, library.iso18626_auth_sealed, library.iso18626_auth_set_at = (
            "",
            "",
            None,
        )
        note = "credential removed"
    else:
        if not _HEADER_NAME.fullmatch(header) or header.lower() in {h.lower() for h in RESERVED_HEADERS}:
            raise err.MembersError(
                err.ISO18626_HEADER_INVALID.format(name=header[:64], reserved=", ".join(RESERVED_HEADERS)),
                field="header",
                code=err.ErrorCode.ISO18626_CREDENTIAL_INVALID,
            )
        if len(value) > CREDENTIAL_MAX or not (value.isascii() and value.isprintable()):
            raise err.MembersError(
                err.ISO18626_VALUE_INVALID.format(limit=CREDENTIAL_MAX),
                field="value",
                code=err.ErrorCode.ISO18626_CREDENTIAL_INVALID,
            )
        library.iso18626_auth_header, library.iso18626_auth_sealed = header, sealed.seal(value)
        library.iso18626_auth_set_at = timezone.now()
        note = f"credential set (header {header})"
    library.save(
        update_fields=["iso18626_auth_header", "iso18626_auth_sealed", "iso18626_auth_set_at", "updated_at"]
    )
    membership_event(library=library, kind="iso18626_endpoint", actor=actor, note=note)
    return library


@transaction.atomic
def library_resume_lending(*, actor: User, library: Library) -> Library:
    if not administers(actor, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    library = Library.objects.select_for_update().get(pk=library.pk)
    library.lending_paused = False
    library.lending_paused_reason = ""
    library.lending_paused_until = None
    library.save(
        update_fields=["lending_paused", "lending_paused_reason", "lending_paused_until", "updated_at"]
    )
    membership_event(library=library, kind="lending_resumed", actor=actor)
    return library


@transaction.atomic
def library_deactivate(*, actor: User, library: Library, note: str = "") -> Library:
    """Remove a member without deleting anything: it stops lending, borrowing and logging in
    for staff, and every record, holding, request and event stays for the history."""
    _require(actor, "consortium.manage", None)
    library = Library.objects.select_for_update().get(pk=library.pk)
    library.is_active = False
    library.left_on = timezone.localdate()
    library.save(update_fields=["is_active", "left_on", "updated_at"])
    ApiToken.objects.filter(library=library, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    membership_event(library=library, kind="removed", actor=actor, note=note)
    return library


@transaction.atomic
def library_reactivate(*, actor: User, library: Library) -> Library:
    _require(actor, "consortium.manage", None)
    library = Library.objects.select_for_update().get(pk=library.pk)
    library.is_active = True
    library.left_on = None
    library.save(update_fields=["is_active", "left_on", "updated_at"])
    membership_event(library=library, kind="rejoined", actor=actor)
    return library


def _refuse_taken_email(email: str) -> None:
    """An address another account has (any upper/lower case), or has as its username, is taken."""
    other = User.objects.filter(same_name("email", email) | same_name("username", email)).first()
    if other is not None:
        same = other.email.lower() == email.lower()
        if same:
            raise err.MembersConflict(err.EMAIL_TAKEN, field="email", code=err.ErrorCode.EMAIL_TAKEN)
        raise err.MembersConflict(
            err.EMAIL_IS_A_USERNAME, field="email", code=err.ErrorCode.EMAIL_IS_A_USERNAME
        )


# The database's guards of account names, and the field each protects: a twin account
# committed between our check and our insert is refused like one found by the check.
_ACCOUNT_NAME_CONSTRAINTS = {
    "members_user_username_key": ("username", err.USERNAME_TAKEN),
    "user_username_unique_ignoring_case": ("username", err.USERNAME_TAKEN),
    "user_email_unique_ignoring_case": ("email", err.EMAIL_TAKEN),
}


def _account_insert(user: User) -> None:
    """Validate and insert a new account; its name taken meanwhile is a field error, not a 500."""
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        if constraint not in _ACCOUNT_NAME_CONSTRAINTS:
            raise
        field, message = _ACCOUNT_NAME_CONSTRAINTS[constraint]
        raise ValidationError({field: [message]}) from exc


def _invitation_url(token: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("invitation-accept", args=[token])


@transaction.atomic
def staff_invite(
    *, actor: User, library: Library, email: str, role: str, language: str | None = None
) -> Invitation:
    """Invite a librarian or library admin by email (a consortium admin invites the first admin)."""
    if not administers(actor, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    if role not in (Role.LIBRARIAN, Role.LIBRARY_ADMIN):
        raise err.MembersError(err.STAFF_INVITE_ROLE, field="role", code=err.ErrorCode.STAFF_INVITE_ROLE)
    if not library.is_active:
        raise err.MembersError(err.LIBRARY_INACTIVE, code=err.ErrorCode.LIBRARY_INACTIVE)
    email = User.objects.normalize_email(email).strip()
    _refuse_taken_email(email)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        library=library,
        email=email,
        role=role,
        token_hash=hash_key(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    membership_event(library=library, kind="staff_invited", actor=actor, note=f"{email} as {role}")
    notify(
        to=email,
        language=language or settings.LANGUAGE_CODE,
        template="staff_invitation",
        dedup_key=f"invitation:{invitation.pk}",
        context={
            "library": library,
            "role": Role(role).label,
            "url": _invitation_url(token),
            "days": INVITATION_DAYS,
            "inviter": actor.display_name,
        },
    )
    return invitation


def invitation_get(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("library")
        .filter(token_hash=hash_key(token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise err.MembersError(err.INVITATION_INVALID, code=err.ErrorCode.INVITATION_INVALID)
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, username: str, password: str, first_name: str, last_name: str, language: str = "en"
) -> User:
    """Create the invited staff account; the link works once."""
    invitation = invitation_get(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise err.MembersError(err.INVITATION_INVALID, code=err.ErrorCode.INVITATION_INVALID)
    user = User(
        username=username,
        email=invitation.email,
        role=invitation.role,
        library=invitation.library,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    user.set_password(password)
    _account_insert(user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    membership_event(
        library=invitation.library,
        kind="staff_joined",
        actor=user,
        note=f"{user.username} as {invitation.role}",
    )
    return user


@transaction.atomic
def staff_set_role(*, actor: User, staff: User, role: str | None) -> User:
    """Change a staff member's role, or remove them (role None deactivates the account)."""
    staff = User.objects.select_for_update().get(pk=staff.pk)
    if not staff.is_library_staff or not administers(actor, staff.library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    leaving_admin = staff.role == Role.LIBRARY_ADMIN and role != Role.LIBRARY_ADMIN
    if (
        leaving_admin
        and not User.objects.filter(library=staff.library, role=Role.LIBRARY_ADMIN, is_active=True)
        .exclude(pk=staff.pk)
        .exists()
    ):
        raise err.MembersConflict(err.LAST_ADMIN, code=err.ErrorCode.LAST_ADMIN)
    if role is None:
        staff.is_active = False
        staff.save(update_fields=["is_active"])
        membership_event(library=staff.library, kind="staff_removed", actor=actor, note=staff.username)
    else:
        if role not in (Role.LIBRARIAN, Role.LIBRARY_ADMIN):
            raise err.MembersError(
                err.STAFF_ROLE_UNKNOWN, field="role", code=err.ErrorCode.STAFF_ROLE_UNKNOWN
            )
        staff.role = role
        staff.save(update_fields=["role"])
        membership_event(
            library=staff.library, kind="staff_role_changed", actor=actor, note=f"{staff.username} → {role}"
        )
    return staff


def account_language_set(*, user: User, language: str) -> User:
    """The language of the emails this account receives (notices, password reset)."""
    if language not in dict(User._meta.get_field("language").choices):
        raise err.MembersError(
            err.LANGUAGE_UNKNOWN % {"language": language},
            field="language",
            code=err.ErrorCode.LANGUAGE_UNKNOWN,
        )
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def patron_register(
    *,
    library: Library,
    username: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    card_number: str,
    language: str = "en",
) -> User:
    """Self-registration: the account waits for the home library's approval."""
    if not library.is_active:
        raise err.MembersError(err.LIBRARY_INACTIVE, field="library", code=err.ErrorCode.LIBRARY_INACTIVE)
    _refuse_taken_email(email)
    if card_number and User.objects.filter(library=library, card_number=card_number).exists():
        raise err.MembersConflict(err.CARD_TAKEN, field="card_number", code=err.ErrorCode.CARD_TAKEN)
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=Role.PATRON,
        library=library,
        card_number=card_number,
        patron_status=PatronStatus.PENDING,
        language=language,
    )
    user.set_password(password)
    _account_insert(user)
    # The patron is the actor of their own registration.
    membership_event(library=library, kind="patron_registered", actor=user, note=user.username)
    notify(
        to=user,
        template="patron_registered",
        dedup_key=f"patron-registered:{user.pk}",
        context={"user": user, "library": library},
    )
    return user


@transaction.atomic
def patron_decide(*, actor: User, patron: User, approve: bool, reason: str = "") -> User:
    """Approve or refuse a patron's registration (staff of the patron's home library)."""
    patron = User.objects.select_for_update().get(pk=patron.pk)
    if not patron.is_patron or not works_at(actor, patron.library_id):
        raise err.MembersPermissionDenied(
            err.LIBRARY_HAS_NO_SUCH_PATRON, code=err.ErrorCode.LIBRARY_HAS_NO_SUCH_PATRON
        )
    if patron.patron_status != PatronStatus.PENDING:
        raise err.MembersConflict(err.PATRON_ALREADY_DECIDED, code=err.ErrorCode.PATRON_ALREADY_DECIDED)
    patron.patron_status = PatronStatus.APPROVED if approve else PatronStatus.REFUSED
    patron.refusal_reason = "" if approve else reason.strip()[:300]
    patron.decided_by = actor
    patron.decided_at = timezone.now()
    patron.save(update_fields=["patron_status", "refusal_reason", "decided_by", "decided_at"])
    membership_event(
        library=patron.library,
        kind="patron_approved" if approve else "patron_refused",
        actor=actor,
        note=patron.username if approve else f"{patron.username}: {patron.refusal_reason}",
    )
    notify(
        to=patron,
        template="patron_approved" if approve else "patron_refused",
        dedup_key=f"patron-decided:{patron.pk}",
        context={"user": patron, "library": patron.library, "reason": patron.refusal_reason},
    )
    return patron


@transaction.atomic
def api_token_create(*, actor: User, library: Library, name: str) -> tuple[ApiToken, str]:
    """Create a token for the library's systems; the key is returned once and stored hashed."""
    if not administers(actor, library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    name = name.strip() or "API token"
    key = "ish_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        library=library, name=name[:100], prefix=key[:10], key_hash=hash_key(key), created_by=actor
    )
    membership_event(library=library, kind="token_created", actor=actor, note=f"{name} ({key[:10]}…)")
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not administers(actor, token.library):
        raise err.MembersPermissionDenied(err.NOT_YOUR_LIBRARY, code=err.ErrorCode.NOT_YOUR_LIBRARY)
    if token.revoked_at is not None:
        raise err.MembersConflict(err.TOKEN_ALREADY_REVOKED, code=err.ErrorCode.TOKEN_ALREADY_REVOKED)
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    membership_event(library=token.library, kind="token_revoked", actor=actor, note=str(token))
    return token
