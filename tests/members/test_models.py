"""Account names: a username or email address names one account in any upper/lower-case
spelling, on every surface that creates or renames accounts (registration, invitations,
the admin) and in the database itself."""

from __future__ import annotations

import threading

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from members import services
from members.exceptions import (
    EMAIL_IS_A_USERNAME,
    EMAIL_TAKEN,
    USERNAME_IS_AN_EMAIL,
    USERNAME_TAKEN,
    MembersConflict,
)
from members.models import User
from tests.factories import TEST_PASSWORD, LibrarianFactory, PatronFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-passphrase-42"


@pytest.fixture
def lums_librarian(library):
    return LibrarianFactory(username="lums-librarian", email="lums-librarian@lums.edu.pk", library=library)


def _register(library, **fields):
    data = {
        "library": library.pk,
        "card_number": "HOME-1",
        "first_name": "Sana",
        "last_name": "Iqbal",
        "email": "sana@example.pk",
        "username": "sana",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "language": "en",
        **fields,
    }
    return Client().post(reverse("register"), data)


# ---------------------------------------------------------------- registration


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "LUMS-LIBRARIAN"}, "username", USERNAME_TAKEN),
        ({"username": "Lums-Librarian"}, "username", USERNAME_TAKEN),
        ({"username": "LUMS-LIBRARIAN@lums.edu.pk"}, "username", USERNAME_IS_AN_EMAIL),
        ({"email": "LUMS-Librarian@LUMS.edu.pk"}, "email", EMAIL_TAKEN),
    ],
    ids=["upper-case-username", "mixed-case-username", "username-is-an-email", "email-in-another-case"],
)
def test_registration_refuses_a_name_another_account_has(lums_librarian, library, fields, field, message):
    # when someone registers with a name of the existing account in another spelling
    response = _register(library, **fields)
    # then the form comes back with the reason on the field, and no account is made
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [str(message)]
    assert str(message) in response.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["lums-librarian"]


def test_registration_refuses_an_email_that_is_another_accounts_username(library):
    LibrarianFactory(username="head@lums.edu.pk", email="head.librarian@lums.edu.pk", library=library)
    response = _register(library, email="Head@LUMS.edu.pk")
    assert response.context["form"].errors["email"] == [str(EMAIL_IS_A_USERNAME)]
    assert User.objects.count() == 1


def test_registration_with_distinct_names_succeeds(lums_librarian, library):
    response = _register(library, username="lums-librarian-2", email="sana@lums.edu.pk")
    assert response.status_code == 302
    assert User.objects.filter(username="lums-librarian-2").exists()


# ---------------------------------------------------------------- invitations


def _invite(library, actor, email, capture) -> str:
    with capture(execute=True):
        services.staff_invite(actor=actor, library=library, email=email, role="librarian")
    from django.core import mail

    return mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]


