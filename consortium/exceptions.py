"""One root for domain errors, and their translation to HTTP in one place."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

# Each app's ErrorCode enum (the ``code`` of its API error bodies), for the API schema.
ERROR_CODES: dict[str, type[StrEnum]] = {}


def error_codes(app: str) -> Callable[[type[StrEnum]], type[StrEnum]]:
    """Declare an app's error codes (a class decorator on its ``ErrorCode``)."""

    def register(enum: type[StrEnum]) -> type[StrEnum]:
        ERROR_CODES[app] = enum
        return enum

    return register


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


BODY_TOO_LARGE = _("The request body is larger than %(limit)s, the most the portal accepts.")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors as {code, detail, ...details}.

    The bodies are the ones consortium/schema.py documents (Error, FieldErrors).
    """
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.message, **exc.details}
        return Response(body, status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE with this; left to
        # Django it became an HTML 400 page, which no API client reads.
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Response(
            {"detail": BODY_TOO_LARGE % {"limit": limit}}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    return exception_handler(exc, context)
