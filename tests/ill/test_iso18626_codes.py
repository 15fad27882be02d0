"""The ISO 18626 mapping table names only what exists: ISO names in the XSD's enumerations
or the open code lists (docs/ill.md, "ISO 18626 code lists"), portal actions and statuses in ill/states.py."""

from __future__ import annotations

from ill import states
from ill.iso18626 import codes
from ill.iso18626.xml import schema_facts

ENUMS = schema_facts().enumerations
ISO_STATUSES = ENUMS["type_status"]
ISO_ACTIONS = ENUMS["type_action"]
ISO_REASONS = ENUMS["type_reasonForMessage"]
YES_NO = ENUMS["type_yesNo"]
# Open code lists, as docs/ill.md gives them (the XSD leaves them to schemes).
OPEN_LISTS = {
    "reasonUnfilled": {"NonCirculating", "NotAvailableForILL", "NotHeld", "NotOnShelf", "PolicyProblem",
                       "PoorCondition"},
    "reasonRetry": {"OnLoan", "AtBindery", "CostExceedsMaxCost", "NotFoundAsCited", "ReqEditionNotPossible"},
    "loanCondition": {"LibraryUseOnly", "WatchLibraryUseOnly", "NoReproduction", "SignatureRequired",
                      "SpecCollSupervReq"},
    "serviceLevel": {"Normal", "Rush", "Express", "Urgent", "Standard"},
}  # fmt: skip


def test_the_schema_enumerations_were_read():
    assert {"Loaned", "Unfilled"} <= ISO_STATUSES and "ShippedReturn" in ISO_ACTIONS
    assert "RenewResponse" in ISO_REASONS and {"Y", "N"} == YES_NO


def test_supplier_rules_name_iso_values_and_portal_supplier_actions():
    for rule in codes.SUPPLIER_RULES:
        assert rule.reasons <= ISO_REASONS, rule
        assert rule.status in ISO_STATUSES, rule
        assert rule.answer in YES_NO | {""}, rule
        for chain in rule.chains:
            for action in chain:
                assert action in states.ACTIONS, action
            # the action that lands the request where the lender said carries that ISO name,
            # or leads to the supplier status of that name
            last = states.ACTIONS[chain[-1]]
            lands_in = states.status(states.Side.SUPPLIER, last.to).iso
            assert last.side == states.Side.SUPPLIER, last
            assert last.iso in (rule.status, *rule.reasons) or lands_in == rule.status, (rule, last)


def test_every_supplier_status_iso_has_a_rule():
    assert set(codes.supported_supplier_statuses()) == set(ISO_STATUSES)


def test_requester_rules_name_iso_actions_and_portal_requester_actions():
    assert set(codes.REQUESTER_SUPPORTED) <= ISO_ACTIONS
    assert codes.STATUS_REQUEST in ISO_ACTIONS and codes.NOTIFICATION in ISO_ACTIONS | ISO_REASONS
    for iso_action, chains in codes.REQUESTER_RULES.items():
        for chain in chains:
            assert all(a in states.ACTIONS and states.ACTIONS[a].side == states.Side.REQUESTER for a in chain)
            assert states.ACTIONS[chain[-1]].iso == iso_action, chain


def test_outbound_tables():
    for action, (reason, status, answer) in codes.TO_BORROWER.items():
        assert action in states.ACTIONS and reason in ISO_REASONS and status in ISO_STATUSES
        assert answer in YES_NO | {""}
    assert codes.SEND_REQUEST in states.ACTIONS
    for action, iso_action in codes.TO_LENDER.items():
        assert states.ACTIONS[action].side == states.Side.REQUESTER and iso_action in ISO_ACTIONS
        assert states.ACTIONS[action].iso == iso_action


def test_every_requester_status_has_an_iso_status():
    requester = {code for (side, code) in states.STATUSES if side == states.Side.REQUESTER}
    assert set(codes.REQUESTER_STATUS_ISO) == requester
    assert set(codes.REQUESTER_STATUS_ISO.values()) <= ISO_STATUSES


def test_code_lists_are_iso_names():
    assert set(codes.SERVICE_TYPES) == ENUMS["type_serviceType"]
    for name, values in codes.OPEN_CODE_LISTS.items():
        assert set(values) <= OPEN_LISTS[name], name
    # every ISO name the state machine records exists in the schema
    for action in states.ACTIONS.values():
        assert not action.iso or action.iso in ISO_STATUSES | ISO_ACTIONS | ISO_REASONS | {"request"}, action
    for st in states.STATUSES.values():
        assert not st.iso or st.iso in ISO_STATUSES, st
