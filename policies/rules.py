"""Permission rules of policies and agreements (collected by members.permissions)."""

from __future__ import annotations

from typing import Any

from members.models import Role
from members.permissions import Rule, is_consortium_admin, is_own_library, role_of, works_at


def _own_library_admin(user: Any, library: Any) -> bool:
    """A library admin acting for their own library (obj = that library, or none given)."""
    return role_of(user) == Role.LIBRARY_ADMIN and is_own_library(user, library)


RULES: dict[str, Rule] = {
    # A library admin acknowledges policies and signs agreements for their own library;
    # consortium admins manage both (the rule "consortium.manage").
    "policies.acknowledge": _own_library_admin,
    "agreements.accept": _own_library_admin,
    # Agreements' pages: staff of any member, library systems and consortium admins.
    "agreements.view": lambda user, obj: works_at(user, None) or is_consortium_admin(user),
}
