from __future__ import annotations

import pytest
from django.core import mail

from members import services
from members.exceptions import (
    LAST_ADMIN,
    PATRON_ALREADY_DECIDED,
    MembersConflict,
    MembersError,
    MembersPermissionDenied,
)
from members.models import ApiToken, Library, MembershipEvent, PatronStatus, User
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def test_patron_registration_waits_for_home_library(library, librarian, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        patron = services.patron_register(
            library=library,
            username="sana",
            email="sana@example.pk",
            password="x-long-pass-123",
            first_name="Sana",
            last_name="Iqbal",
            card_number="HOME-77",
        )
    # then
    assert patron.patron_status == PatronStatus.PENDING
    assert [m.to for m in mail.outbox] == [["sana@example.pk"]]
    # and when staff approve it
    with django_capture_on_commit_callbacks(execute=True):
        services.patron_decide(actor=librarian, patron=patron, approve=True)
    patron.refresh_from_db()
    assert patron.patron_status == PatronStatus.APPROVED and patron.decided_by == librarian
    assert "approved" in mail.outbox[-1].subject


def test_staff_of_another_library_cannot_decide_a_patron(library, other_librarian):
    patron = PatronFactory(library=library, patron_status=PatronStatus.PENDING)
    with pytest.raises(MembersPermissionDenied):
        services.patron_decide(actor=other_librarian, patron=patron, approve=True)
    patron.refresh_from_db()
    assert patron.patron_status == PatronStatus.PENDING


def test_a_decision_is_taken_once(library, librarian):
    patron = PatronFactory(library=library, patron_status=PatronStatus.PENDING)
    services.patron_decide(actor=librarian, patron=patron, approve=False, reason="Card expired")
    with pytest.raises(MembersConflict, match=str(PATRON_ALREADY_DECIDED)):
        services.patron_decide(actor=librarian, patron=patron, approve=True)
    patron.refresh_from_db()
    assert patron.patron_status == PatronStatus.REFUSED and patron.refusal_reason == "Card expired"


def test_invitation_creates_staff_account_once(library, consortium_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_invite(
            actor=consortium_admin, library=library, email="head@home.edu.pk", role="library_admin"
        )
    body = mail.outbox[-1].body
    token = body.split("/invitations/")[1].split("/")[0]
    user = services.invitation_accept(
        token=token, username="head", password="x-long-pass-123", first_name="Head", last_name="Librarian"
    )
    assert user.role == "library_admin" and user.library == library
    with pytest.raises(services.err.MembersError):
        services.invitation_accept(
            token=token, username="head2", password="x-long-pass-123", first_name="Again", last_name=""
        )
    assert User.objects.filter(email="head@home.edu.pk").count() == 1


def test_last_library_admin_cannot_be_demoted(library_admin, consortium_admin):
    with pytest.raises(MembersConflict, match=str(LAST_ADMIN)):
        services.staff_set_role(actor=consortium_admin, staff=library_admin, role="librarian")
    library_admin.refresh_from_db()
    assert library_admin.role == "library_admin"


def test_removing_a_member_keeps_its_history_and_revokes_tokens(library, library_admin, consortium_admin):
    token, _key = services.api_token_create(actor=library_admin, library=library, name="Koha")
    services.library_deactivate(actor=consortium_admin, library=library, note="Left the consortium")
    library.refresh_from_db()
    token.refresh_from_db()
    assert not library.is_active and library.left_on is not None
    assert token.revoked_at is not None
    assert Library.objects.filter(pk=library.pk).exists()
    assert MembershipEvent.objects.filter(library=library, kind="removed").exists()


def test_pause_requires_reason(library, library_admin):
    with pytest.raises(services.err.MembersError):
        services.library_pause_lending(actor=library_admin, library=library, reason="  ", until=None)
    library.refresh_from_db()
    assert not library.lending_paused


def test_token_is_stored_hashed(library, library_admin):
    token, key = services.api_token_create(actor=library_admin, library=library, name="Koha")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix) and stored.key_hash != key
    assert key.startswith(stored.prefix)


def test_library_admin_records_the_iso18626_endpoint_through_the_page(
    library, library_admin, login, resolver
):
    resolver.answer("ill.home.edu.pk", "196.200.10.10")
    client = login(library_admin)
    page = client.get("/my-library/").content.decode()
    assert 'data-testid="iso-form"' in page
    r = client.post(
        "/libraries/PK-HOME/iso18626/",
        {"iso18626_url": "https://ill.home.edu.pk/iso18626", "next": "/my-library/"},
    )
    assert r.status_code == 302 and r["Location"] == "/my-library/"
    library.refresh_from_db()
    assert library.iso18626_url == "https://ill.home.edu.pk/iso18626"
    assert MembershipEvent.objects.filter(library=library, kind="iso18626_endpoint").count() == 1
    # clearing it goes back to the web queues, and is logged too
    client.post("/libraries/PK-HOME/iso18626/", {"iso18626_url": ""})
    library.refresh_from_db()
    assert library.iso18626_url == ""
    assert MembershipEvent.objects.filter(library=library, kind="iso18626_endpoint").count() == 2


def test_library_admin_stores_a_credential_that_the_page_never_shows_again(library, library_admin, login):
    client = login(library_admin)
    # when the library admin stores its system's token on My library
    r = client.post(
        "/libraries/PK-HOME/iso18626/credential/",
        {"header": "X-Api-Key", "value": "k0ha-s3cret-value", "next": "/my-library/"},
        follow=True,
    )
    page = r.content.decode()
    # then the page says it is stored and in which header, and never shows it
    assert "The credential is stored; the portal sends it in the X-Api-Key header" in page
    state = " ".join(page.split('data-testid="iso-credential-state">')[1].split("</p>")[0].split())
    assert state.startswith("A credential is stored, sent in the X-Api-Key header since")
    assert "k0ha-s3cret-value" not in page and "k0ha" not in client.get("/my-library/").content.decode()
    library.refresh_from_db()
    assert library.iso18626_auth_header == "X-Api-Key" and "k0ha" not in library.iso18626_auth_sealed
    note = MembershipEvent.objects.filter(library=library, kind="iso18626_endpoint").latest("pk").note
    assert note == "credential set (header X-Api-Key)"


@pytest.mark.parametrize(
    ("header", "value", "says"),
    [
        ("Authorization\r\nX-Evil", "Bearer t", "cannot be the credential's header"),
        ("Host", "evil.example", "cannot be the credential's header"),
        ("Authorization", "Bearer t\r\nX-Evil: 1", "one line of printable ASCII characters"),
        ("Authorization", "Bearer ٹوکن", "one line of printable ASCII characters"),
    ],
)
def test_a_bad_credential_is_refused_and_the_stored_one_kept(
    library, library_admin, login, header, value, says
):
    client = login(library_admin)
    client.post(
        "/libraries/PK-HOME/iso18626/credential/", {"header": "Authorization", "value": "Bearer good"}
    )
    library.refresh_from_db()
    stored = library.iso18626_auth_sealed
    page = client.post(
        "/libraries/PK-HOME/iso18626/credential/", {"header": header, "value": value}, follow=True
    ).content.decode()
    assert "alert-danger" in page and says in page.replace("&#x27;", "'")
    library.refresh_from_db()
    assert (library.iso18626_auth_header, library.iso18626_auth_sealed) == ("Authorization", stored)


@pytest.mark.parametrize("url", ["ftp://ill.home.edu.pk/x", "javascript:alert(1)", "https://"])
def test_bad_iso18626_endpoint_is_refused_and_the_old_one_kept(library, library_admin, login, url):
    library.iso18626_url = "https://ill.home.edu.pk/iso18626"
    library.save()
    page = login(library_admin).post("/libraries/PK-HOME/iso18626/", {"iso18626_url": url}, follow=True)
    assert page.status_code == 200 and "alert-danger" in page.content.decode()
    library.refresh_from_db()
    assert library.iso18626_url == "https://ill.home.edu.pk/iso18626"


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("10.0.0.1", "10.0.0.1"),
        ("169.254.169.254", "169.254.169.254"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("fd00::1", "fd00::1"),
    ],
)
def test_an_endpoint_on_an_inside_address_is_refused_when_saved(
    library, library_admin, login, resolver, settings, answer, shown
):
    # given a portal that calls public addresses only, and a host that resolves inside
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    resolver.answer("ill.home.edu.pk", answer)
    # when the library admin saves it
    page = login(library_admin).post(
        "/libraries/PK-HOME/iso18626/", {"iso18626_url": "https://ill.home.edu.pk/iso18626"}, follow=True
    )
    # then the page says why, and nothing was saved
    text = page.content.decode()
    assert "alert-danger" in text and shown in text and "not a public address" in text
    library.refresh_from_db()
    assert library.iso18626_url == ""
    assert not MembershipEvent.objects.filter(library=library, kind="iso18626_endpoint").exists()


