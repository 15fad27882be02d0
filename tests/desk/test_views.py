"""The desk page: who may open it, where each card leads, and where people land after login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalogue.models import ImportJob
from desk.selectors import desk_for
from ill import states
from policies.calendar import pakistan_date
from tests.desk.factories import IllRequestFactory, ImportJobFactory, InvitationFactory
from tests.policies.factories import AgreementFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db


def test_staff_and_consortium_admins_have_a_desk_patrons_and_visitors_do_not(
    login, librarian, library_admin, consortium_admin, patron
):
    for user in (librarian, library_admin, consortium_admin):
        assert login(user).get("/desk/").status_code == 200
    assert login(patron).get("/desk/").status_code == 403
    anonymous = Client().get("/desk/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=/desk/")


def test_the_header_links_to_the_desk_for_staff_only(login, librarian, consortium_admin, patron):
    assert 'data-testid="nav-desk"' in login(librarian).get("/").content.decode()
    assert 'data-testid="nav-desk"' in login(consortium_admin).get("/").content.decode()
    assert 'data-testid="nav-desk"' not in login(patron).get("/").content.decode()


def test_each_librarian_card_leads_to_a_queue_listing_exactly_what_it_counts(
    login, library, other_library, librarian
):
    # given: one request in every queue the desk shows, each with its own title
    made = {}
    for status in (states.SUBMITTED, states.END_OF_ROTA):
        made[status] = IllRequestFactory(borrower=library, status=status, title=f"Borrowing {status}")
    for status, supplier_status in [
        (states.SHIPPED, states.LOANED), (states.RECEIVED, states.LOANED), (states.OVERDUE, states.OVERDUE_S),
        (states.RETURNED_BY_PATRON, states.LOANED),
    ]:  # fmt: skip
        made[status] = IllRequestFactory(
            borrower=library, supplier=other_library, status=status, supplier_status=supplier_status,
            title=f"Borrowing {status}",
        )  # fmt: skip
    for status, supplier_status in [
        (states.SENT_TO_SUPPLIER, states.REQUEST_RECEIVED), (states.WILL_SUPPLY, states.WILL_SUPPLY_S),
        (states.SHIPPED_RETURN, states.RETURN_SHIPPED), (states.OVERDUE, states.OVERDUE_S),
    ]:  # fmt: skip
        made[supplier_status] = IllRequestFactory(
            borrower=other_library, supplier=library, status=status, supplier_status=supplier_status,
            title=f"Lending {supplier_status}",
        )  # fmt: skip
    client = login(librarian)
    ill_cards = [c for s in desk_for(user=librarian) if s.key in ("borrowing", "lending") for c in s.cards]
    assert len(ill_cards) == 10

    # when / then: every card's link lists its one request and none of the others
    for card in ill_cards:
        html = client.get(card.url).content.decode()
        listed = [req for req in made.values() if f">{req.title}<" in html or f"{req.title}</" in html]
        assert card.count == 1 and len(listed) == 1, (card.key, card.url, [r.title for r in listed])


def test_the_failed_imports_card_leads_to_the_failed_imports(login, library, librarian):
    ImportJobFactory(library=library, status=ImportJob.Status.FAILED, original_name="broken.mrc")
    ImportJobFactory(library=library, status=ImportJob.Status.DONE, original_name="fine.mrc")
    card = next(c for s in desk_for(user=librarian) for c in s.cards if c.key == "imports_failed")

    html = login(librarian).get(card.url).content.decode()

    assert card.url == "/imports/?status=failed"
    assert "broken.mrc" in html and "fine.mrc" not in html


def test_the_consortium_cards_lead_to_the_filtered_pages(login, library, other_library, consortium_admin):
    today = pakistan_date()
    library.lending_paused, library.lending_paused_reason = True, "Stock-taking"
    library.save()
    AgreementFactory(
        name="Ends soon", valid_until=today + timedelta(days=20), parties=[library, other_library]
    )
    AgreementFactory(
        name="Ends later", valid_until=today + timedelta(days=200), parties=[library, other_library]
    )
    PolicyVersionFactory(policy__title="Interlibrary loan code")  # acknowledged by nobody yet
    desk = {c.key: c for s in desk_for(user=consortium_admin) for c in s.cards}
    client = login(consortium_admin)

    members = client.get(desk["paused"].url).content.decode()
    assert "PK-HOME" in members and "PK-AWAY" not in members
    agreements = client.get(desk["agreements_ending"].url).content.decode()
    assert "Ends soon" in agreements and "Ends later" not in agreements
    acknowledgements = client.get(desk["acknowledgements"].url).content.decode()
    assert "Interlibrary loan code" in acknowledgements and "PK-HOME" in acknowledgements
    assert client.get(desk["consortium_end_of_rota"].url).status_code == 200


def test_the_desk_page_shows_counts_ages_and_deadlines(login, library, other_library, librarian):
    IllRequestFactory(borrower=library, status=states.SUBMITTED, waiting=timedelta(days=2, hours=1))

    html = login(librarian).get("/desk/").content.decode()

    assert 'data-testid="card-validate"' in html
    assert "Oldest waiting: 2 days" in html
    assert 'href="/ill/borrowing/?status=submitted"' in html


@pytest.mark.parametrize(
    ("who", "landing"),
    [("patron", "/"), ("librarian", "/desk/"), ("library_admin", "/desk/"), ("consortium_admin", "/desk/")],
)
def test_login_takes_staff_to_their_desk_and_patrons_home(request, password, who, landing):
    user = request.getfixturevalue(who)
    response = Client().post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302 and response["Location"] == landing


def test_login_still_honours_a_safe_next(librarian, password):
    client = Client()
    nxt = client.post(
        "/accounts/login/?next=/ill/lending/", {"username": librarian.username, "password": password}
    )
    assert nxt["Location"] == "/ill/lending/"
    client.logout()
    unsafe = client.post(
        "/accounts/login/?next=https://evil.example/", {"username": librarian.username, "password": password}
    )
    assert unsafe["Location"] == "/desk/"


def test_the_invitations_card_leads_to_the_pending_invitations(login, library, library_admin):
    InvitationFactory(library=library, email="waiting@example.pk")
    InvitationFactory(library=library, email="joined@example.pk", accepted_at=timezone.now())
    card = next(c for s in desk_for(user=library_admin) for c in s.cards if c.key == "invitations")

    html = login(library_admin).get(card.url).content.decode()

    assert card.count == 1 and card.url == "/my-library/#h-invitations"
    assert 'id="h-invitations"' in html
    assert "waiting@example.pk" in html and "joined@example.pk" not in html
