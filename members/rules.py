"""Permission rules of the portal as a whole and of a library's own work (collected by
members.permissions; each rule takes the actor and, where it matters, the library concerned)."""

from __future__ import annotations

from members.permissions import (
    AUTHENTICATED,
    PUBLIC,
    Rule,
    administers,
    is_consortium_admin,
    role_of,
    works_at,
)

RULES: dict[str, Rule] = {
    PUBLIC: lambda user, obj: True,
    AUTHENTICATED: lambda user, obj: role_of(user) is not None,
    # Consortium administration: members, policies, agreements, reports.
    "consortium.manage": lambda user, obj: is_consortium_admin(user),
    # Day-to-day work for a library: imports, ILL queues. obj = the library concerned.
    "library.work": lambda user, obj: works_at(user, obj) or is_consortium_admin(user),
    # Staff management, API tokens, signing agreements for a library. obj = that library.
    "library.administer": lambda user, obj: administers(user, obj),
    # Decide patrons' registrations: any staff of the patron's home library.
    "library.patrons": lambda user, obj: works_at(user, obj) and role_of(user) != "system",
    # Staff-only pages of any library (dashboard).
    "staff": lambda user, obj: works_at(user, None) or is_consortium_admin(user),
}
