"""Domain errors of the policies app; messages are constants that tests reuse."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from consortium.exceptions import Conflict, DomainError, PermissionDenied, error_codes

BODY_TOO_LARGE = _("The policy text is %(size)s KB; the limit is %(limit)s KB. Split it or shorten it.")
BODY_EMPTY = _("A published policy needs some text.")
STALE_DRAFT = _(
    "Someone else (%(editor)s) saved this draft while you were editing it. Your changes were "
    "not saved: reload the draft, then apply them again."
)
NOT_A_DRAFT = _("Version %(number)s is published and cannot be changed; edit the new draft instead.")
DRAFT_EXISTS = _("This policy already has a draft (version %(number)s); edit that one.")
NO_DRAFT = _("This policy has no draft to publish.")
POLICY_RETIRED = _("This policy is retired.")
EFFECTIVE_DATE_REQUIRED = _("Give the date from which this version is in force.")
EFFECTIVE_BEFORE_PREVIOUS = _(
    "Version %(number)s cannot take effect before the version it replaces (%(date)s)."
)
SLUG_TAKEN = _("Another policy already uses the address “%(slug)s”.")
ALREADY_ACKNOWLEDGED = _("Your library already acknowledged version %(number)s of this policy.")
NOT_IN_FORCE = _("Only the version in force can be acknowledged.")
NOT_YOUR_LIBRARY = _("You can only act for your own library.")
NOT_ALLOWED = _("Only a consortium admin may do this.")
ONLY_OWN_LIBRARY_ADMIN = _("Only a library admin can acknowledge or sign, and only for their own library.")
VERSION_NOT_PUBLISHED = _(
    "An agreement can only incorporate published policy versions (%(version)s is a draft)."
)

AGREEMENT_NOT_EDITABLE = _("Only a draft agreement can be changed (this one is %(status)s).")
PARTY_NOT_MEMBER = _("%(library)s is not an active member of the consortium.")
BILATERAL_NEEDS_TWO = _("A bilateral agreement has exactly two parties (this one has %(count)s).")
MULTILATERAL_NEEDS_THREE = _("A multilateral agreement has at least three parties (this one has %(count)s).")
CONSORTIUM_WIDE_NO_PARTIES = _("A consortium-wide agreement applies to every member; do not list parties.")
OVERLAPPING_BILATERAL = _(
    "%(pair)s already have the bilateral agreement “%(other)s” for %(services)s from %(start)s to %(end)s; "
    "the validity periods overlap."
)
LOAN_PERIOD_RANGE = _("The loan period must be between %(min)s and %(max)s days (got %(value)s).")
LOAN_PERIOD_ABOVE_CONSORTIUM_MAX = _(
    "The loan period of %(value)s days exceeds the consortium maximum of %(max)s days."
)
RESPONSE_DEADLINE_ABOVE_CONSORTIUM = _(
    "Members promised every member an answer within %(max)s working days (“%(agreement)s”); "
    "this agreement cannot allow %(value)s."
)
FORMAT_PROTECTED_CONSORTIUM_WIDE = _(
    "The consortium-wide agreement “%(agreement)s” protects %(formats)s; this agreement must exclude them too."
)
CONSORTIUM_WIDE_CONTRADICTED = _(
    "The signed agreement “%(agreement)s” allows what this consortium-wide agreement forbids (%(what)s); "
    "renegotiate or end it first."
)
VALIDITY_ORDER = _("The agreement must end on or after its start date.")
INVALID_TRANSITION = _("An agreement cannot go from %(from)s to %(to)s.")
NOT_A_PARTY = _("%(library)s is not a party to this agreement.")
ALREADY_ACCEPTED = _("%(library)s already accepted this agreement.")
REASON_REQUIRED = _("Give a reason; the parties will see it.")
HOLIDAY_EXISTS = _("There is already a correction for %(date)s.")


@error_codes("policies")
class ErrorCode(StrEnum):
    """What refused a policies or agreements operation; the API's ``code`` (named as the message constants)."""

    BODY_TOO_LARGE = "body_too_large"
    BODY_EMPTY = "body_empty"
    STALE_DRAFT = "stale_draft"
    NOT_A_DRAFT = "not_a_draft"
    DRAFT_EXISTS = "draft_exists"
    NO_DRAFT = "no_draft"
    POLICY_RETIRED = "policy_retired"
    EFFECTIVE_DATE_REQUIRED = "effective_date_required"
    EFFECTIVE_BEFORE_PREVIOUS = "effective_before_previous"
    SLUG_TAKEN = "slug_taken"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    NOT_IN_FORCE = "not_in_force"
    NOT_YOUR_LIBRARY = "not_your_library"
    NOT_ALLOWED = "consortium_admin_only"
    ONLY_OWN_LIBRARY_ADMIN = "only_own_library_admin"
    VERSION_NOT_PUBLISHED = "version_not_published"
    AGREEMENT_NOT_EDITABLE = "agreement_not_editable"
    PARTY_NOT_MEMBER = "party_not_member"
    BILATERAL_NEEDS_TWO = "bilateral_needs_two"
    MULTILATERAL_NEEDS_THREE = "multilateral_needs_three"
    CONSORTIUM_WIDE_NO_PARTIES = "consortium_wide_no_parties"
    OVERLAPPING_BILATERAL = "overlapping_bilateral"
    LOAN_PERIOD_RANGE = "loan_period_range"
    LOAN_PERIOD_ABOVE_CONSORTIUM_MAX = "loan_period_above_consortium_max"
    RESPONSE_DEADLINE_ABOVE_CONSORTIUM = "response_deadline_above_consortium"
    FORMAT_PROTECTED_CONSORTIUM_WIDE = "format_protected_consortium_wide"
    CONSORTIUM_WIDE_CONTRADICTED = "consortium_wide_contradicted"
    VALIDITY_ORDER = "validity_order"
    INVALID_TRANSITION = "invalid_transition"
    NOT_A_PARTY = "not_a_party"
    ALREADY_ACCEPTED = "already_accepted"
    REASON_REQUIRED = "reason_required"
    HOLIDAY_EXISTS = "holiday_exists"
    # A value the Agreement model's own checks refused (its message names the field).
    AGREEMENT_FIELD_INVALID = "agreement_field_invalid"


class PoliciesError(DomainError):
    pass


class PoliciesConflict(Conflict):
    pass


class PoliciesPermissionDenied(PermissionDenied):
    pass


class StaleDraft(PoliciesConflict):
    code = ErrorCode.STALE_DRAFT


class InvalidTransition(PoliciesConflict):
    code = ErrorCode.INVALID_TRANSITION
