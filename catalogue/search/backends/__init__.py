"""The configured search backend (settings.SEARCH_BACKEND: "postgres", the default, or "tantivy")."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from catalogue.search.backends.base import Found, SearchBackend

BACKENDS = {
    "postgres": "catalogue.search.backends.postgres.PostgresBackend",
    "tantivy": "catalogue.search.backends.tantivy_backend.TantivyBackend",
}


@cache
def _backend(name: str) -> SearchBackend:
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}; got {name!r}.")
    return import_string(BACKENDS[name])()


def get_backend() -> SearchBackend:
    """The backend named by the settings (one instance per process and name)."""
    return _backend(getattr(settings, "SEARCH_BACKEND", "postgres"))


__all__ = ["BACKENDS", "Found", "SearchBackend", "get_backend"]
