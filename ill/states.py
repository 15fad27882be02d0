"""The ILL request's state machine, as data: statuses, actions, who may take them.

Two sides, kept apart as ISO 18626 keeps them: the requester (borrowing library and its
patron) moves ``IllRequest.status``; the supplier (the lender currently asked) moves
``IllRequest.supplier_status``, whose values are ISO 18626 supplier statuses where ISO
has one. An action belongs to one side and names only that side's statuses. When an
action sends a message to the other side (ISO: a supplyingAgencyMessage or a
requestingAgencyMessage), its ``effect`` says which of the other side's statuses it
arrives in and which one it leads to: that is how a lender's "WillSupply" becomes the
requester's "will supply", exactly as every incoming ISO status maps to one requester
state in ReShare. ``validate_machine()`` checks the table (tests/ill/test_states.py).

``ill.services.ill_request_transition`` is the only code that applies this table; what
an action does besides moving statuses is its handler in ``ill.actions``, registered
under the action's code. The timers (``ill.timers``) select their rows with
``taken_from`` and the statuses' flags, so the table alone says when they apply.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Side(StrEnum):
    REQUESTER = "requester"
    SUPPLIER = "supplier"


class Role(StrEnum):
    """Who takes an action, relative to the request (not the user's portal role)."""

    PATRON = "patron"  # the request's own patron
    BORROWER = "borrower"  # staff (or API token) of the requesting library
    LENDER = "lender"  # staff (or API token) of the library currently asked
    SYSTEM = "system"  # routing, timers


@dataclass(frozen=True)
class Status:
    code: str
    label: object
    side: Side
    needs_attention: bool = False  # a person at this side's library must act
    terminal: bool = False
    iso: str = ""  # the ISO 18626 status name, where ISO has one
    patron_label: object = None  # how the patron sees it (None: same as label)
    remind_before_due: bool = False  # the patron has the item and is reminded of the due date


@dataclass(frozen=True)
class Effect:
    """What the message an action sends does on the other side."""

    frm: frozenset[str]
    to: str


@dataclass(frozen=True)
class Action:
    code: str
    label: object
    side: Side
    frm: frozenset[str]
    to: str
    roles: frozenset[Role]
    iso: str = ""  # ISO 18626 action / status / message this corresponds to
    effect: Effect | None = None
    services: frozenset[str] = frozenset({"loan", "copy"})  # which kinds of supply it applies to
    needs: tuple[str, ...] = field(default=())  # payload keys the action requires
    style: str = "primary"  # button colour on the screens


def _s(*codes: str) -> frozenset[str]:
    return frozenset(codes)


R, S = Side.REQUESTER, Side.SUPPLIER

# --- requester statuses (IllRequest.status) -----------------------------------------
SUBMITTED = "submitted"
VALIDATED = "validated"
REFUSED = "refused"
SOURCING = "sourcing"
SENT_TO_SUPPLIER = "sent_to_supplier"
EXPECT_TO_SUPPLY = "expect_to_supply"
CONDITIONAL_ANSWER = "conditional_answer"
WILL_SUPPLY = "will_supply"
SHIPPED = "shipped"
RECEIVED = "received"
CHECKED_OUT = "checked_out"
RENEW_PENDING = "renew_pending"
OVERDUE = "overdue"
RECALLED = "recalled"
RETURNED_BY_PATRON = "returned_by_patron"
SHIPPED_RETURN = "shipped_return"
LOST = "lost"
COPY_DELIVERED = "copy_delivered"
END_OF_ROTA = "end_of_rota"
CANCEL_PENDING = "cancel_pending"
CANCELLED = "cancelled"
COMPLETED = "completed"

# --- supplier statuses (IllRequest.supplier_status), ISO 18626 names where ISO has one --
NONE = ""  # no lender asked yet
REQUEST_RECEIVED = "RequestReceived"
EXPECT_TO_SUPPLY_S = "ExpectToSupply"
WILL_SUPPLY_S = "WillSupply"
PENDING_CONDITIONS = "PendingConditions"  # WillSupply with loanCondition, awaiting the requester
LOANED = "Loaned"
OVERDUE_S = "Overdue"
RECALLED_S = "Recalled"
RENEW_REQUESTED = "RenewRequested"  # requester sent Renew; RenewResponse owed
CANCEL_REQUESTED = "CancelRequested"  # requester sent Cancel; CancelResponse owed
RETURN_SHIPPED = "ReturnShipped"  # requester sent ShippedReturn; lender checks it in
LOST_REPORTED = "LostReported"  # requester reported the item lost (Notification)
RETRY_POSSIBLE = "RetryPossible"
UNFILLED = "Unfilled"
COPY_COMPLETED = "CopyCompleted"
LOAN_COMPLETED = "LoanCompleted"
COMPLETED_WITHOUT_RETURN = "CompletedWithoutReturn"
CANCELLED_S = "Cancelled"

STATUSES: dict[tuple[Side, str], Status] = {
    (st.side, st.code): st
    for st in [
        Status(SUBMITTED, _("Submitted, awaiting validation"), R, needs_attention=True,
               patron_label=_("Received by your library")),
        Status(VALIDATED, _("Validated"), R, patron_label=_("Looking for a lender")),
        Status(REFUSED, _("Refused by the home library"), R, terminal=True),
        Status(SOURCING, _("Sourcing a lender"), R, patron_label=_("Looking for a lender")),
        Status(SENT_TO_SUPPLIER, _("Sent to a lender"), R, patron_label=_("Asked a lending library")),
        Status(EXPECT_TO_SUPPLY, _("Lender expects to supply"), R, patron_label=_("A library expects to supply it")),
        Status(CONDITIONAL_ANSWER, _("Lender set conditions"), R, needs_attention=True,
               patron_label=_("A library will lend it with conditions")),
        Status(WILL_SUPPLY, _("Lender will supply"), R, patron_label=_("A library will supply it")),
        Status(SHIPPED, _("Shipped by the lender"), R, needs_attention=True,
               patron_label=_("On its way to your library")),
        Status(RECEIVED, _("Received, ready for pickup"), R, needs_attention=True,
               patron_label=_("Ready for pickup")),
        Status(CHECKED_OUT, _("Checked out to the patron"), R, patron_label=_("On loan to you"),
               remind_before_due=True),
        Status(RENEW_PENDING, _("Renewal asked"), R, patron_label=_("Renewal asked"), remind_before_due=True),
        Status(OVERDUE, _("Overdue"), R, needs_attention=True),
        Status(RECALLED, _("Recalled by the lender"), R, needs_attention=True,
               patron_label=_("Recalled: please return it")),
        Status(RETURNED_BY_PATRON, _("Returned by the patron"), R, needs_attention=True,
               patron_label=_("Returned, thank you")),
        Status(SHIPPED_RETURN, _("Shipped back to the lender"), R, patron_label=_("Returned, thank you")),
        Status(LOST, _("Reported lost"), R),
        Status(COPY_DELIVERED, _("Copy delivered"), R, patron_label=_("Your copy is ready")),
        Status(END_OF_ROTA, _("End of rota: no lender could supply"), R, needs_attention=True,
               patron_label=_("Still looking for a lender")),
        Status(CANCEL_PENDING, _("Cancellation asked"), R),
        Status(CANCELLED, _("Cancelled"), R, terminal=True),
        Status(COMPLETED, _("Completed"), R, terminal=True),
        # supplier side
        Status(NONE, _("Not asked"), S),
        Status(REQUEST_RECEIVED, _("New request"), S, needs_attention=True, iso="RequestReceived"),
        Status(EXPECT_TO_SUPPLY_S, _("Expect to supply"), S, needs_attention=True, iso="ExpectToSupply"),
        Status(WILL_SUPPLY_S, _("Will supply: pull and ship"), S, needs_attention=True, iso="WillSupply"),
        Status(PENDING_CONDITIONS, _("Conditions sent, awaiting the borrower"), S, iso="WillSupply"),
        Status(LOANED, _("On loan"), S, iso="Loaned"),
        Status(OVERDUE_S, _("Overdue"), S, iso="Overdue"),
        Status(RECALLED_S, _("Recalled"), S, iso="Recalled"),
        Status(RENEW_REQUESTED, _("Renewal asked"), S, needs_attention=True),
        Status(CANCEL_REQUESTED, _("Cancellation asked"), S, needs_attention=True),
        Status(RETURN_SHIPPED, _("Shipped back: check in"), S, needs_attention=True),
        Status(LOST_REPORTED, _("Reported lost by the borrower"), S, needs_attention=True),
        Status(RETRY_POSSIBLE, _("Retry possible"), S, terminal=True, iso="RetryPossible"),
        Status(UNFILLED, _("Unfilled"), S, terminal=True, iso="Unfilled"),
        Status(COPY_COMPLETED, _("Copy delivered"), S, terminal=True, iso="CopyCompleted"),
        Status(LOAN_COMPLETED, _("Loan completed"), S, terminal=True, iso="LoanCompleted"),
        Status(COMPLETED_WITHOUT_RETURN, _("Completed without return"), S, terminal=True,
               iso="CompletedWithoutReturn"),
        Status(CANCELLED_S, _("Cancelled"), S, terminal=True, iso="Cancelled"),
    ]
}  # fmt: skip

INITIAL = {R: SUBMITTED, S: NONE}

PATRON, BORROWER, LENDER, SYSTEM = Role.PATRON, Role.BORROWER, Role.LENDER, Role.SYSTEM
# How messages name who may act ("Only the lender's staff may ...").
ROLE_LABELS = {
    PATRON: _("the patron"),
    BORROWER: _("the requesting library's staff"),
    LENDER: _("the lender's staff"),
    SYSTEM: _("the portal itself"),
}
STAFF_B = frozenset({BORROWER})
PATRON_OR_B = frozenset({PATRON, BORROWER})
STAFF_L = frozenset({LENDER})
SYS = frozenset({SYSTEM})
LOAN_ONLY = frozenset({"loan"})
COPY_ONLY = frozenset({"copy"})

# Where a new lender can be asked from: nobody asked yet, or the previous one said no.
ASKABLE = _s(NONE, UNFILLED, CANCELLED_S, RETRY_POSSIBLE)
LOAN_OUT_S = _s(LOANED, OVERDUE_S, RECALLED_S)
ANSWERABLE_R = _s(SENT_TO_SUPPLIER, EXPECT_TO_SUPPLY)

ACTIONS: dict[str, Action] = {
    a.code: a
    for a in [
        # ---- requester side -------------------------------------------------------
        Action("validate", _("Validate"), R, _s(SUBMITTED), VALIDATED, STAFF_B, style="success"),
        Action("refuse", _("Refuse"), R, _s(SUBMITTED), REFUSED, STAFF_B, needs=("reason",), style="danger"),
        Action("start_sourcing", _("Start sourcing"), R, _s(VALIDATED), SOURCING, SYS),
        Action("send_to_supplier", _("Send to the next lender"), R, _s(SOURCING), SENT_TO_SUPPLIER, SYS,
               iso="request", effect=Effect(ASKABLE, REQUEST_RECEIVED)),
        Action("end_of_rota", _("End of rota"), R, _s(SOURCING), END_OF_ROTA, SYS),
        Action("resource", _("Re-source"), R, _s(END_OF_ROTA), VALIDATED, STAFF_B),
        Action("accept_conditions", _("Accept the conditions"), R, _s(CONDITIONAL_ANSWER), WILL_SUPPLY,
               STAFF_B, iso="Notification", effect=Effect(_s(PENDING_CONDITIONS), WILL_SUPPLY_S),
               style="success"),
        Action("reject_conditions", _("Reject the conditions"), R, _s(CONDITIONAL_ANSWER), SOURCING, STAFF_B,
               iso="Cancel", effect=Effect(_s(PENDING_CONDITIONS), CANCELLED_S), style="danger"),
        Action("receive", _("Mark received"), R, _s(SHIPPED), RECEIVED, STAFF_B, iso="Received",
               services=LOAN_ONLY, style="success"),
        Action("check_out", _("Check out to patron"), R, _s(RECEIVED), CHECKED_OUT, STAFF_B,
               services=LOAN_ONLY),
        Action("renew", _("Ask for renewal"), R, _s(CHECKED_OUT, OVERDUE), RENEW_PENDING, PATRON_OR_B,
               iso="Renew", effect=Effect(_s(LOANED, OVERDUE_S), RENEW_REQUESTED), services=LOAN_ONLY,
               style="secondary"),
        Action("return_by_patron", _("Returned by patron"), R, _s(CHECKED_OUT, OVERDUE, RECALLED),
               RETURNED_BY_PATRON, STAFF_B, services=LOAN_ONLY),
        Action("ship_return", _("Ship back to lender"), R, _s(RETURNED_BY_PATRON, RECEIVED), SHIPPED_RETURN,
               STAFF_B, iso="ShippedReturn", effect=Effect(LOAN_OUT_S, RETURN_SHIPPED), services=LOAN_ONLY),
        # ISO 18626 ShippedForward: instead of going back, the item goes on to another
        # library's request of the same record that the same lender agreed to supply; this
        # loan ends and the lender's loan to that library starts (ill.actions).
        Action("ship_forward", _("Send on to the next borrowing library"), R, _s(RETURNED_BY_PATRON, RECEIVED),
               COMPLETED, STAFF_B, iso="ShippedForward", effect=Effect(LOAN_OUT_S, LOAN_COMPLETED),
               services=LOAN_ONLY, needs=("forward_to",), style="secondary"),
        Action("report_lost", _("Report lost"), R, _s(RECEIVED, CHECKED_OUT, OVERDUE, RECALLED), LOST, STAFF_B,
               iso="Notification", effect=Effect(LOAN_OUT_S, LOST_REPORTED), services=LOAN_ONLY,
               needs=("note",), style="danger"),
        Action("cancel", _("Cancel"), R, _s(SUBMITTED, VALIDATED, SOURCING, END_OF_ROTA), CANCELLED,
               PATRON_OR_B, iso="Cancel", style="outline-danger"),
        Action("request_cancel", _("Ask to cancel"), R,
               _s(SENT_TO_SUPPLIER, EXPECT_TO_SUPPLY, WILL_SUPPLY, CONDITIONAL_ANSWER), CANCEL_PENDING,
               PATRON_OR_B, iso="Cancel",
               effect=Effect(_s(REQUEST_RECEIVED, EXPECT_TO_SUPPLY_S, WILL_SUPPLY_S, PENDING_CONDITIONS),
                             CANCEL_REQUESTED), style="outline-danger"),
        Action("complete_copy", _("Mark copy received"), R, _s(COPY_DELIVERED), COMPLETED,
               frozenset({PATRON, BORROWER, SYSTEM}), iso="Received", services=COPY_ONLY),
        # ---- supplier side (ISO 18626 supplyingAgencyMessage statuses) ------------------
        Action("expect_to_supply", _("Expect to supply"), S, _s(REQUEST_RECEIVED), EXPECT_TO_SUPPLY_S, STAFF_L,
               iso="ExpectToSupply", effect=Effect(_s(SENT_TO_SUPPLIER), EXPECT_TO_SUPPLY), style="secondary"),
        Action("will_supply", _("Will supply"), S, _s(REQUEST_RECEIVED, EXPECT_TO_SUPPLY_S), WILL_SUPPLY_S,
               STAFF_L, iso="WillSupply", effect=Effect(ANSWERABLE_R, WILL_SUPPLY), style="success"),
        Action("will_supply_with_conditions", _("Will supply with conditions"), S,
               _s(REQUEST_RECEIVED, EXPECT_TO_SUPPLY_S), PENDING_CONDITIONS, STAFF_L, iso="WillSupply",
               effect=Effect(ANSWERABLE_R, CONDITIONAL_ANSWER), needs=("condition",), style="secondary"),
        Action("unfilled", _("Cannot supply"), S, _s(REQUEST_RECEIVED, EXPECT_TO_SUPPLY_S, WILL_SUPPLY_S),
               UNFILLED, STAFF_L, iso="Unfilled", effect=Effect(_s(*ANSWERABLE_R, WILL_SUPPLY), SOURCING),
               needs=("reason_unfilled",), style="danger"),
        Action("retry_possible", _("Could supply later (retry possible)"), S,
               _s(REQUEST_RECEIVED, EXPECT_TO_SUPPLY_S), RETRY_POSSIBLE, STAFF_L, iso="RetryPossible",
               effect=Effect(ANSWERABLE_R, SOURCING), needs=("reason_retry",), style="secondary"),
        # The stale-request timer answers Unfilled on the lender's behalf (ReShare, OCLC).
        Action("time_out", _("No answer in time"), S, _s(REQUEST_RECEIVED), UNFILLED, SYS, iso="Unfilled",
               effect=Effect(_s(SENT_TO_SUPPLIER), SOURCING)),
        # (the portal ships for the lender when a borrowing library forwards its copy: ship_forward)
        Action("ship", _("Mark shipped"), S, _s(WILL_SUPPLY_S), LOANED, frozenset({LENDER, SYSTEM}), iso="Loaned",
               effect=Effect(_s(WILL_SUPPLY), SHIPPED), services=LOAN_ONLY, style="success"),
        Action("deliver_copy", _("Deliver the copy (PDF)"), S,
               _s(REQUEST_RECEIVED, EXPECT_TO_SUPPLY_S, WILL_SUPPLY_S), COPY_COMPLETED, STAFF_L,
               iso="CopyCompleted", effect=Effect(_s(*ANSWERABLE_R, WILL_SUPPLY), COPY_DELIVERED),
               services=COPY_ONLY, needs=("file",), style="success"),
        # The overdue timer, or the lender (its own system's loan record says so first), once
        # the due date has passed (its handler in ill.actions checks it). A renewal asked
        # before the due date but not answered by then lapses: the loan is overdue (the patron
        # may ask again; a renewal asked after the due date waits for the lender's answer).
        Action("mark_overdue", _("Mark overdue"), S, _s(LOANED, RENEW_REQUESTED), OVERDUE_S,
               frozenset({LENDER, SYSTEM}), iso="Overdue",
               effect=Effect(_s(RECEIVED, CHECKED_OUT, RENEW_PENDING), OVERDUE), services=LOAN_ONLY),
        Action("recall", _("Recall"), S, _s(LOANED, OVERDUE_S, RENEW_REQUESTED), RECALLED_S, STAFF_L,
               iso="Recalled", effect=Effect(_s(RECEIVED, CHECKED_OUT, OVERDUE, RENEW_PENDING), RECALLED),
               services=LOAN_ONLY, style="warning"),
        Action("approve_renewal", _("Approve renewal"), S, _s(RENEW_REQUESTED), LOANED, STAFF_L,
               iso="RenewResponse", effect=Effect(_s(RENEW_PENDING), CHECKED_OUT), services=LOAN_ONLY,
               style="success"),
        Action("refuse_renewal", _("Refuse renewal"), S, _s(RENEW_REQUESTED), LOANED, STAFF_L,
               iso="RenewResponse", effect=Effect(_s(RENEW_PENDING), CHECKED_OUT), services=LOAN_ONLY,
               style="danger"),
        Action("check_in", _("Check in (returned)"), S, _s(RETURN_SHIPPED, *LOAN_OUT_S), LOAN_COMPLETED,
               STAFF_L, iso="LoanCompleted", effect=Effect(_s(SHIPPED_RETURN, RETURNED_BY_PATRON), COMPLETED),
               services=LOAN_ONLY, style="success"),
        Action("complete_without_return", _("Close without return"), S, _s(LOST_REPORTED),
               COMPLETED_WITHOUT_RETURN, STAFF_L, iso="CompletedWithoutReturn",
               effect=Effect(_s(LOST), COMPLETED), services=LOAN_ONLY),
        Action("answer_cancel_yes", _("Agree to cancel"), S, _s(CANCEL_REQUESTED), CANCELLED_S, STAFF_L,
               iso="CancelResponse", effect=Effect(_s(CANCEL_PENDING), CANCELLED), style="danger"),
        Action("answer_cancel_no", _("Refuse to cancel (supplying)"), S, _s(CANCEL_REQUESTED), WILL_SUPPLY_S,
               STAFF_L, iso="CancelResponse", effect=Effect(_s(CANCEL_PENDING), WILL_SUPPLY)),
    ]
}  # fmt: skip

# ISO 18626 open code lists (reasonUnfilled, loanCondition) and the home library's
# reasons for refusing a request at validation.
REASONS_UNFILLED = {
    "NonCirculating": _("Does not circulate"),
    "NotAvailableForILL": _("Not available for interlibrary loan"),
    "NotHeld": _("Not held"),
    "NotOnShelf": _("Not on shelf"),
    "PolicyProblem": _("Policy problem"),
    "PoorCondition": _("Poor condition"),
}
LOAN_CONDITIONS = {
    "LibraryUseOnly": _("Library use only"),
    "WatchLibraryUseOnly": _("Use in the library under watch only"),
    "NoReproduction": _("No reproduction"),
    "SignatureRequired": _("Signature required"),
    "SpecCollSupervReq": _("Special collections supervision required"),
}
REASONS_RETRY = {
    "OnLoan": _("On loan"),
    "AtBindery": _("At the bindery"),
    "CostExceedsMaxCost": _("Cost exceeds the maximum cost"),
    "NotFoundAsCited": _("Not found as cited"),
    "ReqEditionNotPossible": _("Requested edition not possible"),
}
REFUSAL_REASONS = {
    "invalid_patron": _("Invalid patron"),
    "duplicate": _("Duplicate of an open request"),
    "held_locally": _("Held by your own library"),
    "over_limit": _("Over the patron's limit of open requests"),
    "other": _("Other"),
}

# Requester statuses in which the borrowing library holds (or is owed) a lender's item.
OPEN_LOAN_STATUSES = frozenset(
    {SHIPPED, RECEIVED, CHECKED_OUT, RENEW_PENDING, OVERDUE, RECALLED, RETURNED_BY_PATRON, LOST}
)
# Supplier statuses meaning the lender did supply (fill rate, load balance).
SUPPLIED_STATUSES = frozenset(
    {LOANED, OVERDUE_S, RECALLED_S, RENEW_REQUESTED, RETURN_SHIPPED, LOST_REPORTED, COPY_COMPLETED,
     LOAN_COMPLETED, COMPLETED_WITHOUT_RETURN}
)  # fmt: skip
TERMINAL = frozenset(st.code for st in STATUSES.values() if st.side == R and st.terminal)
OPEN_STATUSES = frozenset(st.code for st in STATUSES.values() if st.side == R and not st.terminal)
ATTENTION_R = frozenset(st.code for st in STATUSES.values() if st.side == R and st.needs_attention)
ATTENTION_S = frozenset(st.code for st in STATUSES.values() if st.side == S and st.needs_attention)


REMIND_BEFORE_DUE = frozenset(st.code for st in STATUSES.values() if st.side == R and st.remind_before_due)


def taken_from(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """The requester and the supplier statuses an action may be taken from (timers select
    their rows with these, so the table alone says when a timer applies)."""
    action = ACTIONS[code]
    mine = action.frm
    theirs = action.effect.frm if action.effect is not None else None
    if action.side == R:
        return mine, theirs if theirs is not None else frozenset(c for (sd, c) in STATUSES if sd == S)
    return theirs if theirs is not None else frozenset(c for (sd, c) in STATUSES if sd == R), mine


def status(side: Side, code: str) -> Status:
    return STATUSES[(side, code)]


def requester_choices() -> list[tuple[str, object]]:
    return [(st.code, st.label) for st in STATUSES.values() if st.side == R]


def supplier_choices() -> list[tuple[str, object]]:
    return [(st.code, st.label) for st in STATUSES.values() if st.side == S]


def service_kind(service_type: str) -> set[str]:
    """Which supply kinds are still possible: copy-or-loan allows both until supplied."""
    if service_type == "copy_or_loan":
        return {"loan", "copy"}
    return {service_type}


def available_actions(
    *, status_code: str, supplier_status: str, service_type: str, roles: set[Role] | frozenset[Role]
) -> list[Action]:
    """Actions that the table allows now for someone holding these roles."""
    kinds = service_kind(service_type)
    out = []
    for action in ACTIONS.values():
        current = status_code if action.side == R else supplier_status
        if current not in action.frm or not (action.roles & roles) or not (action.services & kinds):
            continue
        if action.effect is not None:
            other = supplier_status if action.side == R else status_code
            if other not in action.effect.frm:
                continue
        out.append(action)
    return out


def validate_machine() -> list[str]:
    """Problems in the table (empty when sound): unknown states, crossing sides,
    exits from terminal states, unreachable states."""
    problems: list[str] = []
    for action in ACTIONS.values():
        other = S if action.side == R else R
        for code in [*action.frm, action.to]:
            if (action.side, code) not in STATUSES:
                problems.append(f"{action.code}: {code!r} is not a {action.side} status")
        if action.effect is not None:
            for code in [*action.effect.frm, action.effect.to]:
                if (other, code) not in STATUSES:
                    problems.append(f"{action.code}: effect {code!r} is not a {other} status")
        for code in action.frm:
            st = STATUSES.get((action.side, code))
            if st is not None and st.terminal and action.side == R:
                problems.append(f"{action.code}: leaves terminal requester status {code}")
        if action.side == S and action.frm & {
            c for (sd, c), st in STATUSES.items() if sd == S and st.terminal
        }:
            problems.append(f"{action.code}: a supplier acts from a terminal status")
        if not action.roles:
            problems.append(f"{action.code}: nobody may take it")
    # Reachability over the product of both sides (effects included).
    seen = {(INITIAL[R], INITIAL[S])}
    queue = deque(seen)
    while queue:
        r, s = queue.popleft()
        for action in ACTIONS.values():
            mine, theirs = (r, s) if action.side == R else (s, r)
            if mine not in action.frm:
                continue
            if action.effect is not None:
                if theirs not in action.effect.frm:
                    continue
                theirs = action.effect.to
            nxt = (action.to, theirs) if action.side == R else (theirs, action.to)
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    reached = {(R, r) for r, _s2 in seen} | {(S, s) for _r, s in seen}
    for key in STATUSES:
        if key not in reached:
            problems.append(f"unreachable {key[0]} status {key[1]}")
    return problems
