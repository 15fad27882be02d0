"""Domain errors of interlibrary loan: messages are constants that tests reuse, and each
refusal says what it is as an ``ErrorCode`` (the ``code`` of an API error body)."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from consortium.exceptions import Conflict, DomainError, NotFound, PermissionDenied, error_codes

REQUEST_NOT_FOUND = _("No such ILL request.")
UNKNOWN_ACTION = _("“{action}” is not an ILL action.")
NOT_AVAILABLE = _(
    "“{action}” is not possible now: the request is “{status}” (lender: “{supplier_status}”). "
    "Available: {available}."
)
NOT_YOUR_TURN = _("Only {roles} may “{action}” on this request; you are not one of them.")
NOT_ASKED = _("Your library was not asked to supply this request.")
CHANGED_MEANWHILE = _("Someone else changed this request at the same moment; reload it and try again.")
NEEDS_VALUE = _("“{action}” needs {field}.")
UNKNOWN_REASON = _("“{value}” is not a known {field}; use one of: {choices}.")
PAST_NEEDED_BY = _("The needed-by date {date} is in the past; give today or a later date.")
NO_LENDER = _("No other member library holds a lendable copy of this record, so it cannot be requested.")
PATRON_OTHER_LIBRARY = _("This patron belongs to another library; you can request only for your own patrons.")
PATRON_NOT_APPROVED = _("Your account is not approved yet, so you cannot request items.")
ONLY_PATRONS_AND_STAFF = _("Only approved patrons and library staff can request items.")
NOT_A_PATRON = _("The chosen person is not a patron.")
RECORD_OR_TITLE = _("Give a catalogue record or at least a title for the citation.")
ONLY_STAFF_CITATION = _("Only library staff can request an item that is not in the catalogue.")
COPY_NEEDS_ARTICLE = _("A copy request needs the article or chapter title.")
NOT_DUE_YET = _("The loan is due on {due}; it can be marked overdue only after that day.")
NO_RENEWALS_LEFT = _("The agreement allows {allowed} renewal(s) and {used} were used.")
NOT_PDF = _("“{name}” is not a PDF file (it does not start with %PDF-).")
TOO_LARGE = _("“{name}” is {size} MB; the limit is {limit} MB.")
EMPTY_FILE = _("“{name}” is empty.")
LINK_EXPIRED = _("This link to the copy has expired or is not valid.")
CHECK_FAILED = _("Validation found a problem: {problem}. Refuse the request, or validate with “override”.")
REORDER_MISMATCH = _("The new order must list exactly the lenders not yet asked in this round.")
MESSAGE_EMPTY = _("Write a message first.")
NOT_PARTY = _("Only the borrowing library and the lender asked can see or write messages on this request.")
LENDER_NOT_MEMBER = _("This library cannot be added: it is not lending or no agreement allows it.")

# A patron's rating of a request that ended (ill.ratings).
ONLY_PATRON_RATES = _("Only the patron who asked for this request can rate it.")
RATING_NOT_OPEN = _("This request can be rated once it has ended.")
RATING_SCORE = _("Choose a rating from 1 (very poor) to 5 (very good).")
RATING_COMMENT_TOO_LONG = _("The comment is {length} characters long; keep it to {limit}.")
RATING_LOCKED = _(
    "Your rating became final on {date}: an answer can be changed for 7 days after it is given."
)

# ISO 18626 (errorValue of an ERROR confirmation): what failed, and where in the message.
ISO_EMPTY = _("The message is empty; send one ISO 18626 message as XML.")
ISO_TOO_LARGE = _("The message is {size} bytes; the limit is {limit} bytes.")
ISO_NOT_WELL_FORMED = _("Line {line}, column {column}: not well-formed XML ({detail}).")
ISO_DTD_FORBIDDEN = _("DOCTYPE {name}: ISO 18626 messages may not carry a DTD or entity declarations.")
ISO_ENTITY_FORBIDDEN = _("Entity {name}: ISO 18626 messages may not declare entities.")
ISO_EXTERNAL_FORBIDDEN = _("External reference {name}: ISO 18626 messages may not load external resources.")
ISO_WRONG_NAMESPACE = _(
    "Root element {element} is in namespace {namespace}; ISO 18626 messages are in namespace {ns}."
)
ISO_SCHEMA = _("{path}: {detail}")
ISO_MISSING = _("required element {expected} is missing.")
ISO_MISSING_BEFORE = _("required element {expected} is missing (found {found} in its place).")
ISO_NOT_INBOUND = _(
    "{path}: the portal accepts request, supplyingAgencyMessage and requestingAgencyMessage here."
)
ISO_NO_TOKEN = _("Authorization: send your library's API token as 'Authorization: Token <key>'.")
ISO_NOT_A_SYSTEM = _("Authorization: only a member library's API token may exchange ISO 18626 messages.")
ISO_AGENCY_TYPE = _("{path}/agencyIdType: “{value}” is not supported; agencies are identified by ISIL.")
ISO_UNKNOWN_AGENCY = _("{path}/agencyIdValue: “{value}” is not a member library of the consortium.")
ISO_NOT_YOUR_AGENCY = _(
    "{path}/agencyIdValue: “{value}” is not the library of this API token ({own}); "
    "a library sends messages only as itself."
)
ISO_UNKNOWN_REQUEST = _(
    "header/requestingAgencyRequestId: “{value}” names no interlibrary loan request of {borrower}."
)
ISO_DUPLICATE_REQUEST = _(
    "header/requestingAgencyRequestId: “{value}” already names request {reference} of {borrower}; "
    "send a new id for a new request."
)
FORWARD_TARGET = _(
    "“{value}” is not a request the copy can go on to: name the portal reference (ILL-42) of another "
    "library's request of the same record that the same lender has agreed to supply."
)
NO_RETRY_OFFERED = _(
    "No lender offered a retry of request {reference} (none answered “retry possible”); send a new "
    "request instead."
)
RETRY_NOT_NOW = _(
    "Request {reference} cannot be retried now: it is “{status}”. A retry is possible while no lender "
    "has agreed to supply it."
)
RETRY_LENDER_ASKED = _("{lender}, which offered the retry, is the lender asked now: wait for its answer.")
ISO_TOO_LONG = _("{path}: “{value}…” is longer than {limit} characters.")
ISO_NEEDS_TITLE = _(
    "bibliographicInfo: no record of the union catalogue matches its identifiers, and it has no title "
    "to make a citation from."
)
ISO_BAD_DATE = _("{path}: “{value}” is not a date and time.")
ISO_NOT_SUPPLIER = _(
    "header/supplyingAgencyId/agencyIdValue: {value} is not the lender currently asked to supply "
    "request {id}."
)
ISO_OUT_OF_TURN = _("{path}: “{value}” is not possible now: {detail}")
ISO_UNSUPPORTED_STATUS = _(
    "statusInfo/status: “{status}” with messageInfo/reasonForMessage “{reason}” is not something the "
    "portal can act on; supported: {supported}."
)
ISO_NEEDS_ANSWER = _("messageInfo/answerYesNo: required (Y or N) with reasonForMessage {reason}.")
ISO_UNKNOWN_CODE = _("{path}: “{value}” is not a known {field}; use one of: {choices}.")
ISO_UNSUPPORTED_ACTION = _("action: “{value}” is not supported by the portal; supported: {supported}.")
ISO_NO_ENDPOINT = _(
    "action: StatusRequest is answered by a supplyingAgencyMessage sent to your ISO 18626 endpoint, "
    "and {library} has none recorded."
)
ISO_REFUSED = _("{path}: {detail}")
ISO_CONFLICT = _("Another message changed the same request at the same moment; send this one again.")
ISO_ENDPOINT_REFUSED = _("The ISO 18626 endpoint is refused: {detail}")
ISO_PEER_REDIRECT = _(
    "The peer answered HTTP {status} redirecting to “{location}”; redirects are not followed: "
    "the library must record its ILL system's final address as its ISO 18626 endpoint."
)
ISO_CREDENTIAL_UNREADABLE = _(
    "The credential stored for {library}'s ILL system cannot be read (SECRET_KEY changed without the "
    "old one in SECRET_KEY_FALLBACKS): its library admin must enter it again on My library."
)
ISO_PEER_HTTP = _("The peer answered HTTP {status} without a Confirmation.")
ISO_PEER_ANSWER = _("The peer's answer is not an ISO 18626 Confirmation: {detail}")


@error_codes("ill")
class ErrorCode(StrEnum):
    """What an ILL refusal is, for API clients (an error body's ``code``); every raise of
    an ILL error passes one. The message says the same for people."""

    # the request and who may act on it
    REQUEST_NOT_FOUND = "request_not_found"
    UNKNOWN_ACTION = "unknown_action"
    INVALID_TRANSITION = "invalid_transition"  # the action is not possible in this state
    NOT_YOUR_TURN = "not_your_turn"  # possible now, but for someone else
    NOT_ASKED = "not_asked"
    CHANGED_MEANWHILE = "changed_meanwhile"
    # asking for an item
    PATRON_NOT_APPROVED = "patron_not_approved"
    ONLY_PATRONS_AND_STAFF = "only_patrons_and_staff"
    ONLY_STAFF_CITATION = "only_staff_citation"
    NOT_A_PATRON = "not_a_patron"
    PATRON_OTHER_LIBRARY = "patron_other_library"
    RECORD_OR_TITLE = "record_or_title"
    NO_LENDER = "no_lender"
    PAST_NEEDED_BY = "past_needed_by"
    COPY_NEEDS_ARTICLE = "copy_needs_article"
    # an action's input
    UNKNOWN_CHOICE = "unknown_choice"  # not one of a field's choices (reasons, conditions, types)
    NEEDS_VALUE = "needs_value"
    LENDER_NOT_MEMBER = "lender_not_member"
    NO_RENEWALS_LEFT = "no_renewals_left"
    NO_RETRY_OFFERED = "no_retry_offered"
    FORWARD_TARGET = "forward_target"
    RETRY_NOT_NOW = "retry_not_now"
    NOT_DUE_YET = "not_due_yet"
    NOT_PDF = "not_pdf"
    TOO_LARGE = "too_large"
    EMPTY_FILE = "empty_file"
    # validation found a problem (ill.states.REFUSAL_REASONS); the code is the problem
    INVALID_PATRON = "invalid_patron"
    DUPLICATE = "duplicate"
    HELD_LOCALLY = "held_locally"
    OVER_LIMIT = "over_limit"
    # rota, messages, copies
    REORDER_MISMATCH = "reorder_mismatch"
    MESSAGE_EMPTY = "message_empty"
    NOT_PARTY = "not_party"
    LINK_EXPIRED = "link_expired"
    # a patron's rating
    ONLY_PATRON_RATES = "only_patron_rates"
    RATING_NOT_OPEN = "rating_not_open"
    RATING_SCORE = "rating_score"
    RATING_COMMENT_TOO_LONG = "rating_comment_too_long"
    RATING_LOCKED = "rating_locked"
    # ISO 18626: a refused message (its errorType says more), a peer's answer
    ISO18626_ERROR = "iso18626_error"
    ISO_ENDPOINT_REFUSED = "iso_endpoint_refused"
    ISO_PEER_REDIRECT = "iso_peer_redirect"
    ISO_PEER_HTTP = "iso_peer_http"
    ISO_CREDENTIAL_UNREADABLE = "iso_credential_unreadable"
    ISO_PEER_ANSWER = "iso_peer_answer"


class IllError(DomainError):
    pass


class IllNotFound(NotFound):
    code = ErrorCode.REQUEST_NOT_FOUND


class InvalidTransition(Conflict):
    """The action is not available in the request's current state."""

    code = ErrorCode.INVALID_TRANSITION


class IllPermissionDenied(PermissionDenied):
    pass


class Iso18626Error(IllError):
    """An ISO 18626 message is refused: answered by an ERROR confirmation, nothing written.

    ``error_type`` is one of the standard's errorType values; ``http_status`` stays 200
    for message-level errors (what ISO 18626 peers expect) and is 401/403/413 only for
    authentication and size.
    """

    code = ErrorCode.ISO18626_ERROR
    # Every refusal of a message has this one code: the standard's errorType (error_type)
    # says which it is, as ISO 18626 peers read it; tests/consortium/test_error_codes.py
    # accepts its raises without a code= of their own.
    code_is_the_class = True

    def __init__(self, error_type: str, error_value: object, *, http_status: int = 200) -> None:
        super().__init__(str(error_value), error_type=error_type)
        self.error_type = error_type
        self.error_value = str(error_value)
        self.http_status = http_status
