"""The OpenAPI schema says what the API answers: its error bodies and who may call it.

Every JSON operation documents, besides its success, the errors ``api_exception_handler``
(consortium/exceptions.py) can answer it with, all in one shape, ``Error``:
``{"code": ..., "detail": ..., "field": ..., "available": [...], "fields": {...}}``.
``code`` and ``detail`` always; ``code`` is a value of an app's ``ErrorCode`` (its
exceptions.py) or of consortium.exceptions.ErrorCode for DRF's own refusals; ``field`` and
``available`` for some domain errors; ``fields`` (``FieldErrors``: each field with its
messages) for input that failed its checks, code ``invalid_input``.

Which statuses an operation gets follows from what can refuse it: 400 with input (query
parameters or a body), 401 everywhere (a bad token is refused even on public reads), 403
unless public, 404 with a path parameter or a page number, 409 for an action on an
existing object (a state it is not in, or someone changed it first), 413 and 415 with a
body. A view states any other status it answers in its own ``extend_schema``.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from consortium.exceptions import ERROR_CODES
from members.permissions import PUBLIC

JSON = "application/json"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _code_help() -> str:
    """The codes each app's errors carry (consortium.exceptions.ERROR_CODES)."""
    kinds = str(
        _(
            "What kind of error, for programs: a value of an app's ErrorCode, e.g. "
            "invalid_input, not_authenticated, permission_denied, not_found, not_your_library, "
            "invalid_transition, stale_draft."
        )
    )
    apps = "; ".join(
        f"{app}: {', '.join(code.value for code in enum)}" for app, enum in sorted(ERROR_CODES.items())
    )
    return f"{kinds} {apps}" if apps else kinds


@extend_schema_serializer(component_name="FieldErrors")
class FieldErrorsOutputSerializer(serializers.Serializer):
    """Input that failed its checks: each field (or non_field_errors) with its messages."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    """A map of field names to messages, as DRF's ValidationError renders it."""

    target_class = FieldErrorsOutputSerializer

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "description": str(FieldErrorsOutputSerializer.__doc__),
            # A nested input (a list's items, an object's fields) nests its messages alike.
            "additionalProperties": {"anyOf": [messages, {"type": "object"}]},
            "minProperties": 1,
        }


@extend_schema_serializer(component_name="Error")
class ErrorOutputSerializer(serializers.Serializer):
    """What failed (code) and how to say it (detail); some errors add where and what else."""

    code = serializers.CharField(help_text=lazy(_code_help, str)())
    detail = serializers.CharField(help_text=_("What failed and where, in the caller's language."))
    field = serializers.CharField(required=False, help_text=_("The input field the error is about."))
    available = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("For an action that is not possible now: the actions that are."),
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # "fields" names a Serializer attribute, so it cannot be declared as the others are.
        fields = super().get_fields()
        fields["fields"] = FieldErrorsOutputSerializer(
            required=False, help_text=_("For invalid_input: each field that failed, with its messages.")
        )
        return fields


ERROR_DESCRIPTIONS = {
    "400": _("The input is not valid: which field and why, or a rule it breaks."),
    "401": _(
        "No valid credentials: the API token (Authorization: Token <key>) is missing, malformed or revoked."
    ),
    "403": _("These credentials may not do this."),
    "404": _("No such object (or not one these credentials may see), or no such page."),
    "409": _("The object is not in a state that allows this, or someone else changed it first."),
    "413": _("The request body is larger than the portal accepts."),
    "415": _("The request body is not in a media type this operation reads."),
}


def error_response(code: int) -> OpenApiResponse:
    """The documented error for a status a view answers beyond those added for every operation."""
    return OpenApiResponse(ErrorOutputSerializer, description=ERROR_DESCRIPTIONS[str(code)])


def access_rule(view: Any) -> str | None:
    """The permission rule the view applies to this operation (per action, as RuleByActionMixin does)."""
    rules = getattr(view, "action_rules", {})
    return rules.get(getattr(view, "action", None), getattr(type(view), "access_rule", None))


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the errors every operation can answer."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None or JSON not in self.map_renderers("media_type"):
            return operation  # not a JSON operation (ISO 18626 documents its own answers)
        for parameter in operation.get("parameters", []):
            is_list = parameter.get("schema", {}).get("type") == "array"  # an empty item is a value
            if parameter["in"] == "query" and not parameter.get("required") and not is_list:
                # DRF's query serializers and django-filter read `?kind=` as no kind given.
                parameter.setdefault("allowEmptyValue", True)
        responses = operation["responses"]
        for code in self._error_statuses(operation):
            responses.setdefault(code, self._error_response(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        if access_rule(self.view) == PUBLIC and {} not in auths:
            auths.append({})  # anyone may call it, without credentials
        return auths

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        in_path = any(p["in"] == "path" for p in parameters)
        in_query = any(p["in"] == "query" for p in parameters)
        body = "requestBody" in operation
        paginated = any(p["in"] == "query" and p["name"] == "page" for p in parameters)
        statuses = ["401"]
        if body or in_query:
            statuses.append("400")
        if access_rule(self.view) != PUBLIC or self.method in UNSAFE_METHODS:
            statuses.append("403")  # also a session's unsafe request without its CSRF token
        if in_path or paginated:
            statuses.append("404")
        if in_path and self.method in UNSAFE_METHODS:
            statuses.append("409")
        if body:
            statuses += ["413", "415"]
        return statuses

    def _error_response(self, code: str) -> dict[str, Any]:
        component = self.resolve_serializer(ErrorOutputSerializer, "response")
        return {"description": ERROR_DESCRIPTIONS[code], "content": {JSON: {"schema": component.ref}}}
