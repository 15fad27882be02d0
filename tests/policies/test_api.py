"""API: /api/v1/policies/ and /api/v1/agreements/ (reads, admin writes, library admins' accept)."""

from __future__ import annotations

import pytest

from members.services import api_token_create
from policies.models import Agreement, AgreementKind, AgreementStatus, PolicyVersion
from tests.api_schema import served_schema
from tests.policies.factories import AgreementFactory, published_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(consortium_admin):
    return published_policy(
        consortium_admin, body_markdown="# Loans\n\n<script>alert(1)</script>Lend for 14 days."
    )


def test_policies_are_public_with_sanitized_html(client, policy, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/policies/")
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["slug"] == "ill" and item["in_force"]["number"] == 1
    assert "<script" not in item["in_force"]["body_html"]
    assert "<h1>Loans</h1>" in item["in_force"]["body_html"]
    assert client.get("/api/v1/policies/ill/").json()["title"] == "Interlibrary loan"


def test_policy_writes_are_for_consortium_admins(client, login, library_admin, consortium_admin):
    body = {"title": "Training", "slug": "training", "category": "training", "body_markdown": "# Training"}
    assert client.post("/api/v1/policies/", body, content_type="application/json").status_code == 401
    assert (
        login(library_admin).post("/api/v1/policies/", body, content_type="application/json").status_code
        == 403
    )
    response = login(consortium_admin).post("/api/v1/policies/", body, content_type="application/json")
    assert response.status_code == 201


def test_draft_conflict_and_publish_over_the_api(login, consortium_admin, policy):
    api = login(consortium_admin)
    first = api.post(
        "/api/v1/policies/ill/draft/",
        {"body_markdown": "v2 text", "revision": 1},
        content_type="application/json",
    )
    assert first.status_code == 200 and first.json()["revision"] == 2 and first.json()["number"] == 2
    stale = api.post(
        "/api/v1/policies/ill/draft/",
        {"body_markdown": "other", "revision": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_draft" and stale.json()["current_revision"] == 2
    bad_date = api.post(
        "/api/v1/policies/ill/publish/",
        {"effective_from": "2025-12-31", "revision": 2},
        content_type="application/json",
    )
    assert bad_date.status_code == 400 and "cannot take effect before" in bad_date.json()["detail"]
    published = api.post(
        "/api/v1/policies/ill/publish/",
        {"effective_from": "2026-03-01", "revision": 2},
        content_type="application/json",
    )
    assert published.status_code == 200 and published.json()["number"] == 2
    assert PolicyVersion.objects.get(policy=policy, number=2).body_markdown == "v2 text"


def test_megabyte_body_over_the_api_is_refused_clearly(login, consortium_admin, policy):
    response = login(consortium_admin).post(
        "/api/v1/policies/ill/draft/",
        {"body_markdown": "x" * 1_000_000, "revision": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "body_markdown" and "limit is 200 KB" in response.json()["detail"]


def test_library_admin_acknowledges_over_the_api(login, library_admin, librarian, policy):
    assert login(librarian).post("/api/v1/policies/ill/acknowledge/").status_code == 403
    response = login(library_admin).post("/api/v1/policies/ill/acknowledge/")
    assert response.status_code == 201 and response.json()["library"] == "PK-HOME"
    assert login(library_admin).post("/api/v1/policies/ill/acknowledge/").status_code == 409


def test_agreements_read_by_staff_and_library_systems_not_anonymous(
    client, librarian, library, other_library
):
    AgreementFactory(name="Home–Away", parties=[library, other_library])
    assert client.get("/api/v1/agreements/").status_code == 401
    _token, key = api_token_create(actor=_admin(library), library=library, name="Koha")
    response = client.get("/api/v1/agreements/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["results"][0]["parties"] == ["PK-AWAY", "PK-HOME"]


def _admin(library):
    from tests.factories import LibraryAdminFactory

    return LibraryAdminFactory(library=library)


def test_create_propose_accept_over_the_api(login, consortium_admin, library_admin, other_library_admin):
    admin = login(consortium_admin)
    body = {
        "name": "Home–Away loans",
        "kind": "bilateral",
        "parties": ["PK-HOME", "PK-AWAY"],
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "services_allowed": ["loan"],
        "excluded_formats": ["thesis"],
        "loan_period_days": 21,
    }
    created = admin.post("/api/v1/agreements/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert admin.post(f"/api/v1/agreements/{pk}/propose/").json()["status"] == "proposed"
    assert login(library_admin).post(f"/api/v1/agreements/{pk}/accept/").json()["status"] == "proposed"
    done = login(other_library_admin).post(f"/api/v1/agreements/{pk}/accept/")
    assert done.json()["status"] == "active"
    assert {a["library"] for a in done.json()["acceptances"]} == {"PK-HOME", "PK-AWAY"}


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"loan_period_days": 0}, 400, "between 1 and 365"),
        ({"loan_period_days": 5000}, 400, "between 1 and 365"),
        ({"parties": ["PK-HOME", "PK-NOPE"]}, 400, "PK-NOPE"),
        ({"services_allowed": ["teleport"]}, 400, "teleport"),
        ({"valid_until": "2025-01-01"}, 400, "end on or after"),
        ({"valid_from": "2026-02-30"}, 400, "Date has wrong format"),
        ({"excluded_formats": ["cassette"]}, 400, "cassette"),
    ],
)
def test_bad_agreement_input_is_refused_with_a_clear_message(
    login, consortium_admin, library, other_library, change, status, message
):
    body = {
        "name": "Bad",
        "kind": "bilateral",
        "parties": ["PK-HOME", "PK-AWAY"],
        "valid_from": "2026-01-01",
        "services_allowed": ["loan"],
        **change,
    }
    response = login(consortium_admin).post("/api/v1/agreements/", body, content_type="application/json")
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Agreement.objects.exists()


def test_inactive_party_is_refused(login, consortium_admin, library, other_library):
    other_library.is_active = False
    other_library.save()
    body = {
        "name": "x",
        "kind": "bilateral",
        "parties": ["PK-HOME", "PK-AWAY"],
        "valid_from": "2026-01-01",
        "services_allowed": ["loan"],
    }
    response = login(consortium_admin).post("/api/v1/agreements/", body, content_type="application/json")
    assert response.status_code == 400 and "not an active member" in response.json()["detail"]


def test_suspend_needs_a_reason_and_library_admins_cannot(
    login, consortium_admin, library_admin, library, other_library
):
    agreement = AgreementFactory(parties=[library, other_library])
    assert (
        login(library_admin).post(f"/api/v1/agreements/{agreement.pk}/suspend/", {"reason": "x"}).status_code
        == 403
    )
    no_reason = login(consortium_admin).post(
        f"/api/v1/agreements/{agreement.pk}/suspend/", {}, content_type="application/json"
    )
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    ok = login(consortium_admin).post(
        f"/api/v1/agreements/{agreement.pk}/suspend/", {"reason": "Audit"}, content_type="application/json"
    )
    assert ok.json()["status"] == AgreementStatus.SUSPENDED
    again = login(consortium_admin).post(
        f"/api/v1/agreements/{agreement.pk}/suspend/", {"reason": "Audit"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_terms_endpoint_says_which_agreement_decided(login, librarian, library, other_library):
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE, name="Consortium ILL")
    pair = AgreementFactory(name="Copies only", parties=[library, other_library], services_allowed=["copy"])
    api = login(librarian)
    loan = api.get(
        "/api/v1/agreements/terms/",
        {"borrower": "PK-HOME", "lender": "PK-AWAY", "service": "loan", "on": "2026-06-01"},
    )
    assert loan.status_code == 200
    assert loan.json()["allowed"] is False and loan.json()["agreement_id"] == pair.pk
    assert loan.json()["reason"] == "service_not_allowed"
    copy = api.get(
        "/api/v1/agreements/terms/",
        {"borrower": "PK-HOME", "lender": "PK-AWAY", "service": "copy", "on": "2026-06-01"},
    )
    assert copy.json()["terms"]["agreement_name"] == "Copies only"
    bad = api.get(
        "/api/v1/agreements/terms/", {"borrower": "PK-HOME", "lender": "PK-AWAY'--", "service": "loan"}
    )
    assert bad.status_code == 400 and "lender" in bad.json()["fields"]


def test_schema_documents_the_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/policies/", "/api/v1/agreements/{id}/accept/", "/api/v1/agreements/terms/"):
        assert path in schema


def test_terms_for_a_catalogue_format_are_answered(login, librarian, library, other_library):
    # given an agreement that excludes theses
    AgreementFactory(name="No theses", parties=[library, other_library], excluded_formats=["thesis"])
    # when a library asks about lending a thesis (?format= is the catalogue format here)
    response = login(librarian).get(
        "/api/v1/agreements/terms/",
        {
            "borrower": "PK-HOME",
            "lender": "PK-AWAY",
            "service": "loan",
            "format": "thesis",
            "on": "2026-06-01",
        },
    )
    # then it gets the decision, not a 404 for an unknown renderer
    assert response.status_code == 200, response.content
    assert response.json()["allowed"] is False


def test_a_retired_filter_that_is_not_a_boolean_is_refused(client, policy):
    assert [p["slug"] for p in client.get("/api/v1/policies/", {"retired": "false"}).json()["results"]] == [
        "ill"
    ]
    assert client.get("/api/v1/policies/", {"retired": "true"}).json()["results"] == []
    response = client.get("/api/v1/policies/", {"retired": "maybe"})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["retired"]


def test_a_version_without_its_publisher_is_as_documented(client, policy):
    # given a version whose publisher's account was removed
    PolicyVersion.objects.filter(policy=policy).update(published_by=None)
    # then the API shows no publisher, and the schema says that can happen
    assert client.get("/api/v1/policies/ill/").json()["in_force"]["published_by"] is None
    version = served_schema(client)["components"]["schemas"]["PolicyVersionOutput"]
    assert version["properties"]["published_by"].get("nullable") is True
