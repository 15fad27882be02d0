"""Template context every page needs."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

# The default name (settings.CONSORTIUM_NAME) is in the Urdu catalogue; a name an operator
# sets has no translation and shows as set.
DEFAULT_CONSORTIUM_NAME = gettext_noop("Ishtiraak Library Consortium of Pakistan")


def consortium_name() -> str:
    """The consortium's name in the active language (pages, and emails in the recipient's)."""
    # gettext("") is the catalogue's header, not an empty name
    return gettext(settings.CONSORTIUM_NAME) if settings.CONSORTIUM_NAME else ""


consortium_name_lazy = lazy(consortium_name, str)


def portal(request: HttpRequest) -> dict[str, object]:
    """Consortium name and the current user's role flags for the navigation."""
    from members.permissions import role_flags

    return {"CONSORTIUM_NAME": consortium_name_lazy(), "role": role_flags(request.user)}
