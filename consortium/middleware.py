"""HTML views: a domain error becomes a message on the page the user came from."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from consortium.exceptions import DomainError


class DomainErrorMiddleware:
    """Turn a DomainError raised by a view into a clear message, never a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError) or request.path.startswith("/api/"):
            return None
        back = request.headers.get("Referer", "")
        if request.method == "POST" and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}
        ):
            messages.error(request, exc.message)
            return HttpResponseRedirect(back)
        return render(request, "error.html", {"message": exc.message}, status=exc.http_status)