def test_accepting_an_invitation_refuses_a_username_taken_in_another_case(
    lums_librarian, library, consortium_admin, django_capture_on_commit_callbacks
):
    token = _invite(library, consortium_admin, "new@lums.edu.pk", django_capture_on_commit_callbacks)
    response = Client().post(
        reverse("invitation-accept", args=[token]),
        {
            "username": "LUMS-Librarian",
            "first_name": "Ali",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [str(USERNAME_TAKEN)]
    assert not User.objects.filter(email="new@lums.edu.pk").exists()


def test_inviting_an_address_that_is_another_accounts_username_is_refused(library, consortium_admin):
    LibrarianFactory(username="head@lums.edu.pk", email="head.librarian@lums.edu.pk", library=library)
    with pytest.raises(MembersConflict) as refused:
        services.staff_invite(
            actor=consortium_admin, library=library, email="HEAD@lums.edu.pk", role="librarian"
        )
    assert refused.value.message == EMAIL_IS_A_USERNAME and refused.value.details == {"field": "email"}


def test_inviting_an_address_taken_in_another_case_is_refused(lums_librarian, library, consortium_admin):
    with pytest.raises(MembersConflict) as refused:
        services.staff_invite(
            actor=consortium_admin, library=library, email="LUMS-LIBRARIAN@lums.edu.pk", role="librarian"
        )
    assert refused.value.message == EMAIL_TAKEN


# ---------------------------------------------------------------- the admin and renames


def test_admin_refuses_a_new_account_named_as_another_in_another_case(
    lums_librarian, consortium_admin, login
):
    response = login(consortium_admin).post(
        reverse("admin:members_user_add"),
        {
            "username": "LUMS-LIBRARIAN",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"]
    assert not User.objects.filter(username="LUMS-LIBRARIAN").exists()


def test_admin_refuses_a_new_username_that_is_another_accounts_email(lums_librarian, consortium_admin, login):
    response = login(consortium_admin).post(
        reverse("admin:members_user_add"),
        {
            "username": "Lums-Librarian@lums.edu.pk",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.context["adminform"].form.errors["username"] == [str(USERNAME_IS_AN_EMAIL)]


def _admin_change_form(user: User, actor: User, **changes):
    request = RequestFactory().get("/")
    request.user = actor
    form_class = admin.site._registry[User].get_form(request, obj=user, fields=["username", "email"])
    return form_class(data={"username": user.username, "email": user.email, **changes}, instance=user)


def test_admin_refuses_renaming_an_account_to_another_in_another_case(
    lums_librarian, patron, consortium_admin
):
    form = _admin_change_form(
        patron, consortium_admin, username="LUMS-librarian", email="LUMS-LIBRARIAN@LUMS.EDU.PK"
    )
    assert not form.is_valid()
    assert form.errors == {"username": [str(USERNAME_TAKEN)], "email": [str(EMAIL_TAKEN)]}


def test_an_account_may_change_the_case_of_its_own_names(lums_librarian, consortium_admin):
    form = _admin_change_form(lums_librarian, consortium_admin, username="LUMS-Librarian")
    assert form.is_valid(), form.errors
    form.save()
    lums_librarian.refresh_from_db()
    assert lums_librarian.username == "LUMS-Librarian"


def test_full_clean_names_the_field_once(lums_librarian, patron):
    # the database constraints would also refuse these; the message says it once, on the field
    patron.username = "LUMS-LIBRARIAN"
    patron.email = "Lums-Librarian@lums.edu.pk"
    with pytest.raises(ValidationError) as refused:
        patron.full_clean()
    assert refused.value.message_dict == {"username": [str(USERNAME_TAKEN)], "email": [str(EMAIL_TAKEN)]}


def test_createsuperuser_finds_a_name_in_any_case(lums_librarian):
    assert User.objects.get_by_natural_key("LUMS-Librarian") == lums_librarian


# ---------------------------------------------------------------- the database


@pytest.mark.parametrize(
    "twin",
    [{"username": "LUMS-LIBRARIAN"}, {"email": "Lums-Librarian@Lums.Edu.Pk"}],
    ids=["username", "email"],
)
def test_the_database_refuses_a_twin_that_skips_validation(lums_librarian, library, twin):
    fields = {"username": "someone", "email": "someone@example.pk", **twin}
    with pytest.raises(IntegrityError), transaction.atomic():
        PatronFactory(library=library, **fields)


def test_accounts_without_email_may_be_several(library):
    PatronFactory(library=library, username="walk-in-1", email="")
    PatronFactory(library=library, username="walk-in-2", email="")
    assert User.objects.filter(email="").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_twin_registered_at_the_same_moment_is_a_field_error(library):
    # given a twin account inserted by another request, not yet committed
    inserted, release = threading.Event(), threading.Event()

    def other_request() -> None:
        try:
            with transaction.atomic():
                PatronFactory(library=library, username="Race", email="race1@example.pk")
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    twin = threading.Thread(target=other_request)
    twin.start()
    assert inserted.wait(10)
    # when ours passes its checks (the twin is not visible yet) and commits after the twin
    threading.Timer(0.5, release.set).start()
    with pytest.raises(ValidationError) as refused:
        services.patron_register(
            library=library,
            username="race",
            email="race2@example.pk",
            password=TEST_PASSWORD,
            first_name="R",
            last_name="",
            card_number="RACE-2",
        )
    twin.join(10)
    # then it is refused on the field, as the check would have, and only the twin exists
    assert refused.value.message_dict == {"username": [str(USERNAME_TAKEN)]}
    assert list(User.objects.values_list("username", flat=True)) == ["Race"]
