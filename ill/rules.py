"""Permission rules of interlibrary loan (collected by members.permissions).

These decide who reaches ILL pages and endpoints; which requests an actor may see and act
on is decided per request by the ILL services.
"""

from __future__ import annotations

from members.permissions import Rule, is_approved_patron, is_consortium_admin, role_of, works_at

RULES: dict[str, Rule] = {
    # Ask for an item through ILL: an approved patron (for their home library) or staff.
    "ill.request": lambda user, obj: is_approved_patron(user) or works_at(user, None),
    # ILL queues and request pages: staff (or API token) of a member library.
    "ill.staff": lambda user, obj: works_at(user, obj),
    # The ILL report: a consortium admin (any library or the whole consortium), or a member
    # library's staff (their own library beside the consortium's totals; ill.views scopes it).
    "ill.report": lambda user, obj: is_consortium_admin(user) or works_at(user, obj),
    # ISO 18626 messages (/iso18626): a member library's own ILL system, by its API token;
    # which agency it may speak for is checked per message (the token's library only).
    "ill.iso18626": lambda user, obj: works_at(user, None) and role_of(user) == "system",
}
