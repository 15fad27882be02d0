"""Who may reach what: every role against every members/consortium route and API endpoint,
on their own library's objects and on another library's."""

from __future__ import annotations

import pytest
from django.test import Client

from members import services
from members.models import PatronStatus
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "pending", "patron", "librarian", "library_admin", "other_librarian",
         "other_library_admin", "consortium_admin"]  # fmt: skip

# (method, url, {role: expected status}); url may use {home}, {away}, {token}, {pending_id}.
# 302 for anonymous means "sent to the login page"; 403 means refused.
OK, LOGIN, DENIED = 200, 302, 403
MATRIX = [
    ("get", "/", dict.fromkeys(ROLES, OK)),
    ("get", "/libraries/", dict.fromkeys(ROLES, OK)),
    ("get", "/libraries/{home}/", dict.fromkeys(ROLES, OK)),
    ("get", "/register/", dict.fromkeys(ROLES, OK)),
    ("get", "/api/v1/libraries/", dict.fromkeys(ROLES, OK)),
    (
        "get",
        "/my-library/",
        {
            "anonymous": LOGIN,
            "pending": DENIED,
            "patron": DENIED,
            "librarian": OK,
            "library_admin": OK,
            "other_librarian": OK,
            "other_library_admin": OK,
            "consortium_admin": DENIED,
        },
    ),
    ("get", "/manage/members/", {**dict.fromkeys(ROLES, DENIED), "anonymous": LOGIN, "consortium_admin": OK}),
    (
        "get",
        "/manage/members/{home}/",
        {**dict.fromkeys(ROLES, DENIED), "anonymous": LOGIN, "consortium_admin": OK},
    ),
    # Deciding a patron of the home library: only its staff.
    (
        "post",
        "/my-library/patrons/{pending_id}/decide/",
        {
            "anonymous": LOGIN,
            "pending": DENIED,
            "patron": DENIED,
            "librarian": 302,
            "library_admin": 302,
            "other_librarian": DENIED,
            "other_library_admin": DENIED,
            "consortium_admin": DENIED,
        },
    ),
    # Revoking the home library's token: its library admin or a consortium admin.
    (
        "post",
        "/my-library/tokens/{token}/revoke/",
        {
            "anonymous": LOGIN,
            "pending": DENIED,
            "patron": DENIED,
            "librarian": DENIED,
            "library_admin": 302,
            "other_librarian": DENIED,
            "other_library_admin": DENIED,
            "consortium_admin": 302,
        },
    ),
    # Pausing the home library's lending.
    (
        "post",
        "/libraries/{home}/lending/pause/",
        {
            "anonymous": LOGIN,
            "pending": DENIED,
            "patron": DENIED,
            "librarian": DENIED,
            "library_admin": 302,
            "other_librarian": DENIED,
            "other_library_admin": DENIED,
            "consortium_admin": 302,
        },
    ),
    (
        "post",
        "/manage/members/{home}/membership/",
        {**dict.fromkeys(ROLES, DENIED), "anonymous": LOGIN, "consortium_admin": 302},
    ),
]


@pytest.fixture
def people(library, other_library, patron, librarian, library_admin, other_librarian, other_library_admin,
           consortium_admin):  # fmt: skip
    pending = PatronFactory(library=library, patron_status=PatronStatus.PENDING)
    token, _key = services.api_token_create(actor=library_admin, library=library, name="Koha")
    return {
        "users": {
            "pending": pending,
            "patron": patron,
            "librarian": librarian,
            "library_admin": library_admin,
            "other_librarian": other_librarian,
            "other_library_admin": other_library_admin,
            "consortium_admin": consortium_admin,
        },
        "urls": {
            "home": library.code,
            "away": other_library.code,
            "token": token.pk,
            "pending_id": pending.pk,
        },
    }


def _client(people, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people["users"][role], backend="members.backends.EmailOrUsernameBackend")
    return client


CASES = [(method, url, role, expected[role]) for method, url, expected in MATRIX for role in ROLES]


@pytest.mark.parametrize(("method", "url", "role", "expected"), CASES,
                         ids=[f"{m}-{u}-{r}" for m, u, r, _ in CASES])  # fmt: skip
def test_access_matrix(people, method, url, role, expected):
    client = _client(people, role)
    data = (
        {"decision": "approve", "reason": "Closed for exams", "action": "remove"}
        if method == "post"
        else None
    )
    response = getattr(client, method)(url.format(**people["urls"]), data)
    status = response.status_code
    if expected == LOGIN and role == "anonymous":
        assert status == 302
        assert "/accounts/login/" in response["Location"]
    else:
        assert status == expected, f"{role} {method.upper()} {url}: {status}"


def test_post_only_views_refuse_get(people):
    client = _client(people, "library_admin")
    for url in ["/my-library/patrons/{pending_id}/decide/", "/my-library/tokens/{token}/revoke/",
                "/libraries/{home}/lending/pause/", "/my-library/tokens/"]:  # fmt: skip
        assert client.get(url.format(**people["urls"])).status_code == 405, url


def test_state_changes_need_the_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["users"]["library_admin"], backend="members.backends.EmailOrUsernameBackend")
    response = client.post("/libraries/{home}/lending/pause/".format(**people["urls"]), {"reason": "x"})
    assert response.status_code == 403
    people["users"]["library_admin"].library.refresh_from_db()
    assert not people["users"]["library_admin"].library.lending_paused
