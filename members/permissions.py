"""Every permission rule of the portal, in one place.

Views declare an ``access_rule`` (a name below, or PUBLIC); a view with none is denied
(and a test fails). Rules take the actor and, where it matters, the library that owns
the object, so "own library" checks are the same in HTML views and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from members.models import Library, Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class LibraryPrincipal:
    """A library's system, authenticated by an API token; acts as that library's staff."""

    library: Library
    token_id: int
    role: str = "system"
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk: None = None

    @property
    def library_id(self) -> int:
        return self.library.pk

    def __str__(self) -> str:
        return f"API token of {self.library.code}"


def _role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", True):
        return None
    return getattr(user, "role", None)


def _library_id(user: Any) -> int | None:
    return getattr(user, "library_id", None)


def _lib_id(library: Library | int | None) -> int | None:
    return library.pk if isinstance(library, Library) else library


def is_consortium_admin(user: Any) -> bool:
    return _role(user) == Role.CONSORTIUM_ADMIN


def is_approved_patron(user: Any) -> bool:
    return _role(user) == Role.PATRON and getattr(user, "patron_status", "") == "approved"


def works_at(user: Any, library: Library | int | None) -> bool:
    """Staff (or the library's API token) of this library."""
    role = _role(user)
    if role not in (Role.LIBRARIAN, Role.LIBRARY_ADMIN, "system"):
        return False
    return library is None or _library_id(user) == _lib_id(library)


def administers(user: Any, library: Library | int | None) -> bool:
    """Library admin of this library, or a consortium admin."""
    if is_consortium_admin(user):
        return True
    if _role(user) != Role.LIBRARY_ADMIN:
        return False
    return library is None or _library_id(user) == _lib_id(library)


Rule = Callable[[Any, Any], bool]

RULES: dict[str, Rule] = {
    PUBLIC: lambda user, obj: True,
    AUTHENTICATED: lambda user, obj: _role(user) is not None,
    # Consortium administration: members, policies, agreements, reports.
    "consortium.manage": lambda user, obj: is_consortium_admin(user),
    # Day-to-day work for a library: imports, ILL queues. obj = the library concerned.
    "library.work": lambda user, obj: works_at(user, obj) or is_consortium_admin(user),
    # Staff management, API tokens, signing agreements for a library. obj = that library.
    "library.administer": lambda user, obj: administers(user, obj),
    # Decide patrons' registrations: any staff of the patron's home library.
    "library.patrons": lambda user, obj: works_at(user, obj) and _role(user) != "system",
    # Ask for an item through ILL: an approved patron (for their home library) or staff.
    "ill.request": lambda user, obj: is_approved_patron(user) or works_at(user, None),
    # ILL queues and request pages: staff (or API token) of a member library; which
    # requests they may see and act on is decided per request by ill.services.actor_roles.
    "ill.staff": lambda user, obj: works_at(user, obj),
    # ISO 18626 messages (/iso18626): a member library's own ILL system, by its API token;
    # which agency it may speak for is checked per message (the token's library only).
    "ill.iso18626": lambda user, obj: works_at(user, None) and _role(user) == "system",
    # Policies and agreements: a library admin acknowledges policies and signs agreements
    # for their own library (obj = that library); consortium admins manage them.
    "policies.acknowledge": lambda user, obj: (
        _role(user) == Role.LIBRARY_ADMIN and (obj is None or _library_id(user) == _lib_id(obj))
    ),
    "agreements.accept": lambda user, obj: (
        _role(user) == Role.LIBRARY_ADMIN and (obj is None or _library_id(user) == _lib_id(obj))
    ),
    # Agreements' pages: staff of any member, library systems and consortium admins.
    "agreements.view": lambda user, obj: works_at(user, None) or is_consortium_admin(user),
    # Staff-only pages of any library (dashboard).
    "staff": lambda user, obj: works_at(user, None) or is_consortium_admin(user),
}


def can(user: Any, rule: str, obj: Any = None) -> bool:
    """Whether the user passes the named rule (for the object's library, when given)."""
    try:
        check = RULES[rule]
    except KeyError as exc:
        raise ValueError(f"Unknown permission rule {rule!r}") from exc
    return bool(check(user, obj))


def role_flags(user: Any) -> dict[str, bool]:
    """What the navigation shows."""
    role = _role(user)
    return {
        "authenticated": role is not None,
        "patron": role == Role.PATRON,
        "approved_patron": is_approved_patron(user),
        "staff": role in (Role.LIBRARIAN, Role.LIBRARY_ADMIN),
        "library_admin": role == Role.LIBRARY_ADMIN,
        "consortium_admin": role == Role.CONSORTIUM_ADMIN,
    }


class RuleRequiredMixin(AccessMixin):
    """HTML view mixin: set ``access_rule``; anonymous users go to login, others get 403."""

    access_rule: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if self.access_rule is None:
            raise PermissionDenied("No access rule declared")
        if not can(request.user, self.access_rule, self.rule_object()):
            if not request.user.is_authenticated:
                return self.handle_no_permission()
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def rule_object(self) -> Any:
        """The library the rule is checked against; views with own-library scope override."""
        return None


def access(rule: str) -> Callable:
    """Decorator for function views: declare and enforce the access rule."""

    def wrap(view: Callable) -> Callable:
        def wrapped(request, *args, **kwargs):
            if not can(request.user, rule):
                if not request.user.is_authenticated:
                    from django.contrib.auth.views import redirect_to_login

                    return redirect_to_login(request.get_full_path())
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access_rule = rule
        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        wrapped.__module__ = view.__module__
        return wrapped

    return wrap


class DenyUnlessDeclared(BasePermission):
    """DRF default: a view without ``access_rule`` is refused to everyone."""

    def has_permission(self, request, view) -> bool:
        rule = getattr(view, "access_rule", None)
        if rule is None:
            return False
        return can(request.user, rule)

    def has_object_permission(self, request, view, obj) -> bool:
        rule = getattr(view, "object_rule", None)
        if rule is None:
            return True
        library = getattr(view, "object_library", lambda o: o)(obj)
        return can(request.user, rule, library)
