"""Every API error body carries a ``code`` a program can act on and a translated ``detail``."""

from __future__ import annotations

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from consortium.urls import handler500  # noqa: F401 - this module's routes use the portal's 500 handler
from members.models import Library
from members.permissions import PUBLIC
from policies.models import PolicyAcknowledgement
from tests.policies.factories import published_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(consortium_admin):
    return published_policy(consortium_admin)


NEW_POLICY = {"title": "Training", "slug": "training", "category": "training", "body_markdown": "# Training"}


def test_a_domain_error_names_its_apps_code(login, library_admin, policy):
    # given a policy the library already acknowledged
    api = login(library_admin)
    assert api.post("/api/v1/policies/ill/acknowledge/").status_code == 201
    # when it acknowledges again
    again = api.post("/api/v1/policies/ill/acknowledge/")
    # then the refusal says which rule, as policies.exceptions.ErrorCode names it
    assert again.status_code == 409
    assert again.json()["code"] == "already_acknowledged" and "version 1" in again.json()["detail"]
    assert PolicyAcknowledgement.objects.count() == 1


def test_input_that_fails_its_checks_is_invalid_input_with_its_fields(client):
    response = client.get("/api/v1/policies/", {"retired": "maybe"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input" and list(body["fields"]) == ["retired"]
    assert "retired" in body["detail"]


def test_an_input_error_is_told_in_urdu_to_an_urdu_client(client):
    response = client.get("/api/v1/policies/", {"retired": "maybe"}, HTTP_ACCEPT_LANGUAGE="ur")
    assert response.json()["code"] == "invalid_input"
    assert response.json()["detail"].startswith("کچھ")


def test_a_body_that_is_not_json_is_a_parse_error(login, consortium_admin):
    response = login(consortium_admin).post("/api/v1/policies/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_body_of_another_media_type_is_unsupported(login, consortium_admin):
    response = login(consortium_admin).post("/api/v1/policies/", "title=x", content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_no_credentials_and_bad_credentials_are_told_apart(client):
    anonymous = client.post("/api/v1/policies/", NEW_POLICY, content_type="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    bad_token = client.get("/api/v1/ill/requests/", HTTP_AUTHORIZATION="Token not-a-real-key")
    assert bad_token.status_code == 401 and bad_token.json()["code"] == "authentication_failed"


def test_credentials_that_may_not_do_this_are_permission_denied(login, library_admin):
    response = login(library_admin).post("/api/v1/policies/", NEW_POLICY, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_no_such_object_and_no_such_endpoint_are_both_not_found(client):
    for url in ("/api/v1/policies/no-such-policy/", "/api/v1/no-such-endpoint/"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found", url


def test_a_method_the_endpoint_does_not_take_is_method_not_allowed(client):
    response = client.delete("/api/v1/libraries/")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_a_body_over_the_limit_is_body_too_large(login, librarian, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = login(librarian).post("/api/v1/ill/requests/", {"title": "x" * 4096})
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


class _ModelChecked(APIView):
    """A service whose model's full_clean() refuses the input (Django's ValidationError)."""

    access_rule = PUBLIC

    def get(self, request):
        Library(code="not a code").full_clean()
        return Response({})


class _Refused(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        return False

    def wait(self) -> float:
        return 30


class _ThrottledView(APIView):
    access_rule = PUBLIC
    throttle_classes = [_Refused]

    def get(self, request):
        return Response({})


class _Broken(APIView):
    access_rule = PUBLIC

    def get(self, request):
        raise RuntimeError("a bug")


urlpatterns = [
    path("api/v1/throttled/", _ThrottledView.as_view()),
    path("api/v1/model-checked/", _ModelChecked.as_view()),
    path("api/v1/broken/", _Broken.as_view()),
]


@pytest.mark.urls(__name__)
def test_too_many_requests_is_throttled(client):
    response = client.get("/api/v1/throttled/")
    assert response.status_code == 429 and response.json()["code"] == "throttled"
    assert response["Retry-After"] == "30"


@pytest.mark.urls(__name__)
def test_a_models_own_checks_are_invalid_input_too(client):
    response = client.get("/api/v1/model-checked/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input" and {"code", "name", "email"} <= set(body["fields"])


@pytest.mark.urls(__name__)
def test_a_server_error_under_the_api_is_the_error_body(client):
    client.raise_request_exception = False
    response = client.get("/api/v1/broken/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and "a bug" not in response.content.decode()
