"""Permission rules of the evidence pages (collected by members.permissions)."""

from __future__ import annotations

from typing import Any

from members.models import Role
from members.permissions import Rule, is_consortium_admin, is_own_library, role_of


def _annual_report(user: Any, library: Any) -> bool:
    """Consortium admins: every report. A library's staff: the consortium's (library None)
    and their own library's; never another member's."""
    if is_consortium_admin(user):
        return True
    return role_of(user) in (Role.LIBRARIAN, Role.LIBRARY_ADMIN) and is_own_library(user, library)


RULES: dict[str, Rule] = {
    # Annual reports (/reports/annual/...). obj = the library reported on, None for the consortium.
    "evidence.annual_report": _annual_report,
}
