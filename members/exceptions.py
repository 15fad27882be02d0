"""Domain errors of the members app; messages are constants that tests reuse."""

from django.utils.translation import gettext_lazy as _

from consortium.exceptions import Conflict, DomainError, PermissionDenied

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
ISO18626_URL_INVALID = _(
    "The ISO 18626 endpoint must be an https:// (or http://) address of your ILL system."
)
PAUSE_UNTIL_IN_PAST = _("The pause must end today or later.")
CARD_TAKEN = _("This card number is already registered at this library.")
NOT_YOUR_LIBRARY = _("You can only act for your own library.")
LIBRARY_INACTIVE = _("This library is not an active member.")
LAST_ADMIN = _("A library must keep at least one library admin.")


class MembersError(DomainError):
    pass


class MembersConflict(Conflict):
    pass


class MembersPermissionDenied(PermissionDenied):
    pass
