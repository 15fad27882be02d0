"""Log in with username or email, and count failed log-ins against the account they name."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from members.selectors import user_for_login


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = user_for_login(identifier=username)
        if user is None:
            get_user_model()().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The name django-axes counts failed log-ins under (AXES_USERNAME_CALLABLE).

    Log-in accepts any upper/lower-case spelling of the username and the email address,
    so axes, which counts the string as typed, let every spelling have its own five
    tries, and a locked account log in under another. Failures count against the account
    a spelling names (its username as stored); a name of no account is counted case-folded,
    so guessing at it is limited the same way."""
    if credentials is not None:
        typed = credentials.get("username")
    else:
        typed = request.POST.get("username") if request is not None else None
    if not typed:
        return None
    typed = typed.strip()
    user = user_for_login(identifier=typed)
    return user.get_username() if user is not None else typed.casefold()
