"""With DEBUG off (the default everywhere), a server error shows the portal's own page."""

from __future__ import annotations

import pytest
from django.urls import path


def _broken(request):
    raise RuntimeError("a bug")


_broken.access_rule = "public"
urlpatterns = [path("broken/", _broken)]


@pytest.mark.urls(__name__)
def test_server_error_page_is_the_portals(client, settings):
    # given DEBUG off
    settings.DEBUG = False
    client.raise_request_exception = False
    # when a view fails
    response = client.get("/broken/")
    # then the portal's page, styled, without the error's details
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "/static/css/portal.css" in body
    assert "a bug" not in body
