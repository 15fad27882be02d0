"""The state machine table is sound: no unknown action, no unreachable state, no crossing."""

from __future__ import annotations

import pytest

from ill import states
from ill.states import ACTIONS, STATUSES, Action, Side, validate_machine


def test_table_is_sound():
    assert validate_machine() == []


def test_uses_iso_18626_supplier_status_names():
    iso = {st.iso for st in STATUSES.values() if st.side == Side.SUPPLIER and st.iso}
    assert iso == {
        "RequestReceived", "ExpectToSupply", "WillSupply", "Loaned", "Overdue", "Recalled", "RetryPossible",
        "Unfilled", "CopyCompleted", "LoanCompleted", "CompletedWithoutReturn", "Cancelled",
    }  # fmt: skip
    assert {"Received", "Cancel", "Renew", "ShippedReturn"} <= {a.iso for a in ACTIONS.values()}


def test_validator_catches_a_crossing_action(monkeypatch):
    # given an action of the requester that names a supplier status
    bad = Action(
        "bad", "bad", Side.REQUESTER, frozenset({states.SUBMITTED}), states.LOANED, frozenset({"borrower"})
    )
    monkeypatch.setitem(ACTIONS, "bad", bad)
    # then the validator reports it
    assert any("bad" in p for p in validate_machine())


def test_validator_catches_an_unreachable_status(monkeypatch):
    monkeypatch.setitem(STATUSES, (Side.REQUESTER, "limbo"), states.Status("limbo", "Limbo", Side.REQUESTER))
    assert "unreachable requester status limbo" in validate_machine()


def test_validator_catches_leaving_a_terminal_status(monkeypatch):
    bad = Action(
        "revive",
        "r",
        Side.REQUESTER,
        frozenset({states.COMPLETED}),
        states.SUBMITTED,
        frozenset({"borrower"}),
    )
    monkeypatch.setitem(ACTIONS, "revive", bad)
    assert any("terminal" in p for p in validate_machine())


@pytest.mark.parametrize("code", sorted(ACTIONS))
def test_every_action_has_someone_and_a_side(code):
    action = ACTIONS[code]
    assert action.roles and action.side in (Side.REQUESTER, Side.SUPPLIER)


def test_terminal_and_attention_flags():
    assert {states.REFUSED, states.CANCELLED, states.COMPLETED} == states.TERMINAL
    assert states.SUBMITTED in states.ATTENTION_R and states.END_OF_ROTA in states.ATTENTION_R
    assert states.REQUEST_RECEIVED in states.ATTENTION_S and states.LOANED not in states.ATTENTION_S


def test_timers_take_their_statuses_from_the_table():
    # the overdue timer runs where mark_overdue may be taken: a loan at the borrower's,
    # or a renewal asked and not answered
    assert states.taken_from("mark_overdue") == (
        {states.RECEIVED, states.CHECKED_OUT, states.RENEW_PENDING},
        {states.LOANED, states.RENEW_REQUESTED},
    )
    assert states.taken_from("time_out") == ({states.SENT_TO_SUPPLIER}, {states.REQUEST_RECEIVED})
    assert set(states.REMIND_BEFORE_DUE) == {states.CHECKED_OUT, states.RENEW_PENDING}
