"""The desk (where staff land after logging in) and the login that takes them there."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url

from desk import selectors
from members.forms import LoginForm
from members.permissions import PUBLIC, access, can


def landing_url(user) -> str:
    """Where a person lands after logging in without a ?next=: staff at the desk, others home."""
    if can(user, "staff"):
        return resolve_url("desk")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's login; a safe ?next= still wins, else each person lands where their work is."""

    access_rule = PUBLIC
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)


@access("staff")
def desk(request: HttpRequest) -> HttpResponse:
    """One card per queue that waits for this person, each linking to the queue filtered."""
    return render(request, "desk/desk.html", {"sections": selectors.desk_for(user=request.user)})
