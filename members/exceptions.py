"""Domain errors of the members app; messages are constants that tests reuse."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from consortium.exceptions import Conflict, DomainError, PermissionDenied, error_codes

# Account names: the User model's own messages (members.models cannot import this module,
# which loads DRF), here with the app's other messages.
from members.models import (  # noqa: F401
    EMAIL_IS_A_USERNAME,
    EMAIL_TAKEN,
    USERNAME_IS_AN_EMAIL,
    USERNAME_TAKEN,
)

LIBRARY_HAS_NO_SUCH_PATRON = _("This person is not a patron of your library.")
PATRON_ALREADY_DECIDED = _("This registration was already decided.")
INVITATION_INVALID = _("This invitation link is invalid, expired or already used.")
TOKEN_ALREADY_REVOKED = _("This API token was already revoked.")
PAUSE_NEEDS_REASON = _("Give a reason for pausing lending.")
STAFF_INVITE_ROLE = _("Staff can be invited only as librarian or library admin.")
STAFF_ROLE_UNKNOWN = _("Staff roles are librarian and library admin.")
LANGUAGE_UNKNOWN = _("Unknown language %(language)s: choose English (en) or Urdu (ur).")
ISO18626_HEADER_INVALID = _(
    "“{name}” cannot be the credential's header: use a header name such as Authorization or X-Api-Key "
    "(letters, digits and - only; not {reserved})."
)
ISO18626_VALUE_INVALID = _(
    "The credential must be one line of printable ASCII characters, at most {limit} long."
)
ISO18626_URL_INVALID = _(
    "The ISO 18626 endpoint must be an https:// (or http://) address of your ILL system."
)
PAUSE_UNTIL_IN_PAST = _("The pause must end today or later.")
CARD_TAKEN = _("This card number is already registered at this library.")
NOT_YOUR_LIBRARY = _("You can only act for your own library.")
LIBRARY_INACTIVE = _("This library is not an active member.")
LAST_ADMIN = _("A library must keep at least one library admin.")


@error_codes("members")
class ErrorCode(StrEnum):
    """What refused a members operation; the API's ``code`` (named as the message constants)."""

    USERNAME_TAKEN = "username_taken"
    EMAIL_TAKEN = "email_taken"
    EMAIL_IS_A_USERNAME = "email_is_a_username"
    USERNAME_IS_AN_EMAIL = "username_is_an_email"
    LIBRARY_HAS_NO_SUCH_PATRON = "not_a_patron_of_your_library"
    PATRON_ALREADY_DECIDED = "patron_already_decided"
    INVITATION_INVALID = "invitation_invalid"
    TOKEN_ALREADY_REVOKED = "token_already_revoked"  # noqa: S105 - an error code, not a secret
    PAUSE_NEEDS_REASON = "pause_needs_reason"
    STAFF_INVITE_ROLE = "staff_invite_role"
    STAFF_ROLE_UNKNOWN = "staff_role_unknown"
    LANGUAGE_UNKNOWN = "language_unknown"
    ISO18626_URL_INVALID = "iso18626_url_invalid"
    ISO18626_CREDENTIAL_INVALID = "iso18626_credential_invalid"
    PAUSE_UNTIL_IN_PAST = "pause_until_in_past"
    CARD_TAKEN = "card_taken"
    NOT_YOUR_LIBRARY = "not_your_library"
    LIBRARY_INACTIVE = "library_inactive"
    LAST_ADMIN = "last_admin"


class MembersError(DomainError):
    pass


class MembersConflict(Conflict):
    pass


class MembersPermissionDenied(PermissionDenied):
    pass
