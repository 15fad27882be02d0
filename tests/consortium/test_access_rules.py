"""Default deny: every route declares who may reach it; a new route without a rule fails here."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

# Third-party route groups with their own access control.
EXEMPT_PREFIXES = ("admin/", "static/", "media/")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def _rule_of(callback) -> str | None:
    for holder in (callback, getattr(callback, "cls", None), getattr(callback, "view_class", None)):
        if holder is not None and getattr(holder, "access_rule", None):
            return holder.access_rule
    initkwargs = getattr(callback, "initkwargs", {}) or {}
    return initkwargs.get("access_rule")


def test_every_route_declares_an_access_rule():
    missing = [
        route
        for route, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(EXEMPT_PREFIXES) and not _rule_of(callback)
    ]
    assert missing == [], f"Routes without an access rule: {missing}"


def test_rule_check_catches_an_undeclared_view():
    def naked_view(request):
        return None

    assert _rule_of(naked_view) is None
