"""Content negotiation for API views whose ``?format=`` is their own parameter."""

from __future__ import annotations

from types import SimpleNamespace

from rest_framework.negotiation import DefaultContentNegotiation


class FormatIsAParameter(DefaultContentNegotiation):
    """?format= is the catalogue format here (book, thesis), not DRF's renderer override.

    With DRF's override, ``?format=thesis`` names no renderer and the answer is a 404.
    """

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)
