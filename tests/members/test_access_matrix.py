"""Who may reach what: every role against every members/consortium route and API endpoint.

Each row: (role, method, route, expected status). "own" objects belong to PK-HOME (the
library of patron/librarian/libadmin), "other" objects to PK-AWAY. A denied POST must also
leave the data unchanged (checked after the table for the state-changing rows).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members import services
from members.models import ApiToken, Library, PatronStatus
from tests.factories import LibrarianFactory, PatronFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "pending_patron",
    "patron",
    "librarian",
    "libadmin",
    "other_librarian",
    "other_libadmin",
    "cadmin",
    "token_own",
    "token_other",
]
LOGIN = "login"  # a redirect to the login page: anonymous, and API tokens on HTML pages
OK, DONE, FORBIDDEN, METHOD = 200, 302, 403, 405


@pytest.fixture
def world(
    library,
    other_library,
    patron,
    librarian,
    library_admin,
    other_librarian,
    other_library_admin,
    consortium_admin,
):
    pending = PatronFactory(username="pending", library=library, patron_status=PatronStatus.PENDING)
    other_pending = PatronFactory(
        username="other-pending", library=other_library, patron_status=PatronStatus.PENDING
    )
    own_token, own_key = services.api_token_create(actor=library_admin, library=library, name="OPAC")
    other_token, other_key = services.api_token_create(
        actor=other_library_admin, library=other_library, name="OPAC"
    )
    return {
        "users": {
            "pending_patron": pending,
            "patron": patron,
            "librarian": librarian,
            "libadmin": library_admin,
            "other_librarian": other_librarian,
            "other_libadmin": other_library_admin,
            "cadmin": consortium_admin,
        },
        "keys": {"token_own": own_key, "token_other": other_key},
        "pending": pending,
        "other_pending": other_pending,
        "own_token": own_token,
        "other_token": other_token,
        "own_staff": LibrarianFactory(username="own-staff", library=library),
        "other_staff": LibrarianFactory(username="other-staff", library=other_library),
    }


def client_for(role: str, world: dict, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    if role in world["users"]:
        client.force_login(world["users"][role], backend="members.backends.EmailOrUsernameBackend")
    elif role in world["keys"]:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world['keys'][role]}"
    return client


def outcome(response) -> int | str:
    """The status code, or LOGIN for a redirect to the login page (the Django admin's too)."""
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/login/?next=" in location:
        return LOGIN
    return response.status_code


def expect(default: int, **by_role: int) -> dict[str, int]:
    return {role: by_role.get(role, default) for role in ROLES}


PUBLIC_PAGE = expect(OK)
STAFF_PAGE = expect(
    FORBIDDEN,
    anonymous=LOGIN,
    token_own=LOGIN,
    token_other=LOGIN,
    librarian=OK,
    libadmin=OK,
    other_librarian=OK,
    other_libadmin=OK,
)
CADMIN_PAGE = expect(FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, cadmin=OK)
SIGNED_IN_PAGE = expect(OK, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN)

# (route name, url kwargs) -> expected status per role, for GET.
GET_MATRIX = [
    ("home", {}, PUBLIC_PAGE),
    ("directory", {}, PUBLIC_PAGE),
    ("library-detail", {"code": "PK-HOME"}, PUBLIC_PAGE),
    ("register", {}, PUBLIC_PAGE),
    ("login", {}, expect(DONE, anonymous=OK, token_own=OK, token_other=OK)),  # signed in: sent on
    ("password_reset", {}, PUBLIC_PAGE),
    ("password_change", {}, SIGNED_IN_PAGE),
    ("my-library", {}, {**STAFF_PAGE, "cadmin": FORBIDDEN}),  # a consortium admin has no own library
    ("members-admin", {}, CADMIN_PAGE),
    ("desk", {}, {**STAFF_PAGE, "cadmin": OK}),  # each sees their own cards (tests/desk)
    ("manage-library", {"code": "PK-HOME"}, CADMIN_PAGE),
    ("manage-library", {"code": "PK-AWAY"}, CADMIN_PAGE),
    ("ill-report", {}, {**STAFF_PAGE, "cadmin": OK}),  # staff: their own library (tests/ill/test_reports)
    # the demo mailbox: consortium admins only, and only with demo delivery (not in the suite)
    ("mailbox", {}, {**CADMIN_PAGE, "cadmin": 404}),
    ("admin:index", {}, expect(LOGIN, cadmin=OK)),
    ("admin:members_library_changelist", {}, expect(LOGIN, cadmin=OK)),
    ("api-library-list", {}, PUBLIC_PAGE),
    ("api-library-detail", {"code": "PK-AWAY"}, PUBLIC_PAGE),
]


def _reverse(name: str, kwargs: dict) -> str:
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(world, role):
    client = client_for(role, world)
    got, wanted = {}, {}
    for name, kwargs, expected in GET_MATRIX:
        url = _reverse(name, kwargs)
        got[url] = outcome(client.get(url))
        wanted[url] = expected[role]
    assert {u: s for u, s in got.items() if s != wanted[u]} == {
        u: s for u, s in wanted.items() if s != got[u]
    }


# POST actions on own and other library's objects: (label, url builder, data, expected by role).
def _posts(world: dict) -> list[tuple[str, str, dict, dict[str, int]]]:
    pending, other_pending = world["pending"], world["other_pending"]
    return [
        (
            "decide own patron",
            reverse("patron-decide", args=[pending.pk]),
            {"decision": "approve"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                librarian=DONE,
                libadmin=DONE,
                other_librarian=FORBIDDEN,
                other_libadmin=FORBIDDEN,
                cadmin=FORBIDDEN,
            ),
        ),
        (
            "decide other library's patron",
            reverse("patron-decide", args=[other_pending.pk]),
            {"decision": "approve"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_librarian=DONE,
                other_libadmin=DONE,
            ),
        ),
        (
            "revoke own token",
            reverse("token-revoke", args=[world["own_token"].pk]),
            {},
            expect(
                FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, libadmin=DONE, cadmin=DONE
            ),
        ),
        (
            "revoke other library's token",
            reverse("token-revoke", args=[world["other_token"].pk]),
            {},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "create token",
            reverse("token-create"),
            {"name": "Kiosk"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                libadmin=DONE,
                other_libadmin=DONE,
                cadmin=FORBIDDEN,
            ),
        ),
        (
            "pause own lending",
            reverse("lending-pause", args=["PK-HOME"]),
            {"reason": "Stocktaking"},
            expect(
                FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, libadmin=DONE, cadmin=DONE
            ),
        ),
        (
            "set own library's ISO 18626 endpoint",
            reverse("library-iso18626", args=["PK-HOME"]),
            {"iso18626_url": "https://ill.home.edu.pk/iso18626"},
            expect(
                FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, libadmin=DONE, cadmin=DONE
            ),
        ),
        (
            "store own library's ISO 18626 credential",
            reverse("library-iso18626-credential", args=["PK-HOME"]),
            {"header": "Authorization", "value": "Bearer own-token"},
            expect(
                FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, libadmin=DONE, cadmin=DONE
            ),
        ),
        (
            "store other library's ISO 18626 credential",
            reverse("library-iso18626-credential", args=["PK-AWAY"]),
            {"header": "Authorization", "value": "Bearer other-token"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "set other library's ISO 18626 endpoint",
            reverse("library-iso18626", args=["PK-AWAY"]),
            {"iso18626_url": "https://ill.away.edu.pk/iso18626"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "pause other library",
            reverse("lending-pause", args=["PK-AWAY"]),
            {"reason": "Stocktaking"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "resume other library",
            reverse("lending-resume", args=["PK-AWAY"]),
            {},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "invite own staff",
            reverse("staff-invite"),
            {"email": "new@home.edu.pk", "role": "librarian"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                libadmin=DONE,
                other_libadmin=DONE,
            ),
        ),
        (
            "invite into other library",
            reverse("manage-library-invite", args=["PK-AWAY"]),
            {"email": "new@away.edu.pk", "role": "library_admin"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "change own staff role",
            reverse("staff-role", args=[world["own_staff"].pk]),
            {"role": "library_admin"},
            expect(
                FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, libadmin=DONE, cadmin=DONE
            ),
        ),
        (
            "change other library's staff",
            reverse("staff-role", args=[world["other_staff"].pk]),
            {"role": "library_admin"},
            expect(
                FORBIDDEN,
                anonymous=LOGIN,
                token_own=LOGIN,
                token_other=LOGIN,
                other_libadmin=DONE,
                cadmin=DONE,
            ),
        ),
        (
            "remove a member library",
            reverse("library-membership", args=["PK-AWAY"]),
            {"action": "remove"},
            expect(FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, cadmin=DONE),
        ),
        (
            "add a member library",
            reverse("members-admin"),
            {"code": "bad code"},
            expect(FORBIDDEN, anonymous=LOGIN, token_own=LOGIN, token_other=LOGIN, cadmin=OK),
        ),
    ]


def _snapshot() -> tuple:
    """Everything the POSTs above could change."""
    from members.models import Invitation, User

    return (
        sorted(User.objects.values_list("username", "role", "patron_status", "is_active")),
        sorted(ApiToken.objects.values_list("name", "revoked_at"), key=str),
        sorted(
            Library.objects.values_list(
                "code",
                "is_active",
                "lending_paused",
                "lending_paused_reason",
                "iso18626_url",
                "iso18626_auth_sealed",
            )
        ),
        Invitation.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_post_matrix_and_denied_posts_change_nothing(world, role, resolver):
    resolver.answer("ill.home.edu.pk", "196.200.10.10")  # the endpoints' hosts, public
    resolver.answer("ill.away.edu.pk", "196.200.20.20")
    _reset(world)
    for label, url, data, expected in _posts(world):
        before = _snapshot()
        response = client_for(role, world).post(url, data)
        assert (label, outcome(response)) == (label, expected[role])
        if expected[role] != DONE:
            assert _snapshot() == before, f"{role} could change data with {label!r}"
        else:
            assert _snapshot() != before or label == "add a member library", f"{label!r} did nothing"
        # undo, so each row starts from the same world
        _reset(world)


def _reset(world: dict) -> None:
    from members.models import Invitation, User

    User.objects.filter(pk__in=[world["pending"].pk, world["other_pending"].pk]).update(
        patron_status=PatronStatus.PENDING
    )
    User.objects.filter(pk__in=[world["own_staff"].pk, world["other_staff"].pk]).update(
        role="librarian", is_active=True
    )
    ApiToken.objects.filter(name="Kiosk").delete()
    ApiToken.objects.update(revoked_at=None, revoked_by=None)
    Library.objects.filter(code="PK-HOME").update(
        is_active=True, lending_paused=False, lending_paused_reason="", iso18626_url=""
    )
    Library.objects.filter(code="PK-AWAY").update(
        iso18626_url="", is_active=True, lending_paused=True, lending_paused_reason="Eid"
    )
    Invitation.objects.all().delete()


# ---------------------------------------------------------------- CSRF and safe GETs


def _all_members_routes():
    """(name, pattern) of every members/consortium HTML route."""
    from members import urls as members_urls

    return [(p.name, p) for p in members_urls.urlpatterns]


POST_ONLY = {
    "patron-decide",
    "staff-invite",
    "staff-role",
    "token-create",
    "token-revoke",
    "manage-library-invite",
    "library-membership",
    "lending-pause",
    "lending-resume",
    "library-iso18626",
    "library-iso18626-credential",
}


def _url(name: str, world: dict) -> str:
    args = {
        "patron-decide": [world["pending"].pk],
        "staff-role": [world["own_staff"].pk],
        "token-revoke": [world["own_token"].pk],
        "manage-library-invite": ["PK-HOME"],
        "library-membership": ["PK-HOME"],
        "lending-pause": ["PK-HOME"],
        "lending-resume": ["PK-HOME"],
        "library-iso18626": ["PK-HOME"],
        "library-iso18626-credential": ["PK-HOME"],
        "library-detail": ["PK-HOME"],
        "manage-library": ["PK-HOME"],
        "invitation-accept": ["no-such-token"],
        "mailbox-message": [1],
    }.get(name, [])
    return reverse(name, args=args)


def test_every_state_changing_route_is_known_here():
    """A new POST-only members view must be added to POST_ONLY (and so to the tests below)."""
    post_only = {name for name, pattern in _all_members_routes() if _is_post_only(pattern.callback)}
    assert post_only == POST_ONLY


def _is_post_only(view) -> bool:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    try:
        response = view(request, code="PK-HOME", user_id=1, token_id=1, token="x")
    except Exception:
        return False
    return response.status_code == 405


@pytest.mark.parametrize("role", ["libadmin", "cadmin"])
def test_get_never_changes_data_and_post_only_routes_answer_405(world, role):
    client = client_for(role, world)
    before = _snapshot()
    for name, _pattern in _all_members_routes():
        response = client.get(_url(name, world))
        if name in POST_ONLY:
            assert (name, response.status_code) == (name, METHOD)
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["libadmin", "cadmin"])
def test_csrf_is_enforced_on_every_state_changing_post(world, role):
    client = client_for(role, world, enforce_csrf=True)
    before = _snapshot()
    for name in sorted(POST_ONLY | {"members-admin", "register"}):
        response = client.post(_url(name, world), {"decision": "approve", "reason": "x", "role": "librarian"})
        assert (name, response.status_code) == (name, 403)
    assert _snapshot() == before


def test_csrf_is_enforced_on_login_form(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "patron", "password": "a-long-test-password-9"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_resolver_has_no_unexpected_members_routes():
    names = {name for name, _ in _all_members_routes()}
    assert names >= POST_ONLY
    assert all(isinstance(p, URLPattern | URLResolver) for p in get_resolver().url_patterns)


def test_directory_links_to_the_html_page_not_the_api(world):
    assert reverse("library-detail", args=["PK-HOME"]) == "/libraries/PK-HOME/"
    assert reverse("api-library-detail", args=["PK-HOME"]) == "/api/v1/libraries/PK-HOME/"
