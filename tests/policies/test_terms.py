"""terms_for: the one answer to "which terms apply between borrower and lender today?"."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, date, datetime

import pytest

from catalogue.models import Format
from policies.models import EXCLUDABLE_VALUES, AgreementKind, AgreementStatus
from policies.terms import Reason, terms_explain, terms_for, terms_for_lenders
from tests.factories import LibraryFactory
from tests.policies.factories import AgreementFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


@pytest.fixture
def consortium_wide(db):
    return AgreementFactory(
        name="Consortium ILL agreement",
        kind=AgreementKind.CONSORTIUM_WIDE,
        loan_period_days=14,
        excluded_formats=["manuscript", "rare"],
    )


def bilateral(a, b, **terms):
    return AgreementFactory(kind=AgreementKind.BILATERAL, parties=[a, b], **terms)


def test_no_agreement_means_no_terms(library, other_library):
    decision = terms_explain(borrower=library, lender=other_library, service="loan", on=DAY)
    assert decision.terms is None
    assert decision.reason == Reason.NO_AGREEMENT
    assert terms_for(borrower=library, lender=other_library, service="loan", on=DAY) is None


def test_consortium_wide_agreement_covers_any_two_active_members(library, other_library, consortium_wide):
    terms = terms_for(borrower=library, lender=other_library, service="loan", record_format="book", on=DAY)
    assert terms is not None
    assert terms.agreement_id == consortium_wide.pk
    assert terms.agreement_name == "Consortium ILL agreement"
    assert terms.kind == AgreementKind.CONSORTIUM_WIDE
    assert terms.loan_period_days == 14
    assert terms.services_allowed == ("loan", "copy")
    assert "Consortium ILL agreement" in terms.decided_because


def test_terms_are_frozen(library, other_library, consortium_wide):
    terms = terms_for(borrower=library, lender=other_library, service="loan", on=DAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        terms.loan_period_days = 365


def test_bilateral_agreement_is_more_specific_than_consortium_wide(
    library, other_library, third_library, consortium_wide
):
    pair = bilateral(library, other_library, name="Home–Away", loan_period_days=21, fee_pkr=150)
    terms = terms_for(borrower=library, lender=other_library, service="loan", on=DAY)
    assert (terms.agreement_id, terms.loan_period_days, terms.fee_pkr) == (pair.pk, 21, 150)
    # Symmetric: the lender borrowing back is under the same bilateral agreement.
    assert terms_for(borrower=other_library, lender=library, service="loan", on=DAY).agreement_id == pair.pk
    # A third library is still under the consortium-wide agreement.
    assert terms_for(borrower=library, lender=third_library, service="loan", on=DAY).agreement_id == (
        consortium_wide.pk
    )


def test_multilateral_beats_consortium_wide_and_bilateral_beats_multilateral(
    library, other_library, third_library, consortium_wide
):
    group = AgreementFactory(
        kind=AgreementKind.MULTILATERAL, parties=[library, other_library, third_library], loan_period_days=28
    )
    assert terms_for(borrower=library, lender=third_library, service="loan", on=DAY).agreement_id == group.pk
    pair = bilateral(library, third_library, loan_period_days=7)
    assert terms_for(borrower=library, lender=third_library, service="loan", on=DAY).agreement_id == pair.pk
    assert terms_for(borrower=other_library, lender=third_library, service="loan", on=DAY).agreement_id == (
        group.pk
    )


def test_multilateral_covers_only_pairs_of_its_parties(library, other_library, third_library):
    AgreementFactory(kind=AgreementKind.MULTILATERAL, parties=[library, other_library])
    decision = terms_explain(borrower=library, lender=third_library, service="loan", on=DAY)
    assert decision.reason == Reason.NO_AGREEMENT


def test_more_specific_agreement_that_excludes_the_service_decides(library, other_library, consortium_wide):
    # given: consortium-wide allows loans, but these two signed "copies only"
    copy_only = bilateral(library, other_library, name="Copies only", services_allowed=["copy"])
    # when
    decision = terms_explain(borrower=library, lender=other_library, service="loan", on=DAY)
    # then: no fall-through to the consortium-wide agreement
    assert decision.terms is None
    assert decision.reason == Reason.SERVICE_NOT_ALLOWED
    assert decision.agreement_id == copy_only.pk
    assert "Copies only" in decision.explanation
    assert (
        terms_for(borrower=library, lender=other_library, service="copy", on=DAY).agreement_id == copy_only.pk
    )


def test_more_specific_agreement_that_excludes_the_format_decides(library, other_library, consortium_wide):
    pair = bilateral(library, other_library, excluded_formats=["thesis"])
    decision = terms_explain(
        borrower=library, lender=other_library, service="loan", record_format=Format.THESIS, on=DAY
    )
    assert decision.terms is None
    assert decision.reason == Reason.FORMAT_EXCLUDED
    assert decision.agreement_id == pair.pk
    assert "thesis" in decision.explanation
    assert terms_for(borrower=library, lender=other_library, service="loan", record_format="book", on=DAY)


def test_format_and_item_categories_excluded_by_consortium_wide(library, other_library, consortium_wide):
    assert (
        terms_for(borrower=library, lender=other_library, service="loan", record_format="manuscript", on=DAY)
        is None
    )
    assert (
        terms_for(borrower=library, lender=other_library, service="loan", item_categories=["rare"], on=DAY)
        is None
    )
    assert terms_for(
        borrower=library, lender=other_library, service="loan", item_categories=["reference"], on=DAY
    )


def test_a_loan_only_and_a_copy_only_agreement_for_one_pair_each_answer_their_service(
    library, other_library, consortium_wide
):
    loans = bilateral(library, other_library, services_allowed=["loan"], loan_period_days=30)
    copies = bilateral(library, other_library, services_allowed=["copy"], fee_pkr=50)
    assert terms_for(borrower=library, lender=other_library, service="loan", on=DAY).agreement_id == loans.pk
    assert terms_for(borrower=library, lender=other_library, service="copy", on=DAY).agreement_id == copies.pk


def test_agreement_expires_at_midnight_pakistan_time(library, other_library):
    pair = bilateral(library, other_library, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
    last_minute_pkt = datetime(2026, 12, 31, 18, 59, 59, tzinfo=UTC)  # 23:59:59 PKT, 31 Dec
    new_year_pkt = datetime(2026, 12, 31, 19, 0, 0, tzinfo=UTC)  # 00:00 PKT, 1 Jan (still 31 Dec in UTC)
    assert terms_for(
        borrower=library, lender=other_library, service="loan", on=last_minute_pkt
    ).agreement_id == (pair.pk)
    assert terms_for(borrower=library, lender=other_library, service="loan", on=date(2026, 12, 31))
    assert terms_for(borrower=library, lender=other_library, service="loan", on=new_year_pkt) is None
    assert terms_for(borrower=library, lender=other_library, service="loan", on=date(2027, 1, 1)) is None


def test_agreement_starts_at_midnight_pakistan_time(library, other_library):
    bilateral(library, other_library, valid_from=date(2026, 7, 1))
    before = datetime(2026, 6, 30, 18, 59, tzinfo=UTC)  # 23:59 PKT on 30 June
    at_start = datetime(2026, 6, 30, 19, 0, tzinfo=UTC)  # 00:00 PKT on 1 July
    assert terms_for(borrower=library, lender=other_library, service="loan", on=before) is None
    assert terms_for(borrower=library, lender=other_library, service="loan", on=at_start)


def test_expired_bilateral_falls_back_to_consortium_wide(library, other_library, consortium_wide):
    bilateral(library, other_library, valid_until=date(2026, 3, 31), loan_period_days=60)
    assert terms_for(borrower=library, lender=other_library, service="loan", on=DAY).agreement_id == (
        consortium_wide.pk
    )


@pytest.mark.parametrize(
    "status",
    [
        AgreementStatus.DRAFT,
        AgreementStatus.PROPOSED,
        AgreementStatus.SUSPENDED,
        AgreementStatus.EXPIRED,
        AgreementStatus.TERMINATED,
    ],
)
def test_only_active_agreements_apply(library, other_library, status):
    reason = "" if status in (AgreementStatus.DRAFT, AgreementStatus.PROPOSED) else "Stopped by the board"
    bilateral(library, other_library, status=status, status_reason=reason)
    assert terms_for(borrower=library, lender=other_library, service="loan", on=DAY) is None


def test_suspended_bilateral_leaves_the_consortium_wide_terms(library, other_library, consortium_wide):
    bilateral(library, other_library, status=AgreementStatus.SUSPENDED, status_reason="Unreturned books")
    assert terms_for(borrower=library, lender=other_library, service="loan", on=DAY).agreement_id == (
        consortium_wide.pk
    )


def test_inactive_parties_get_no_terms(library, other_library, consortium_wide):
    bilateral(library, other_library)
    other_library.is_active = False
    other_library.save()
    assert terms_explain(borrower=library, lender=other_library, service="loan", on=DAY).reason == (
        Reason.LENDER_INACTIVE
    )
    assert terms_explain(borrower=other_library, lender=library, service="loan", on=DAY).reason == (
        Reason.BORROWER_INACTIVE
    )


def test_paused_lender_gets_no_requests_until_the_pause_ends(library, other_library, consortium_wide):
    other_library.lending_paused = True
    other_library.lending_paused_reason = "Stock-taking"
    other_library.lending_paused_until = date(2026, 6, 10)
    other_library.save()
    assert terms_explain(borrower=library, lender=other_library, service="loan", on=DAY).reason == (
        Reason.LENDER_PAUSED
    )
    assert terms_for(borrower=library, lender=other_library, service="loan", on=date(2026, 6, 11))
    # The paused library may still borrow.
    assert terms_for(borrower=other_library, lender=library, service="loan", on=DAY)


def test_a_library_does_not_borrow_from_itself(library, consortium_wide):
    assert (
        terms_explain(borrower=library, lender=library, service="loan", on=DAY).reason == Reason.SAME_LIBRARY
    )


def test_newest_overlapping_consortium_wide_agreement_wins(library, other_library, consortium_wide):
    successor = AgreementFactory(
        kind=AgreementKind.CONSORTIUM_WIDE, valid_from=date(2026, 5, 1), loan_period_days=21
    )
    assert (
        terms_for(borrower=library, lender=other_library, service="loan", on=DAY).agreement_id == successor.pk
    )
    assert terms_for(
        borrower=library, lender=other_library, service="loan", on=date(2026, 4, 30)
    ).agreement_id == (consortium_wide.pk)


def test_unknown_service_is_a_programming_error(library, other_library):
    with pytest.raises(ValueError, match="Unknown service"):
        terms_for(borrower=library, lender=other_library, service="walk-in", on=DAY)


def test_excludable_values_cover_every_catalogue_format():
    assert set(Format.values) <= set(EXCLUDABLE_VALUES)


def test_bulk_answer_matches_single_answers_in_three_queries(
    library, other_library, third_library, consortium_wide, django_assert_num_queries
):
    bilateral(library, other_library, services_allowed=["copy"])
    lenders = [other_library, third_library, *LibraryFactory.create_batch(40)]
    with django_assert_num_queries(3):
        bulk = terms_for_lenders(
            borrower=library, lenders=lenders, service="loan", record_format="book", on=DAY
        )
    for lender in lenders:
        assert bulk[lender.pk] == terms_for(
            borrower=library, lender=lender, service="loan", record_format="book", on=DAY
        )
    assert bulk[other_library.pk] is None
    assert bulk[third_library.pk].agreement_id == consortium_wide.pk


def test_bulk_for_200_lenders_is_fast(library, consortium_wide):
    lenders = LibraryFactory.create_batch(200)
    for lender in lenders[:50]:
        bilateral(library, lender, loan_period_days=21)
    AgreementFactory(kind=AgreementKind.MULTILATERAL, parties=[library, *lenders[50:120]])
    terms_for_lenders(borrower=library, lenders=lenders, service="loan", on=DAY)  # warm up
    started = time.perf_counter()
    result = terms_for_lenders(
        borrower=library, lenders=lenders, service="loan", record_format="book", on=DAY
    )
    elapsed = time.perf_counter() - started
    assert sum(1 for t in result.values() if t and t.kind == AgreementKind.BILATERAL) == 50
    assert sum(1 for t in result.values() if t and t.kind == AgreementKind.MULTILATERAL) == 70
    assert sum(1 for t in result.values() if t and t.kind == AgreementKind.CONSORTIUM_WIDE) == 80
    assert elapsed < 0.1, f"200 lenders took {elapsed * 1000:.1f} ms"


def test_matrix_agrees_with_terms_for_lenders(library, other_library, third_library, consortium_wide):
    from policies.terms import decision_matrix

    bilateral(library, other_library, services_allowed=["copy"])
    AgreementFactory(
        kind=AgreementKind.MULTILATERAL, parties=[library, other_library, third_library], loan_period_days=30
    )
    libraries = [library, other_library, third_library]
    matrix = decision_matrix(libraries=libraries, on=DAY)
    for borrower in libraries:
        for service in ("loan", "copy"):
            bulk = terms_for_lenders(borrower=borrower, lenders=libraries, service=service, on=DAY)
            for lender in libraries:
                assert matrix[(borrower.pk, lender.pk, service)].terms == bulk[lender.pk]
    assert matrix[(library.pk, other_library.pk, "loan")].reason == Reason.SERVICE_NOT_ALLOWED
    assert matrix[(library.pk, third_library.pk, "loan")].terms.loan_period_days == 30


def test_terms_serialise_for_a_loan_to_keep(library, other_library, consortium_wide):
    import json

    consortium_wide.valid_until = date(2027, 12, 31)
    consortium_wide.save()
    terms = terms_for(borrower=library, lender=other_library, service="copy", on=DAY)
    data = json.loads(json.dumps(terms.as_dict()))
    assert data["agreement_id"] == consortium_wide.pk
    assert data["services_allowed"] == ["loan", "copy"]
    assert data["excluded_formats"] == ["manuscript", "rare"]
    assert data["valid_until"] == "2027-12-31"


def test_refusals_are_explained_in_words(library, other_library, consortium_wide):
    decision = terms_explain(
        borrower=library, lender=other_library, service="loan", record_format="manuscript", on=DAY
    )
    assert decision.explanation == "Consortium-wide agreement “Consortium ILL agreement” excludes manuscript"
