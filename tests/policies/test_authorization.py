"""Every role × every policies/agreements API endpoint, for own and other library's objects."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from members.services import api_token_create
from policies import services
from policies.models import AgreementKind
from tests.factories import LibraryAdminFactory
from tests.policies.factories import AgreementFactory, published_policy

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "patron",
    "librarian",
    "library_admin",
    "other_library_admin",
    "consortium_admin",
    "token",
]


@pytest.fixture
def world(consortium_admin, library, other_library, third_library):
    published_policy(consortium_admin, title="ILL", body_markdown="# ILL")
    own = services.agreement_create(
        actor=consortium_admin,
        name="Own",
        kind="bilateral",
        valid_from=date(2026, 1, 1),
        parties=[library, third_library],
        services_allowed=["loan"],
    )
    services.agreement_propose(actor=consortium_admin, agreement=own)
    active = AgreementFactory(kind=AgreementKind.BILATERAL, parties=[library, other_library])
    return {"own": own.pk, "active": active.pk}


@pytest.fixture
def client_for(login, patron, librarian, library_admin, other_library_admin, consortium_admin, library):
    def make(role: str) -> Client:
        if role == "anonymous":
            return Client()
        if role == "token":
            _t, key = api_token_create(
                actor=LibraryAdminFactory(library=library), library=library, name="Koha"
            )
            return Client(HTTP_AUTHORIZATION=f"Token {key}")
        users = {
            "patron": patron,
            "librarian": librarian,
            "library_admin": library_admin,
            "other_library_admin": other_library_admin,
            "consortium_admin": consortium_admin,
        }
        return login(users[role])

    return make


def ok(status: int) -> bool:
    return 200 <= status < 300


# (method, path template, roles allowed); "own" is a proposal to PK-HOME and PK-THIRD.
ENDPOINTS = [
    ("get", "/api/v1/policies/", set(ROLES)),
    ("get", "/api/v1/policies/ill/", set(ROLES)),
    ("post", "/api/v1/policies/ill/acknowledge/", {"library_admin", "other_library_admin"}),
    ("post", "/api/v1/policies/ill/draft/", {"consortium_admin"}),
    (
        "get",
        "/api/v1/agreements/",
        {"librarian", "library_admin", "other_library_admin", "consortium_admin", "token"},
    ),
    (
        "get",
        "/api/v1/agreements/{active}/",
        {"librarian", "library_admin", "other_library_admin", "consortium_admin", "token"},
    ),
    # a proposal is visible to its parties' staff and systems, and to consortium admins
    ("get", "/api/v1/agreements/{own}/", {"librarian", "library_admin", "consortium_admin", "token"}),
    ("post", "/api/v1/agreements/{own}/accept/", {"library_admin"}),
    ("post", "/api/v1/agreements/{active}/suspend/", {"consortium_admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_api_authorization_matrix(world, client_for, role, method, path, allowed):
    client = client_for(role)
    url = path.format(**world)
    body = {"body_markdown": "x", "revision": 1, "reason": "audit"}
    response = (
        getattr(client, method)(url, body, content_type="application/json")
        if method == "post"
        else client.get(url)
    )
    assert ok(response.status_code) == (role in allowed), (
        role,
        url,
        response.status_code,
        response.content[:200],
    )
