"""Every ILL event is recorded by ill.events with a typed kind; each action's rules are
one handler registered under a code of the state table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ill import actions, events, states
from ill.events import EventKind
from ill.models import IllEvent

ILL = Path(events.__file__).parent


def test_every_action_of_the_table_is_an_event_kind():
    assert set(states.ACTIONS) <= {k.value for k in EventKind}
    assert {k.value for k in EventKind} - set(states.ACTIONS) == {
        "submit",
        "reorder_rota",
        "retry",
        "reminder",
    }


def test_handlers_are_registered_only_for_actions_of_the_table():
    assert set(actions.HANDLERS) <= set(states.ACTIONS)
    # the actions whose rules go beyond moving statuses have one each
    assert {"validate", "refuse", "send_to_supplier", "ship", "deliver_copy", "mark_overdue"} <= set(
        actions.HANDLERS
    )
    with pytest.raises(LookupError):
        actions.handles("teleport")(lambda step: actions.Outcome())
    with pytest.raises(LookupError):
        actions.handles("ship")(lambda step: actions.Outcome())  # one handler per action


def _creates_events(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            text = ast.unparse(node.func)
            if text in {"IllEvent", "IllEvent.objects.create", "IllEvent.objects.bulk_create"}:
                return True
    return False


def test_only_ill_events_writes_event_rows():
    writers = {p.relative_to(ILL).as_posix() for p in ILL.rglob("*.py") if _creates_events(p)}
    assert writers == {"events.py"}


@pytest.mark.django_db
def test_a_reordered_rota_is_an_event_the_lender_does_not_see(submitted, librarian, act, lender):
    from ill.routing import route
    from ill.services import ill_rota_reorder

    req = act(submitted, "validate", librarian)
    route(request_id=req.pk)
    req.refresh_from_db()
    pending = list(req.rota.filter(status="pending").values_list("pk", flat=True))
    ill_rota_reorder(request_id=req.pk, actor=librarian, entry_ids=pending)
    event = IllEvent.objects.filter(request=req).last()
    assert (event.action, event.actor, event.actor_role, event.supplier_id) == (
        EventKind.REORDER_ROTA,
        librarian,
        "borrower",
        None,
    )
    assert (event.from_status, event.to_status) == (req.status, req.status)
