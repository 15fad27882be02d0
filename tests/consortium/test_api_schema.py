"""What the OpenAPI schema says about errors and credentials, and that the API answers so."""

from __future__ import annotations

import pytest

from tests.api_schema import resolve, response_schema, served_schema

pytestmark = pytest.mark.django_db


def test_every_json_operation_documents_its_error_answers(client):
    # given the schema as served
    schema = served_schema(client)
    # then each JSON operation documents 401 (a bad token is refused anywhere) with the Error body,
    # and one with a body also documents 400, 413 and 415
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path == "/iso18626":
                continue  # ISO 18626 answers in XML and documents its own statuses
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert response_schema(schema, method, path, 401) == schema["components"]["schemas"]["Error"], (
                where
            )
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(responses), where
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in responses, where


def test_error_bodies_are_documented_as_the_handler_returns_them(client):
    schema = served_schema(client)
    error = schema["components"]["schemas"]["Error"]
    # every error body has a code and a detail; input errors add their fields' messages
    assert error["required"] == ["code", "detail"]
    assert {"code", "detail", "field", "available", "fields"} <= set(error["properties"])
    assert (
        resolve(schema, error["properties"]["fields"]["allOf"][0])
        == schema["components"]["schemas"]["FieldErrors"]
    )
    assert response_schema(schema, "post", "/api/v1/ill/requests/", 400) == error


def test_a_refused_token_answers_the_documented_error_body(client, library):
    # when a library system sends a token that does not exist
    response = client.get("/api/v1/ill/requests/", HTTP_AUTHORIZATION="Token not-a-real-key")
    # then it gets 401 with the Error body, even on a public read
    assert response.status_code == 401 and set(response.json()) == {"code", "detail"}
    assert response.json()["code"] == "authentication_failed"
    public = client.get("/api/v1/libraries/", HTTP_AUTHORIZATION="Token not-a-real-key")
    assert (
        public.status_code == 401
        and "401" in served_schema(client)["paths"]["/api/v1/libraries/"]["get"]["responses"]
    )


def test_public_operations_say_no_credentials_are_needed(client):
    schema = served_schema(client)
    assert {} in schema["paths"]["/api/v1/libraries/"]["get"]["security"]
    assert {} in schema["paths"]["/api/v1/records/"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/ill/requests/"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/policies/"]["post"]["security"]  # consortium admins only


def test_an_api_path_that_matches_no_endpoint_is_a_json_404(client):
    # when a client asks for a request id that is not a number
    response = client.get("/api/v1/ill/requests/ILL-12/")
    # then the answer is the API's error body, not the portal's HTML page
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    # and a person who mistypes a page still gets the portal's page
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_form_body_over_the_limit_is_413_with_the_error_body(client, login, librarian, settings):
    # given a small upload limit, for a small test
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    # when a form body larger than that is posted
    response = login(librarian).post("/api/v1/ill/requests/", {"title": "x" * 4096})
    # then it is refused as too large, in the documented body, and nothing was created
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "body_too_large" and "1.0\xa0KB" in response.json()["detail"]
    from ill.models import IllRequest

    assert not IllRequest.objects.exists()
