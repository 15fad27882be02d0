"""One root for domain errors, and their translation to HTTP in one place."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused an operation; the message says what and where."""

    http_status = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class PermissionDenied(DomainError):
    """The actor may not do this."""

    http_status = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class Conflict(DomainError):
    """The object is not in a state that allows this (or someone else changed it first)."""

    http_status = status.HTTP_409_CONFLICT
    code = "conflict"


class NotFound(DomainError):
    """The object does not exist (or the actor may not know that it does)."""

    http_status = status.HTTP_404_NOT_FOUND
    code = "not_found"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as {code, detail, ...details}."""
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.message, **exc.details}
        return Response(body, status=exc.http_status)
    return exception_handler(exc, context)
