"""Template context every page needs."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    """Consortium name and the current user's role flags for the navigation."""
    from members.permissions import role_flags

    return {"CONSORTIUM_NAME": settings.CONSORTIUM_NAME, "role": role_flags(request.user)}
