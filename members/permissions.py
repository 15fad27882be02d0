"""The permission registry: every app's rules, collected, and the checks views use.

Each app declares its rules in its own ``rules.py`` (members: the portal-wide and library
rules; policies; ill); this module holds the predicates they share (who works at or
administers a library), the one registry and the entry points that read it: ``can``,
``access``, ``RuleRequiredMixin`` and DRF's ``DenyUnlessDeclared``. Views declare an
``access_rule`` (a registered name, or PUBLIC); a view with none is denied (and a test
fails); an unknown name raises. Rules take the actor and, where it matters, the library that owns
the object, so "own library" checks are the same in HTML views and the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
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


def role_of(user: Any) -> str | None:
    """The role of an active, authenticated user (or an API token's "system"); None otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", True):
        return None
    return getattr(user, "role", None)


def _library_id(user: Any) -> int | None:
    return getattr(user, "library_id", None)


def _lib_id(library: Library | int | None) -> int | None:
    return library.pk if isinstance(library, Library) else library


def is_own_library(user: Any, library: Library | int | None) -> bool:
    """The library is the user's own (or none is given)."""
    return library is None or _library_id(user) == _lib_id(library)


def is_consortium_admin(user: Any) -> bool:
    return role_of(user) == Role.CONSORTIUM_ADMIN


def is_approved_patron(user: Any) -> bool:
    return role_of(user) == Role.PATRON and getattr(user, "patron_status", "") == "approved"


def works_at(user: Any, library: Library | int | None) -> bool:
    """Staff (or the library's API token) of this library."""
    role = role_of(user)
    if role not in (Role.LIBRARIAN, Role.LIBRARY_ADMIN, "system"):
        return False
    return is_own_library(user, library)


def administers(user: Any, library: Library | int | None) -> bool:
    """Library admin of this library, or a consortium admin."""
    if is_consortium_admin(user):
        return True
    if role_of(user) != Role.LIBRARY_ADMIN:
        return False
    return is_own_library(user, library)


Rule = Callable[[Any, Any], bool]

# Every rule of every app, by name: each app declares its own in ``<app>/rules.py`` as
# ``RULES = {name: check}``, and collect_rules() gathers them when the apps are ready
# (MembersConfig.ready), so a new ILL rule is written in ill, not here.
RULES: dict[str, Rule] = {}
RULE_OWNERS: dict[str, str] = {}


def collect_rules(app_names: Iterable[str]) -> None:
    """Gather the RULES of each app's ``rules`` module; a name declared twice stops start-up."""
    rules: dict[str, Rule] = {}
    owners: dict[str, str] = {}
    for app in app_names:
        module_name = f"{app}.rules"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # this app declares no rules
            raise
        for name, check in module.RULES.items():
            if name in rules:
                raise ImproperlyConfigured(
                    f"Permission rule {name!r} is declared by both {owners[name]} and {module_name}"
                )
            rules[name] = check
            owners[name] = module_name
    RULES.clear()
    RULES.update(rules)
    RULE_OWNERS.clear()
    RULE_OWNERS.update(owners)


def can(user: Any, rule: str, obj: Any = None) -> bool:
    """Whether the user passes the named rule (for the object's library, when given)."""
    try:
        check = RULES[rule]
    except KeyError as exc:
        raise ValueError(f"Unknown permission rule {rule!r}") from exc
    return bool(check(user, obj))


def role_flags(user: Any) -> dict[str, bool]:
    """What the navigation shows."""
    role = role_of(user)
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
