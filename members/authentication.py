"""API token authentication for library systems: `Authorization: Token <key>`."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from members.models import ApiToken
from members.permissions import LibraryPrincipal

TOKEN_KEYWORD = b"token"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class LibraryTokenAuthentication(BaseAuthentication):
    """A token acts for its library; revoked tokens and inactive libraries are refused."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in (TOKEN_KEYWORD, b"bearer"):
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use 'Token <key>'."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        token = (
            ApiToken.objects.select_related("library")
            .filter(key_hash=hash_key(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.library.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return LibraryPrincipal(library=token.library, token_id=token.pk), token

    def authenticate_header(self, request) -> str:
        return "Token"


try:  # describe the token scheme in the OpenAPI schema (and keep `check --deploy` quiet)
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError:  # pragma: no cover
    pass
else:

    class LibraryTokenScheme(OpenApiAuthenticationExtension):
        target_class = "members.authentication.LibraryTokenAuthentication"
        name = "LibraryToken"

        def get_security_definition(self, auto_schema):
            return {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "A library's API token: `Token <key>` (created by its library admin).",
            }
