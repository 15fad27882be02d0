"""OpenAPI description of the library API token (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class LibraryTokenScheme(OpenApiAuthenticationExtension):
    target_class = "members.authentication.LibraryTokenAuthentication"
    name = "libraryToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A library's API token, created by its library admin: `Token ish_...`",
        }
