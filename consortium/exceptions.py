"""One root for domain errors, and their translation to HTTP in one place.

Errors are data: each app's exceptions.py has ``class ErrorCode(StrEnum)`` beside its
message constants, and every raise passes ``code=ErrorCode.X``, so an API client tells
one refusal from another by ``code`` and shows ``detail`` (translated). Every API error
body carries both (docs/architecture.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

# Each app's ErrorCode enum (the ``code`` of its API error bodies), for the API schema.
ERROR_CODES: dict[str, type[StrEnum]] = {}


def error_codes(app: str) -> Callable[[type[StrEnum]], type[StrEnum]]:
    """Declare an app's error codes (a class decorator on its ``ErrorCode``)."""

    def register(enum: type[StrEnum]) -> type[StrEnum]:
        ERROR_CODES[app] = enum
        return enum

    return register


@error_codes("consortium")
class ErrorCode(StrEnum):
    """Codes of errors of no app in particular: HTTP-level refusals and the defaults."""

    # A business rule refused (an app's own code says which; this is the fallback).
    INVALID = "invalid"
    # Input that failed its checks: the body's ``fields`` says which and why.
    INVALID_INPUT = "invalid_input"
    PARSE_ERROR = "parse_error"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    CONFLICT = "conflict"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    # A bug on the portal's side (consortium.views.server_error); the error is logged.
    SERVER_ERROR = "server_error"
    # An outside system's address the portal will not call (consortium.outbound_http).
    ENDPOINT_REFUSED = "endpoint_refused"
    ENDPOINT_NOT_HTTP = "endpoint_not_http"
    ENDPOINT_UNKNOWN_HOST = "endpoint_unknown_host"
    ENDPOINT_NOT_PUBLIC = "endpoint_not_public"


class DomainError(Exception):
    """A business rule refused an operation; the message says what and where."""

    http_status = status.HTTP_400_BAD_REQUEST
    code: str = ErrorCode.INVALID

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class PermissionDenied(DomainError):
    """The actor may not do this."""

    http_status = status.HTTP_403_FORBIDDEN
    code = ErrorCode.PERMISSION_DENIED


class Conflict(DomainError):
    """The object is not in a state that allows this (or someone else changed it first)."""

    http_status = status.HTTP_409_CONFLICT
    code = ErrorCode.CONFLICT


class NotFound(DomainError):
    """The object does not exist (or the actor may not know that it does)."""

    http_status = status.HTTP_404_NOT_FOUND
    code = ErrorCode.NOT_FOUND


BODY_TOO_LARGE = _("The request body is larger than %(limit)s, the most the portal accepts.")
SERVER_ERROR = _("The error has been logged. Please try again in a few minutes.")
INPUT_INVALID = _("Some input is not valid: %(fields)s. Each field's messages say why.")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with a ``code`` and a ``detail`` in every error body.

    Domain errors become {code, detail, ...details}; input that failed its checks
    {code: "invalid_input", detail, fields: {field: [message, ...]}}; DRF's own refusals
    (401, 403, 404, 405, 415, 429 ...) {code, detail}. The bodies are the ones
    consortium/schema.py documents (Error, with FieldErrors under ``fields``).
    """
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": exc.message, **exc.details}
        return Response(body, status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE with this; left to
        # Django it became an HTML 400 page, which no API client reads.
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Response(
            {"code": ErrorCode.BODY_TOO_LARGE, "detail": BODY_TOO_LARGE % {"limit": limit}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ModelValidationError):
        # A model's full_clean() inside a service: the same 400 as a serializer's checks.
        errors = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response(field_errors_body(errors), status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = field_errors_body(response.data)
    elif isinstance(response.data, dict) and "detail" in response.data:
        # DRF's ErrorDetail carries its exception's code (NotFound: "not_found", ...).
        code = getattr(response.data["detail"], "code", None) or ErrorCode.INVALID
        response.data = {"code": code, **response.data}
    return response


def field_errors_body(errors: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """A ValidationError's messages as the Error body: which fields failed, and why."""
    if not isinstance(errors, dict):
        errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
    names = [name for name in errors if name != api_settings.NON_FIELD_ERRORS_KEY]
    if names:
        detail = INPUT_INVALID % {"fields": ", ".join(names)}
    else:
        detail = " ".join(str(message) for message in errors[api_settings.NON_FIELD_ERRORS_KEY])
    return {"code": ErrorCode.INVALID_INPUT, "detail": detail, "fields": errors}
