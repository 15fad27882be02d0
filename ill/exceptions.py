"""Domain errors of interlibrary loan; messages are constants that tests reuse."""

from django.utils.translation import gettext_lazy as _

from consortium.exceptions import Conflict, DomainError, NotFound, PermissionDenied

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


class IllError(DomainError):
    pass


class IllNotFound(NotFound):
    pass


class InvalidTransition(Conflict):
    """The action is not available in the request's current state."""

    code = "invalid_transition"


class IllPermissionDenied(PermissionDenied):
    pass
