"""Who acts on a request: a portal user, a library's API token, or the portal itself,
and which roles of the state machine (ill/states.py) that gives them on one request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ill.models import IllRequest
from ill.states import Role
from members.models import User
from members.permissions import LibraryPrincipal, works_at


@dataclass(frozen=True)
class SystemActor:
    """Routing and timers: the ``system`` role of the state machine."""

    name: str = "system"
    is_authenticated: bool = True
    pk: None = None
    library_id: None = None

    def __str__(self) -> str:
        return "Ishtiraak"


SYSTEM = SystemActor()


def actor_roles(actor: Any, req: IllRequest) -> set[Role]:
    """The state machine roles this actor holds on this request."""
    if isinstance(actor, SystemActor):
        return {Role.SYSTEM}
    roles: set[Role] = set()
    if isinstance(actor, User) and actor.is_patron and req.patron_id == actor.pk and actor.is_active:
        roles.add(Role.PATRON)
    if works_at(actor, req.borrower_id):
        roles.add(Role.BORROWER)
    if req.supplier_id is not None and req.supplier_status and works_at(actor, req.supplier_id):
        roles.add(Role.LENDER)
    return roles


def actor_user(actor: Any) -> User | None:
    """The person acting, or None for an API token or the portal itself."""
    return actor if isinstance(actor, User) else None


def actor_library_id(actor: Any) -> int | None:
    """The library the actor acts for (a staff member's, an API token's), if any."""
    if isinstance(actor, LibraryPrincipal):
        return actor.library.pk
    return getattr(actor, "library_id", None)
