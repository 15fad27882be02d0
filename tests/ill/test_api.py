"""API: create, list, retrieve, one endpoint per action; 409 lists what is available."""

from __future__ import annotations

from rest_framework.test import APIClient

from ill import exceptions as err
from ill import states
from ill.exceptions import ErrorCode
from members.models import PatronStatus
from members.services import api_token_create
from tests.api_schema import response_schema, served_schema
from tests.factories import PatronFactory
from tests.ill.factories import held_by

REQUESTS = "/api/v1/ill/requests/"


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_patron_creates_and_lists_own_requests(patron, record):
    client = _client(patron)
    created = client.post("/api/v1/ill/requests/", {"bib_record": record.pk}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == states.SUBMITTED and "cancel" in body["available_actions"]
    listed = client.get("/api/v1/ill/requests/").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_bad_input_answers_400_with_field(patron, record):
    client = _client(patron)
    r = client.post(
        "/api/v1/ill/requests/", {"bib_record": record.pk, "needed_by": "2001-01-01"}, format="json"
    )
    assert r.status_code == 400 and "past" in r.json()["detail"] and r.json()["field"] == "needed_by"
    r = client.post(
        "/api/v1/ill/requests/", {"bib_record": record.pk, "needed_by": "not-a-date"}, format="json"
    )
    assert r.status_code == 400 and "needed_by" in r.json()["fields"]


def test_unavailable_action_is_409_with_available_actions(submitted, librarian):
    r = _client(librarian).post(f"/api/v1/ill/requests/{submitted.pk}/actions/ship/", {}, format="json")
    assert r.status_code == 409
    assert set(r.json()["available"]) == {"validate", "refuse", "cancel"}


def test_actions_through_api_token_of_the_lender(sent, lender, other_library_admin):
    _token, key = api_token_create(actor=other_library_admin, library=lender, name="Koha")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    queue = client.get("/api/v1/ill/requests/?role=lender&attention=1").json()
    assert [r["id"] for r in queue["results"]] == [sent.pk]
    r = client.post(
        f"/api/v1/ill/requests/{sent.pk}/actions/unfilled/", {"reason_unfilled": "NotHeld"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] in (states.SOURCING, states.END_OF_ROTA)


def test_unknown_reason_is_400(sent, lender_librarian):
    r = _client(lender_librarian).post(
        f"/api/v1/ill/requests/{sent.pk}/actions/unfilled/", {"reason_unfilled": "Bored"}, format="json"
    )
    assert r.status_code == 400 and "reason_unfilled" in r.json()["fields"]


def test_lender_not_asked_gets_403_and_stranger_404(sent, second_lender_librarian, consortium_admin):
    r = _client(second_lender_librarian).post(
        f"/api/v1/ill/requests/{sent.pk}/actions/will_supply/", {}, format="json"
    )
    assert r.status_code == 403
    assert _client(second_lender_librarian).get(f"/api/v1/ill/requests/{sent.pk}/").status_code == 404


def test_schema_documents_the_ill_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/ill/requests/{id}/actions/{action}/" in schema
    # and the codes of its error bodies
    error = served_schema(client)["components"]["schemas"]["Error"]["properties"]["code"]
    assert all(code.value in error["description"] for code in ErrorCode)


def test_request_list_is_the_page_the_schema_documents(client, patron, submitted):
    # given the schema's promise for the list
    page = response_schema(served_schema(client), "get", "/api/v1/ill/requests/", 200)
    assert page["type"] == "object" and {"count", "next", "previous", "results"} <= set(page["properties"])
    # when the patron lists their requests, then that is what comes back
    body = _client(patron).get("/api/v1/ill/requests/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1 and [r["id"] for r in body["results"]] == [submitted.pk]


def test_an_unknown_queue_is_refused_with_the_field(sent, lender_librarian):
    # when the lender asks for a queue that does not exist
    response = _client(lender_librarian).get("/api/v1/ill/requests/", {"role": "supplier"})
    # then it is told which parameter is wrong instead of silently getting the borrowing queue
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert list(fields) == ["role"] and "supplier" in fields["role"][0]


def test_an_unknown_status_is_refused_and_open_lists_the_unfinished(sent, patron, lender_librarian):
    lender = _client(lender_librarian)
    assert lender.get("/api/v1/ill/requests/", {"status": "lost-in-post"}).status_code == 400
    queue = lender.get("/api/v1/ill/requests/", {"role": "lender", "status": "RequestReceived"}).json()
    assert [r["id"] for r in queue["results"]] == [sent.pk]
    mine = _client(patron).get("/api/v1/ill/requests/", {"status": "open"}).json()
    assert [r["id"] for r in mine["results"]] == [sent.pk]


def _error(response, status: int) -> tuple[str, str]:
    assert response.status_code == status, response.content
    return response.json()["code"], response.json()["detail"]


def test_each_refusal_says_which_it_is_by_its_code(
    patron, library, record, submitted, librarian, second_lender_librarian, agreement
):
    """A client tells "patron not approved" from any other refusal by the body's code."""
    # a patron whose account awaits approval
    waiting = PatronFactory(library=library, patron_status=PatronStatus.PENDING)
    code, detail = _error(_client(waiting).post(REQUESTS, {"bib_record": record.pk}, format="json"), 403)
    assert (code, detail) == (ErrorCode.PATRON_NOT_APPROVED, str(err.PATRON_NOT_APPROVED))
    # a record no other member lends
    alone = held_by(library)
    code, _ = _error(_client(patron).post(REQUESTS, {"bib_record": alone.pk}, format="json"), 400)
    assert code == ErrorCode.NO_LENDER
    # a patron asking for a citation
    code, _ = _error(_client(patron).post(REQUESTS, {"title": "Not in the catalogue"}, format="json"), 400)
    assert code == ErrorCode.ONLY_STAFF_CITATION
    # an action the state does not allow, one that is someone else's, one that is no action
    action = f"{REQUESTS}{submitted.pk}/actions/"
    code, _ = _error(_client(librarian).post(f"{action}ship/", {}, format="json"), 409)
    assert code == ErrorCode.INVALID_TRANSITION
    code, _ = _error(_client(patron).post(f"{action}validate/", {}, format="json"), 403)
    assert code == ErrorCode.NOT_YOUR_TURN
    # refusing without saying why
    code, _ = _error(_client(librarian).post(f"{action}refuse/", {}, format="json"), 400)
    assert code == ErrorCode.UNKNOWN_CHOICE
    # a request another library's staff may not see, and one that does not exist
    code, _ = _error(_client(second_lender_librarian).get(f"{REQUESTS}{submitted.pk}/"), 404)
    assert code == ErrorCode.REQUEST_NOT_FOUND
    code, _ = _error(_client(librarian).post(f"{REQUESTS}999999/actions/validate/", {}, format="json"), 404)
    assert code == ErrorCode.REQUEST_NOT_FOUND
