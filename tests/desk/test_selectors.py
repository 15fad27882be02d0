"""Each role's desk: which cards, what they count, scoped to the person's library."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from catalogue.models import ImportJob
from desk.selectors import desk_for
from ill import states
from members.models import Library, MembershipEvent, PatronStatus
from policies.models import AgreementStatus, PolicyAcknowledgement
from tests.desk.factories import (
    ApiTokenFactory,
    AskedRotaEntryFactory,
    IllRequestFactory,
    ImportJobFactory,
    InvitationFactory,
)
from tests.factories import LibraryFactory, PatronFactory
from tests.policies.factories import AgreementFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db

LIBRARY_CARDS = ["imports_failed", "patrons"]


def cards(user) -> dict:
    return {card.key: card for section in desk_for(user=user) for card in section.cards}


def counts(user) -> dict[str, int]:
    return {key: card.count for key, card in cards(user).items()}


def borrowing(library, other, status, **kw):
    supplier = other if status not in (states.SUBMITTED, states.END_OF_ROTA) else None
    supplier_status = {
        states.SHIPPED: states.LOANED, states.RECEIVED: states.LOANED, states.OVERDUE: states.OVERDUE_S,
        states.RETURNED_BY_PATRON: states.LOANED,
    }.get(status, states.NONE)  # fmt: skip
    return IllRequestFactory(
        borrower=library, supplier=supplier, status=status, supplier_status=supplier_status, **kw
    )


def lending(library, other, supplier_status, **kw):
    status = {
        states.REQUEST_RECEIVED: states.SENT_TO_SUPPLIER, states.WILL_SUPPLY_S: states.WILL_SUPPLY,
        states.RETURN_SHIPPED: states.SHIPPED_RETURN, states.OVERDUE_S: states.OVERDUE,
    }[supplier_status]  # fmt: skip
    return IllRequestFactory(
        borrower=other, supplier=library, status=status, supplier_status=supplier_status, **kw
    )


def test_a_librarian_sees_the_queues_of_their_own_library(library, other_library, librarian, monday):
    # given: work for the librarian's library on both sides, and the same between two others
    third = LibraryFactory(code="PK-THIRD")
    for status, n in [
        (states.SUBMITTED, 3), (states.END_OF_ROTA, 1), (states.SHIPPED, 2), (states.RECEIVED, 1),
        (states.OVERDUE, 2), (states.RETURNED_BY_PATRON, 1), (states.COMPLETED, 4),
    ]:  # fmt: skip
        for _ in range(n):
            borrowing(library, other_library, status)
            borrowing(other_library, third, status)
    for supplier_status, n in [
        (states.WILL_SUPPLY_S, 2), (states.RETURN_SHIPPED, 1), (states.OVERDUE_S, 3),
    ]:  # fmt: skip
        for _ in range(n):
            lending(library, other_library, supplier_status)
            lending(other_library, third, supplier_status)
    AskedRotaEntryFactory(request=lending(library, other_library, states.REQUEST_RECEIVED))
    ImportJobFactory(library=library, status=ImportJob.Status.FAILED)
    ImportJobFactory(library=library, status=ImportJob.Status.DONE)
    ImportJobFactory(library=other_library, status=ImportJob.Status.FAILED)
    PatronFactory(library=library, patron_status=PatronStatus.PENDING)
    PatronFactory(library=other_library, patron_status=PatronStatus.PENDING)

    # then
    assert counts(librarian) == {
        "validate": 3, "end_of_rota": 1, "receive": 2, "check_out": 1, "overdue_borrowed": 2, "ship_back": 1,
        "answer": 1, "ship": 2, "check_in": 1, "overdue_lent": 3,
        "imports_failed": 1, "patrons": 1,
    }  # fmt: skip


def test_each_card_says_how_long_its_oldest_item_has_waited(library, other_library, librarian, monday):
    borrowing(library, other_library, states.SUBMITTED, waiting=timedelta(days=3, hours=2))
    borrowing(library, other_library, states.SUBMITTED, waiting=timedelta(hours=1))
    borrowing(library, other_library, states.SHIPPED, waiting=timedelta(hours=5))
    borrowing(library, other_library, states.RECEIVED, waiting=timedelta(minutes=10))

    desk = cards(librarian)

    assert desk["validate"].age_text == "3 days"
    assert desk["receive"].age_text == "5 hours"
    assert desk["check_out"].age_text == "under an hour"
    assert desk["overdue_borrowed"].age_text == ""  # nothing waiting, no age


def test_answers_owed_as_lender_show_working_day_deadlines_due_today_and_overdue(
    library, other_library, librarian, monday
):
    # given: three requests asked of this library, deadlines gone, later today, on Thursday
    for deadline in (monday - timedelta(hours=1), monday + timedelta(hours=8), monday + timedelta(days=3)):
        AskedRotaEntryFactory(
            request=lending(library, other_library, states.REQUEST_RECEIVED), deadline_at=deadline
        )
    # an older entry of another lender on one of them does not count for this library
    other_asked = lending(other_library, library, states.REQUEST_RECEIVED)
    AskedRotaEntryFactory(request=other_asked, deadline_at=monday - timedelta(days=2))

    answer = cards(librarian)["answer"]

    assert (answer.count, answer.due_today, answer.overdue) == (3, 1, 1)
    assert cards(librarian)["ship"].due_today is None  # no deadline kept for shipping


def test_a_library_admin_also_sees_tokens_and_invitations(
    library, other_library, library_admin, librarian, monday
):
    # given: a forgotten token, a token used yesterday, a revoked old one, and invitations
    forgotten = ApiTokenFactory(library=library)
    ApiTokenFactory(library=library, last_used_at=monday - timedelta(days=1))
    revoked = ApiTokenFactory(library=library, revoked_at=monday)
    ApiTokenFactory(library=other_library)
    for token in (forgotten, revoked):
        type(token).objects.filter(pk=token.pk).update(created_at=monday - timedelta(days=200))
    type(ApiTokenFactory(library=other_library)).objects.filter(library=other_library).update(
        created_at=monday - timedelta(days=200)
    )
    InvitationFactory(library=library)
    InvitationFactory(library=library, expires_at=monday - timedelta(days=1))  # lapsed
    InvitationFactory(library=library, accepted_at=monday)
    InvitationFactory(library=other_library)

    admin_desk = counts(library_admin)

    assert admin_desk["tokens"] == 1 and admin_desk["invitations"] == 1
    assert cards(library_admin)["tokens"].age_text == "200 days"
    assert "tokens" not in counts(librarian) and "invitations" not in counts(librarian)


def test_the_consortium_admins_desk(library, other_library, consortium_admin, monday):
    today = date(2026, 12, 7)
    # paused libraries: one paused indefinitely, one until yesterday (lending again), one former
    library.lending_paused, library.lending_paused_reason = True, "Stock-taking"
    library.save()
    MembershipEvent.objects.create(library=library, kind="lending_paused")
    other_library.lending_paused, other_library.lending_paused_reason = True, "Move"
    other_library.lending_paused_until = today - timedelta(days=1)
    other_library.save()
    # agreements: ending in 30 days, in 90 days, already ended, a proposal ending soon
    AgreementFactory(valid_until=today + timedelta(days=30), parties=[library, other_library])
    AgreementFactory(valid_until=today + timedelta(days=90), parties=[library, other_library])
    AgreementFactory(valid_until=today - timedelta(days=1), parties=[library, other_library])
    AgreementFactory(
        valid_until=today + timedelta(days=10),
        status=AgreementStatus.PROPOSED,
        parties=[library, other_library],
    )
    # policies: one acknowledged by every member, one missing a member, one superseded by v2
    done = PolicyVersionFactory()
    missing = PolicyVersionFactory()
    old = PolicyVersionFactory()
    newer = PolicyVersionFactory(policy=old.policy, number=2)
    for lib in (library, other_library):
        PolicyAcknowledgement.objects.create(library=lib, version=done)
        PolicyAcknowledgement.objects.create(library=lib, version=newer)
    PolicyAcknowledgement.objects.create(library=library, version=missing)
    # requests at end of rota anywhere; a failed import anywhere
    borrowing(library, other_library, states.END_OF_ROTA)
    borrowing(other_library, library, states.END_OF_ROTA)
    ImportJobFactory(library=other_library, status=ImportJob.Status.FAILED)

    desk = cards(consortium_admin)

    assert {key: card.count for key, card in desk.items()} == {
        "paused": 1, "agreements_ending": 1, "acknowledgements": 1, "consortium_end_of_rota": 2,
        "imports_failed": 1,
    }  # fmt: skip
    assert desk["agreements_ending"].ends_on == today + timedelta(days=30)
    assert desk["acknowledgements"].url == f"/manage/policies/{missing.policy.slug}/acknowledgements/"
    assert Library.objects.count() == 2


def test_a_patron_has_no_desk(patron):
    assert desk_for(user=patron) == []


@pytest.mark.parametrize(
    ("who", "queries"), [("librarian", 4), ("library_admin", 6), ("consortium_admin", 5)]
)
def test_one_query_per_card_at_most(request, who, queries, library, other_library, django_assert_num_queries):
    # given: work in every queue, so no card is answered without asking the database
    for status in (states.SUBMITTED, states.SHIPPED, states.OVERDUE, states.END_OF_ROTA):
        borrowing(library, other_library, status)
    for supplier_status in (states.REQUEST_RECEIVED, states.WILL_SUPPLY_S, states.RETURN_SHIPPED):
        lending(library, other_library, supplier_status)
    user = request.getfixturevalue(who)

    with django_assert_num_queries(queries):
        sections = desk_for(user=user)

    number_of_cards = sum(len(section.cards) for section in sections)
    assert queries <= number_of_cards