@pytest.mark.parametrize(
    "url", ["http://[::ffff:127.0.0.1]/iso18626", "http://[::1]:8080/x", "http://10.1.2.3/iso18626"]
)
def test_an_endpoint_written_as_an_inside_address_is_refused(library, library_admin, settings, url):
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    with pytest.raises(MembersError, match="not a public address") as refused:
        services.library_iso18626_endpoint_set(actor=library_admin, library=library, url=url)
    assert refused.value.details == {"field": "iso18626_url"}
    library.refresh_from_db()
    assert library.iso18626_url == ""


def test_an_endpoint_whose_host_is_unknown_is_refused(library, library_admin, resolver):
    resolver.answer("ill.home.edu.pk", [])  # no address (NXDOMAIN-like)
    with pytest.raises(MembersError, match="could not be found"):
        services.library_iso18626_endpoint_set(
            actor=library_admin, library=library, url="https://ill.home.edu.pk/iso18626"
        )


def test_the_django_admin_refuses_an_inside_endpoint_too(library, resolver, settings):
    from members.admin import LibraryAdminForm

    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    resolver.answer("ill.home.edu.pk", "10.0.0.1")
    data = {f.name: getattr(library, f.attname) for f in Library._meta.fields if f.editable}
    form = LibraryAdminForm(data={**data, "iso18626_url": "https://ill.home.edu.pk/x"}, instance=library)
    assert not form.is_valid()
    assert "not a public address" in form.errors["iso18626_url"][0]


def test_forms_never_send_a_librarian_to_another_site(library, library_admin, login):
    r = login(library_admin).post(
        "/libraries/PK-HOME/lending/pause/", {"reason": "Stocktaking", "next": "https://evil.example/"}
    )
    assert r.status_code == 302 and r["Location"] == "/my-library/"
