"""Fixtures of the members tests: the portal's mail delivery as EMAIL_URL configures it."""

from __future__ import annotations

import pytest

from tests.members.mail_servers import closed_port, portal_email_settings


@pytest.fixture
def portal_mail_server(settings):
    """The portal configured by EMAIL_URL for an SMTP server on a local port, down for now."""
    port = closed_port()
    for name, value in portal_email_settings(EMAIL_URL=f"smtp://127.0.0.1:{port}").items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = 5
    return port
