"""The one table between ISO 18626 names and the portal's state machine (ill/states.py).

Inbound, a lender's supplyingAgencyMessage (reasonForMessage + statusInfo/status, and
answerYesNo for the answers to renew and cancel) and a borrower's requestingAgencyMessage
action each name *chains* of portal actions: the handler takes the first chain whose first
action the state machine offers that library now, all in one transaction. A chain of two
covers what ISO 18626 says in one step and the portal in two (a lender may answer Loaned
without a WillSupply first; a borrower's system ships back without telling the portal
that its patron returned the item). Outbound, each portal action that the other library
must hear of names the message it sends. ``tests/ill/test_iso18626_codes.py`` checks every
ISO name here against the XSD's enumerations or the open code lists, and every portal
action against ill/states.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ill import states

# --- inbound supplyingAgencyMessage ---------------------------------------------------

# Reasons that report a status (the lender's answer, a change, or a reply to StatusRequest).
STATUS_REASONS = frozenset({"RequestResponse", "StatusChange", "StatusRequestResponse"})


@dataclass(frozen=True)
class SupplierRule:
    reasons: frozenset[str]
    status: str  # ISO 18626 statusInfo/status
    chains: tuple[tuple[str, ...], ...]  # portal actions, first possible chain taken
    answer: str = ""  # answerYesNo this rule needs ("Y"/"N"), "" = not used
    conditional: bool = False  # deliveryInfo/loanCondition present (ISO: a conditional WillSupply)


SUPPLIER_RULES: tuple[SupplierRule, ...] = (
    SupplierRule(STATUS_REASONS, "RequestReceived", ()),  # an acknowledgement: nothing changes
    SupplierRule(STATUS_REASONS, "ExpectToSupply", (("expect_to_supply",),)),
    SupplierRule(STATUS_REASONS, "WillSupply", (("will_supply",),)),
    SupplierRule(STATUS_REASONS, "WillSupply", (("will_supply_with_conditions",),), conditional=True),
    SupplierRule(STATUS_REASONS, "Loaned", (("ship",), ("will_supply", "ship"))),
    SupplierRule(STATUS_REASONS, "Unfilled", (("unfilled",),)),
    SupplierRule(STATUS_REASONS, "RetryPossible", (("retry_possible",),)),
    SupplierRule(STATUS_REASONS, "CopyCompleted", (("deliver_copy",),)),
    SupplierRule(STATUS_REASONS, "Overdue", (("mark_overdue",),)),
    SupplierRule(STATUS_REASONS, "Recalled", (("recall",),)),
    SupplierRule(STATUS_REASONS, "LoanCompleted", (("check_in",),)),
    SupplierRule(STATUS_REASONS, "CompletedWithoutReturn", (("complete_without_return",),)),
    # The lender agrees to a cancel the borrower asked for (ISO: a CancelResponse Y, or a
    # status change to Cancelled while the cancel is pending).
    SupplierRule(STATUS_REASONS, "Cancelled", (("answer_cancel_yes",),)),
    SupplierRule(frozenset({"CancelResponse"}), "Cancelled", (("answer_cancel_yes",),), answer="Y"),
    *(
        SupplierRule(frozenset({"CancelResponse"}), status, (("answer_cancel_no",),), answer="N")
        for status in ("RequestReceived", "ExpectToSupply", "WillSupply")
    ),
    *(
        SupplierRule(frozenset({"RenewResponse"}), status, (("approve_renewal",),), answer="Y")
        for status in ("Loaned", "Overdue")
    ),
    *(
        SupplierRule(frozenset({"RenewResponse"}), status, (("refuse_renewal",),), answer="N")
        for status in ("Loaned", "Overdue", "Recalled")
    ),
)
# A reason that answers a question needs answerYesNo.
ANSWER_REASONS = frozenset({"RenewResponse", "CancelResponse"})
# messageInfo/reasonForMessage Notification: the note is stored as a message, nothing changes.
NOTIFICATION = "Notification"


def supplier_rule(*, reason: str, status: str, answer: str, conditional: bool) -> SupplierRule | None:
    """The rule for this reason, status and answer (None: the portal cannot act on it)."""
    for rule in SUPPLIER_RULES:
        if reason not in rule.reasons or rule.status != status:
            continue
        if rule.answer and rule.answer != answer:
            continue
        if rule.status == "WillSupply" and not rule.answer and rule.conditional != conditional:
            continue
        return rule
    return None


def supported_supplier_statuses() -> list[str]:
    return sorted({rule.status for rule in SUPPLIER_RULES})


# --- inbound requestingAgencyMessage ----------------------------------------------------

REQUESTER_RULES: dict[str, tuple[tuple[str, ...], ...]] = {
    "Received": (("receive",), ("complete_copy",)),
    "ShippedReturn": (("ship_return",), ("return_by_patron", "ship_return")),
    "Renew": (("renew",), ("check_out", "renew")),
    "Cancel": (("cancel",), ("request_cancel",)),
    # (its note names the request the copy went on to: ILL-42)
    "ShippedForward": (("ship_forward",), ("return_by_patron", "ship_forward")),
}
STATUS_REQUEST = "StatusRequest"  # answered by a supplyingAgencyMessage StatusRequestResponse
REQUESTER_SUPPORTED = (*REQUESTER_RULES, STATUS_REQUEST, NOTIFICATION)

# --- open code lists ------------------------------------------------------------------

# serviceLevel (an open list): what each means in the portal's two levels.
SERVICE_LEVELS = {
    "Normal": "normal",
    "Standard": "normal",
    "Rush": "rush",
    "Express": "rush",
    "Urgent": "rush",
}
# serviceInfo/requestType: a new request, or one sent before asked again or recalled to mind.
NEW, RETRY, REMINDER = "New", "Retry", "Reminder"
SERVICE_TYPES = {"Loan": "loan", "Copy": "copy", "CopyOrLoan": "copy_or_loan"}
SERVICE_TYPE_ISO = {portal: iso for iso, portal in SERVICE_TYPES.items()}
# Agencies are identified by ISIL (ISO 15511), the scheme of the portal's library codes.
AGENCY_ID_TYPE = "ISIL"
# bibliographicItemIdentifierCode values the portal can look up in the union catalogue.
ITEM_ID_CODES = {"ISBN": "isbn", "ISSN": "issn", "OCLC": "oclc", "LCCN": "lccn"}
OPEN_CODE_LISTS = {
    "reasonUnfilled": states.REASONS_UNFILLED,
    "reasonRetry": states.REASONS_RETRY,
    "loanCondition": states.LOAN_CONDITIONS,
    "serviceLevel": SERVICE_LEVELS,
}

# --- outbound -------------------------------------------------------------------------

# Portal action -> (reasonForMessage, status, answerYesNo) of the supplyingAgencyMessage
# that tells the borrowing library's system. A lender's Unfilled, RetryPossible or
# time-out is not passed on: the portal asks the next lender, and only the end of the
# rota is the borrower's Unfilled.
TO_BORROWER: dict[str, tuple[str, str, str]] = {
    "expect_to_supply": ("RequestResponse", "ExpectToSupply", ""),
    "will_supply": ("RequestResponse", "WillSupply", ""),
    "will_supply_with_conditions": ("RequestResponse", "WillSupply", ""),
    "ship": ("StatusChange", "Loaned", ""),
    "deliver_copy": ("StatusChange", "CopyCompleted", ""),
    "mark_overdue": ("StatusChange", "Overdue", ""),
    "recall": ("StatusChange", "Recalled", ""),
    "approve_renewal": ("RenewResponse", "Loaned", "Y"),
    "refuse_renewal": ("RenewResponse", "Loaned", "N"),
    "check_in": ("StatusChange", "LoanCompleted", ""),
    "complete_without_return": ("StatusChange", "CompletedWithoutReturn", ""),
    "answer_cancel_yes": ("CancelResponse", "Cancelled", "Y"),
    "answer_cancel_no": ("CancelResponse", "WillSupply", "N"),
    "end_of_rota": ("RequestResponse", "Unfilled", ""),
}
# Portal action -> the requestingAgencyMessage action that tells the lender's system
# ("send_to_supplier" sends the request itself).
SEND_REQUEST = "send_to_supplier"
REMINDER_EVENT = "reminder"  # (ill.events.EventKind.REMINDER): the lender asked hears a Reminder
# ISO 18626 has no action for agreeing to a lender's loan conditions; ReShare (and the
# systems that talk to it) send a Notification whose note starts with this marker. The
# portal writes it when a borrower accepts, and reads it from a borrower's system.
CONDITIONS_AGREED = "#ReShareLoanConditionAgreeResponse#"
TO_LENDER: dict[str, str] = {
    "receive": "Received",
    "ship_return": "ShippedReturn",
    "renew": "Renew",
    "request_cancel": "Cancel",
    "reject_conditions": "Cancel",
    "accept_conditions": "Notification",
    "report_lost": "Notification",
    "ship_forward": "ShippedForward",
}

# The borrower's view of a request as an ISO 18626 status (StatusRequest answers): what
# the portal as a whole, all lenders together, is doing about it.
REQUESTER_STATUS_ISO: dict[str, str] = {
    states.SUBMITTED: "RequestReceived",
    states.VALIDATED: "RequestReceived",
    states.SOURCING: "RequestReceived",
    states.SENT_TO_SUPPLIER: "RequestReceived",
    states.EXPECT_TO_SUPPLY: "ExpectToSupply",
    states.CONDITIONAL_ANSWER: "WillSupply",
    states.WILL_SUPPLY: "WillSupply",
    states.CANCEL_PENDING: "WillSupply",
    states.SHIPPED: "Loaned",
    states.RECEIVED: "Loaned",
    states.CHECKED_OUT: "Loaned",
    states.RENEW_PENDING: "Loaned",
    states.RETURNED_BY_PATRON: "Loaned",
    states.SHIPPED_RETURN: "Loaned",
    states.LOST: "Loaned",
    states.OVERDUE: "Overdue",
    states.RECALLED: "Recalled",
    states.COPY_DELIVERED: "CopyCompleted",
    states.END_OF_ROTA: "Unfilled",
    states.REFUSED: "Unfilled",
    states.CANCELLED: "Cancelled",
    states.COMPLETED: "LoanCompleted",  # a copy request completes as CopyCompleted
}


def iso_status_for_borrower(*, status: str, supplier_status: str) -> str:
    if status == states.COMPLETED and supplier_status == states.COPY_COMPLETED:
        return "CopyCompleted"
    return REQUESTER_STATUS_ISO[status]
