"""Policy drafting, publishing, acknowledgement; agreements from draft to signature to suspension."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from members.models import OutboundEmail
from policies import exceptions as err
from policies import services
from policies.models import (
    Agreement,
    AgreementAcceptance,
    AgreementKind,
    AgreementStatus,
    PolicyAcknowledgement,
    PolicyVersion,
    VersionStatus,
)
from policies.terms import terms_for
from tests.factories import LibraryAdminFactory, LibraryFactory
from tests.policies.factories import AgreementFactory

pytestmark = pytest.mark.django_db

BODY = "# Interlibrary loan\n\nMembers lend returnable items for 14 days."


@pytest.fixture
def policy(consortium_admin):
    return services.policy_create(
        actor=consortium_admin,
        title="Interlibrary loan",
        slug="ill",
        category="interlibrary_loan",
        body_markdown=BODY,
    )


@pytest.fixture
def published(policy, consortium_admin):
    draft = policy.versions.get()
    return services.policy_version_publish(
        actor=consortium_admin, version=draft, effective_from=date(2026, 1, 1), revision=draft.revision
    )


# --- policies ---------------------------------------------------------------------------


def test_create_policy_starts_a_draft(policy, consortium_admin):
    draft = policy.versions.get()
    assert (draft.number, draft.status, draft.body_markdown) == (1, VersionStatus.DRAFT, BODY)
    assert draft.created_by == consortium_admin


def test_only_consortium_admins_write_policies(library_admin):
    with pytest.raises(err.PoliciesPermissionDenied, match="Only a consortium admin"):
        services.policy_create(actor=library_admin, title="X", slug="x", category="training")


def test_duplicate_slug_is_refused(policy, consortium_admin):
    with pytest.raises(err.PoliciesError, match="already uses the address"):
        services.policy_create(actor=consortium_admin, title="Other", slug="ill", category="training")


def test_megabyte_draft_is_refused_and_nothing_is_saved(policy, consortium_admin):
    draft = policy.versions.get()
    with pytest.raises(err.PoliciesError, match="limit is 200 KB"):
        services.policy_draft_save(
            actor=consortium_admin, version=draft, body_markdown="x" * 1_048_576, revision=draft.revision
        )
    draft.refresh_from_db()
    assert draft.body_markdown == BODY and draft.revision == 1


def test_second_editor_with_a_stale_revision_is_told_and_nothing_is_overwritten(policy, consortium_admin):
    # given: two admins loaded revision 1 of the draft
    other_admin = type(consortium_admin).objects.create(
        username="second",
        email="second@example.pk",
        role="consortium_admin",
        first_name="Sana",
        last_name="Iqbal",
    )
    draft = policy.versions.get()
    loaded = draft.revision
    # when: the first saves, then the second saves on the revision they loaded
    services.policy_draft_save(actor=other_admin, version=draft, body_markdown="first edit", revision=loaded)
    with pytest.raises(err.StaleDraft) as excinfo:
        services.policy_draft_save(
            actor=consortium_admin, version=draft, body_markdown="second edit", revision=loaded
        )
    # then: the first edit stays, and the message names who saved
    draft.refresh_from_db()
    assert draft.body_markdown == "first edit"
    assert "Sana Iqbal" in excinfo.value.message
    assert excinfo.value.details["current_revision"] == draft.revision == 2


def test_publish_makes_the_version_immutable_and_edits_go_to_a_new_draft(published, consortium_admin, policy):
    assert published.status == VersionStatus.PUBLISHED and published.published_by == consortium_admin
    with pytest.raises(err.PoliciesConflict, match="published and cannot be changed"):
        services.policy_draft_save(
            actor=consortium_admin, version=published, body_markdown="sneaky", revision=published.revision
        )
    draft = services.policy_draft_start(actor=consortium_admin, policy=policy)
    assert (draft.number, draft.body_markdown) == (2, BODY)
    # starting again returns the same open draft (a double-submitted form does no harm)
    assert services.policy_draft_start(actor=consortium_admin, policy=policy) == draft
    published.refresh_from_db()
    assert published.body_markdown == BODY


def test_publish_needs_text_and_a_date_not_before_the_previous_version(published, policy, consortium_admin):
    draft = services.policy_draft_start(actor=consortium_admin, policy=policy)
    with pytest.raises(err.PoliciesError, match="Give the date"):
        services.policy_version_publish(
            actor=consortium_admin, version=draft, effective_from=None, revision=1
        )
    with pytest.raises(err.PoliciesError, match="cannot take effect before"):
        services.policy_version_publish(
            actor=consortium_admin, version=draft, effective_from=date(2025, 12, 31), revision=1
        )
    emptied = services.policy_draft_save(
        actor=consortium_admin, version=draft, body_markdown="  ", revision=1
    )
    with pytest.raises(err.PoliciesError, match="needs some text"):
        services.policy_version_publish(
            actor=consortium_admin,
            version=emptied,
            effective_from=date(2026, 6, 1),
            revision=emptied.revision,
        )
    assert PolicyVersion.objects.filter(policy=policy, status=VersionStatus.PUBLISHED).count() == 1


def test_retire_policy(published, policy, consortium_admin):
    services.policy_retire(actor=consortium_admin, policy=policy)
    policy.refresh_from_db()
    assert policy.retired and policy.retired_by == consortium_admin
    with pytest.raises(err.PoliciesConflict, match="retired"):
        services.policy_draft_start(actor=consortium_admin, policy=policy)


def test_library_admin_acknowledges_the_current_version_once(published, library_admin, library):
    ack = services.policy_acknowledge(actor=library_admin, version=published)
    assert (ack.library, ack.acknowledged_by) == (library, library_admin)
    with pytest.raises(err.PoliciesConflict, match="already acknowledged"):
        services.policy_acknowledge(actor=library_admin, version=published)


def test_librarian_cannot_acknowledge(published, librarian):
    with pytest.raises(err.PoliciesPermissionDenied, match="Only a library admin"):
        services.policy_acknowledge(actor=librarian, version=published)
    assert not PolicyAcknowledgement.objects.exists()


def test_an_old_version_cannot_be_acknowledged(published, policy, consortium_admin, library_admin):
    draft = services.policy_draft_start(actor=consortium_admin, policy=policy)
    services.policy_version_publish(
        actor=consortium_admin, version=draft, effective_from=date(2026, 7, 1), revision=draft.revision
    )
    with pytest.raises(err.PoliciesConflict, match="Only the version in force"):
        services.policy_acknowledge(actor=library_admin, version=published)


def test_reminders_go_to_admins_of_libraries_that_have_not_acknowledged(
    published,
    policy,
    consortium_admin,
    library_admin,
    other_library_admin,
    django_capture_on_commit_callbacks,
):
    services.policy_acknowledge(actor=library_admin, version=published)
    quiet = LibraryFactory(code="PK-QUIET", email="desk@quiet.edu.pk")  # no admin account: library address
    with django_capture_on_commit_callbacks(execute=True):
        reminded = services.policy_reminders_send(actor=consortium_admin, policy=policy)
    assert reminded == 2
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted([other_library_admin.email, quiet.email])
    assert all("Interlibrary loan" in m.subject for m in mail.outbox)
    # a second click the same day sends nothing new
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_reminders_send(actor=consortium_admin, policy=policy)
    assert OutboundEmail.objects.count() == 2


# --- agreements -----------------------------------------------------------------------


def make_bilateral(actor, a, b, **terms):
    defaults = {"services_allowed": ["loan", "copy"], "loan_period_days": 21}
    return services.agreement_create(
        actor=actor,
        name=f"{a.code}–{b.code}",
        kind=AgreementKind.BILATERAL,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        parties=[a, b],
        **{**defaults, **terms},
    )


def test_agreement_becomes_active_only_when_every_party_accepted(
    consortium_admin,
    library,
    other_library,
    library_admin,
    other_library_admin,
    django_capture_on_commit_callbacks,
):
    agreement = make_bilateral(consortium_admin, library, other_library)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_propose(actor=consortium_admin, agreement=agreement)
    assert agreement.status == AgreementStatus.PROPOSED
    assert {m.to[0] for m in mail.outbox} == {library_admin.email, other_library_admin.email}
    agreement = services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    assert agreement.status == AgreementStatus.PROPOSED
    assert terms_for(borrower=library, lender=other_library, service="loan", on=date(2026, 6, 1)) is None
    agreement = services.agreement_accept(
        actor=other_library_admin, agreement=agreement, library=other_library
    )
    assert agreement.status == AgreementStatus.ACTIVE and agreement.activated_at
    accepted = AgreementAcceptance.objects.filter(agreement=agreement).order_by("library__code")
    assert [(a.library, a.accepted_by) for a in accepted] == [
        (other_library, other_library_admin),
        (library, library_admin),
    ]
    assert list(agreement.events.values_list("kind", flat=True)) == [
        "created",
        "proposed",
        "accepted",
        "accepted",
        "activated",
    ]
    assert (
        terms_for(
            borrower=library, lender=other_library, service="loan", on=date(2026, 6, 1)
        ).loan_period_days
        == 21
    )


def test_admin_of_another_library_cannot_sign_for_a_party(
    consortium_admin, library, other_library, third_library, other_library_admin
):
    agreement = services.agreement_propose(
        actor=consortium_admin, agreement=make_bilateral(consortium_admin, library, third_library)
    )
    with pytest.raises(err.PoliciesPermissionDenied):
        services.agreement_accept(actor=other_library_admin, agreement=agreement, library=library)
    with pytest.raises(err.PoliciesPermissionDenied, match="not a party"):
        services.agreement_accept(actor=other_library_admin, agreement=agreement, library=other_library)
    assert not AgreementAcceptance.objects.exists()


def test_accepting_twice_or_a_draft_is_refused(consortium_admin, library, other_library, library_admin):
    agreement = make_bilateral(consortium_admin, library, other_library)
    with pytest.raises(err.InvalidTransition, match="Draft"):
        services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    services.agreement_propose(actor=consortium_admin, agreement=agreement)
    services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    with pytest.raises(err.PoliciesConflict, match="already accepted"):
        services.agreement_accept(actor=library_admin, agreement=agreement, library=library)


@pytest.mark.parametrize(
    ("days", "message"), [(0, "between 1 and 365"), (5000, "between 1 and 365"), (120, "consortium maximum")]
)
def test_loan_period_out_of_range_is_refused(consortium_admin, library, other_library, days, message):
    with pytest.raises(err.PoliciesError, match=message) as excinfo:
        make_bilateral(consortium_admin, library, other_library, loan_period_days=days)
    assert excinfo.value.details["field"] == "loan_period_days"
    assert not Agreement.objects.exists()


def test_party_that_is_not_an_active_member_is_refused(consortium_admin, library, other_library):
    other_library.is_active = False
    other_library.save()
    with pytest.raises(err.PoliciesError, match="not an active member"):
        make_bilateral(consortium_admin, library, other_library)


def test_bilateral_needs_exactly_two_parties_and_multilateral_three(
    consortium_admin, library, other_library, third_library
):
    with pytest.raises(err.PoliciesError, match="exactly two parties"):
        services.agreement_create(
            actor=consortium_admin,
            name="Three",
            kind="bilateral",
            valid_from=date(2026, 1, 1),
            parties=[library, other_library, third_library],
            services_allowed=["loan"],
        )
    with pytest.raises(err.PoliciesError, match="at least three parties"):
        services.agreement_create(
            actor=consortium_admin,
            name="Two",
            kind="multilateral",
            valid_from=date(2026, 1, 1),
            parties=[library, other_library],
            services_allowed=["loan"],
        )


def test_validity_ending_before_it_starts_is_refused(consortium_admin, library, other_library):
    with pytest.raises(err.PoliciesError, match="end on or after its start"):
        services.agreement_create(
            actor=consortium_admin,
            name="Backwards",
            kind="bilateral",
            valid_from=date(2026, 6, 1),
            valid_until=date(2026, 5, 1),
            parties=[library, other_library],
            services_allowed=["loan"],
        )


def test_overlapping_bilateral_for_the_same_pair_and_service_is_refused(
    consortium_admin, library, other_library
):
    first = make_bilateral(consortium_admin, library, other_library, services_allowed=["loan"])
    services.agreement_propose(actor=consortium_admin, agreement=first)
    with pytest.raises(err.PoliciesError, match="overlap") as excinfo:
        services.agreement_create(
            actor=consortium_admin,
            name="Second",
            kind="bilateral",
            valid_from=date(2026, 12, 1),
            parties=[other_library, library],
            services_allowed=["loan", "copy"],
        )
    assert first.name in excinfo.value.message
    # a copy-only agreement for the same pair and period is fine, and so is one starting after
    make_bilateral(consortium_admin, library, other_library, services_allowed=["copy"])
    services.agreement_create(
        actor=consortium_admin,
        name="Next year",
        kind="bilateral",
        valid_from=date(2027, 1, 1),
        parties=[library, other_library],
        services_allowed=["loan"],
    )


def test_terms_contradicting_the_consortium_wide_agreement_are_refused(
    consortium_admin, library, other_library
):
    AgreementFactory(
        name="Consortium ILL",
        kind=AgreementKind.CONSORTIUM_WIDE,
        excluded_formats=["rare", "manuscript"],
        response_deadline_days=3,
    )
    with pytest.raises(err.PoliciesError, match="protects manuscript, rare") as excinfo:
        make_bilateral(consortium_admin, library, other_library, excluded_formats=["thesis"])
    assert excinfo.value.details["field"] == "excluded_formats"
    with pytest.raises(err.PoliciesError, match="within 3 working days"):
        make_bilateral(
            consortium_admin,
            library,
            other_library,
            excluded_formats=["rare", "manuscript"],
            response_deadline_days=10,
        )
    # narrower and more generous where allowed: copy-only with a longer loan period is fine
    make_bilateral(
        consortium_admin,
        library,
        other_library,
        excluded_formats=["rare", "manuscript", "thesis"],
        loan_period_days=60,
    )


def test_consortium_wide_agreement_is_signed_by_every_active_member(
    consortium_admin, library, other_library, library_admin, other_library_admin
):
    LibraryFactory(code="PK-GONE", is_active=False)
    agreement = services.agreement_create(
        actor=consortium_admin,
        name="Consortium ILL",
        kind="consortium",
        valid_from=date(2026, 1, 1),
        services_allowed=["loan", "copy"],
    )
    agreement = services.agreement_propose(actor=consortium_admin, agreement=agreement)
    assert set(agreement.parties.values_list("code", flat=True)) == {"PK-HOME", "PK-AWAY"}
    services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    agreement = services.agreement_accept(
        actor=other_library_admin, agreement=agreement, library=other_library
    )
    assert agreement.status == AgreementStatus.ACTIVE
    # a library that joins later is covered by joining
    newcomer = LibraryFactory(code="PK-NEW")
    assert (
        terms_for(borrower=newcomer, lender=library, service="copy", on=date(2026, 6, 1)).agreement_id
        == agreement.pk
    )


def test_consortium_wide_agreement_takes_no_party_list(consortium_admin, library):
    with pytest.raises(err.PoliciesError, match="every member"):
        services.agreement_create(
            actor=consortium_admin,
            name="CW",
            kind="consortium",
            valid_from=date(2026, 1, 1),
            parties=[library],
            services_allowed=["loan"],
        )


def test_suspend_and_terminate_need_a_reason_and_change_only_new_routing(
    consortium_admin, library, other_library, django_capture_on_commit_callbacks
):
    agreement = AgreementFactory(parties=[library, other_library], loan_period_days=21)
    terms_before = terms_for(borrower=library, lender=other_library, service="loan", on=date(2026, 6, 1))
    with pytest.raises(err.PoliciesError, match="Give a reason"):
        services.agreement_suspend(actor=consortium_admin, agreement=agreement, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_suspend(
            actor=consortium_admin, agreement=agreement, reason="Unreturned books"
        )
    assert agreement.status == AgreementStatus.SUSPENDED and agreement.status_reason == "Unreturned books"
    assert terms_for(borrower=library, lender=other_library, service="loan", on=date(2026, 6, 1)) is None
    # terms copied for a loan made earlier are untouched
    assert terms_before.loan_period_days == 21 and terms_before.agreement_id == agreement.pk
    assert any("Unreturned books" in m.body for m in mail.outbox)
    agreement = services.agreement_resume(actor=consortium_admin, agreement=agreement)
    assert agreement.status == AgreementStatus.ACTIVE
    agreement = services.agreement_terminate(actor=consortium_admin, agreement=agreement, reason="Merged")
    with pytest.raises(err.InvalidTransition, match="from Terminated to Active"):
        services.agreement_resume(actor=consortium_admin, agreement=agreement)
    assert [e.kind for e in agreement.events.all()] == ["suspended", "resumed", "terminated"]


def test_library_admin_cannot_suspend(library_admin, library, other_library):
    agreement = AgreementFactory(parties=[library, other_library])
    with pytest.raises(err.PoliciesPermissionDenied):
        services.agreement_suspend(actor=library_admin, agreement=agreement, reason="no")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE


def test_only_drafts_are_edited_and_withdrawal_clears_signatures(
    consortium_admin, library, other_library, library_admin
):
    agreement = make_bilateral(consortium_admin, library, other_library)
    agreement = services.agreement_update(actor=consortium_admin, agreement=agreement, loan_period_days=28)
    assert agreement.loan_period_days == 28
    services.agreement_propose(actor=consortium_admin, agreement=agreement)
    services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    with pytest.raises(err.PoliciesConflict, match="Only a draft"):
        services.agreement_update(actor=consortium_admin, agreement=agreement, loan_period_days=7)
    services.agreement_withdraw(actor=consortium_admin, agreement=agreement)
    assert not agreement.acceptances.exists()
    agreement.refresh_from_db()
    assert agreement.loan_period_days == 28 and agreement.status == AgreementStatus.DRAFT


def test_expiry_marks_ended_agreements(library, other_library):
    ended = AgreementFactory(parties=[library, other_library], valid_until=date(2026, 5, 31))
    running = AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE)
    count, more = services.agreements_expire(today=date(2026, 6, 1))
    assert (count, more) == (1, False)
    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.status == AgreementStatus.EXPIRED and running.status == AgreementStatus.ACTIVE
    assert ended.events.get().kind == "expired"


def test_expiry_works_in_bounded_batches(library, other_library):
    for year in range(2010, 2015):
        AgreementFactory(
            parties=[library, other_library], valid_from=date(year, 1, 1), valid_until=date(year, 12, 31)
        )
    assert services.agreements_expire(today=date(2026, 1, 1), limit=3) == (3, True)
    assert services.agreements_expire(today=date(2026, 1, 1), limit=3) == (2, False)


def test_expire_task_runs_the_service(library, other_library):
    from policies.tasks import expire_agreements_task

    AgreementFactory(
        parties=[library, other_library], valid_from=date(2019, 1, 1), valid_until=date(2020, 1, 1)
    )
    assert expire_agreements_task.delay().get() == 1


def test_incorporated_policy_versions_must_be_published(consortium_admin, policy, library, other_library):
    draft = policy.versions.get()
    with pytest.raises(err.PoliciesError, match="published policy versions"):
        make_bilateral(consortium_admin, library, other_library, policy_versions=[draft])


def test_agreement_api_token_principal_may_not_accept(library, other_library, consortium_admin):
    from members.permissions import LibraryPrincipal

    agreement = services.agreement_propose(
        actor=consortium_admin, agreement=make_bilateral(consortium_admin, library, other_library)
    )
    with pytest.raises(err.PoliciesPermissionDenied):
        services.agreement_accept(
            actor=LibraryPrincipal(library=library, token_id=1), agreement=agreement, library=library
        )


def test_second_library_admin_sees_the_signature_of_the_first(
    consortium_admin, library, other_library, library_admin
):
    colleague = LibraryAdminFactory(library=library)
    agreement = services.agreement_propose(
        actor=consortium_admin, agreement=make_bilateral(consortium_admin, library, other_library)
    )
    services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    with pytest.raises(err.PoliciesConflict, match="already accepted"):
        services.agreement_accept(actor=colleague, agreement=agreement, library=library)


def test_stricter_consortium_wide_agreement_cannot_contradict_signed_bilaterals(
    consortium_admin, library, other_library
):
    AgreementFactory(
        name="Theses welcome", parties=[library, other_library], excluded_formats=[], response_deadline_days=5
    )
    with pytest.raises(err.PoliciesError, match="Theses welcome") as excinfo:
        services.agreement_create(
            actor=consortium_admin,
            name="Strict consortium",
            kind="consortium",
            valid_from=date(2026, 1, 1),
            services_allowed=["loan"],
            excluded_formats=["thesis"],
        )
    assert excinfo.value.details["field"] == "excluded_formats"
    with pytest.raises(err.PoliciesError, match="5 working days"):
        services.agreement_create(
            actor=consortium_admin,
            name="Fast consortium",
            kind="consortium",
            valid_from=date(2026, 1, 1),
            services_allowed=["loan"],
            response_deadline_days=3,
        )
    # a consortium-wide agreement the bilateral already satisfies is fine
    services.agreement_create(
        actor=consortium_admin,
        name="Compatible consortium",
        kind="consortium",
        valid_from=date(2026, 1, 1),
        services_allowed=["loan"],
        response_deadline_days=5,
    )


def test_a_party_that_left_after_the_proposal_does_not_block_activation(
    consortium_admin, library, other_library, third_library, library_admin, other_library_admin
):
    fourth = LibraryFactory(code="PK-FOURTH")
    fourth_admin = LibraryAdminFactory(library=fourth)
    agreement = services.agreement_create(
        actor=consortium_admin,
        name="Group",
        kind="multilateral",
        valid_from=date(2026, 1, 1),
        parties=[library, other_library, third_library, fourth],
        services_allowed=["copy"],
    )
    services.agreement_propose(actor=consortium_admin, agreement=agreement)
    third_library.is_active = False
    third_library.save()
    services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    services.agreement_accept(actor=fourth_admin, agreement=agreement, library=fourth)
    agreement = services.agreement_accept(
        actor=other_library_admin, agreement=agreement, library=other_library
    )
    assert agreement.status == AgreementStatus.ACTIVE
    assert (
        terms_for(borrower=library, lender=fourth, service="copy", on=date(2026, 6, 1)).agreement_id
        == agreement.pk
    )
    assert terms_for(borrower=library, lender=third_library, service="copy", on=date(2026, 6, 1)) is None


def test_a_bilateral_whose_other_party_left_cannot_become_active(
    consortium_admin, library, other_library, library_admin
):
    agreement = services.agreement_propose(
        actor=consortium_admin, agreement=make_bilateral(consortium_admin, library, other_library)
    )
    other_library.is_active = False
    other_library.save()
    with pytest.raises(err.PoliciesError, match="exactly two parties"):
        services.agreement_accept(actor=library_admin, agreement=agreement, library=library)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROPOSED and not agreement.acceptances.exists()
