"""Demo data: founding policies and agreements, in force and idempotent."""

from __future__ import annotations

from datetime import date

import pytest

from members.demo import seed_members
from members.models import Library
from policies import demo
from policies.models import Agreement, AgreementStatus, Policy
from policies.rendering import render_markdown
from policies.terms import terms_explain, terms_for

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 23)


def lib(code: str) -> Library:
    return Library.objects.get(code=code)


def test_seed_creates_policies_and_agreements_in_force_and_is_idempotent():
    seed_members()
    assert demo.seed() == {"policies": 3, "agreements": 3}
    assert demo.seed() == {"policies": 0, "agreements": 0}
    assert set(Policy.objects.values_list("slug", flat=True)) == {
        "interlibrary-loan",
        "document-delivery",
        "reciprocal-borrowing",
    }
    assert set(Agreement.objects.values_list("status", flat=True)) == {AgreementStatus.ACTIVE}
    for policy in Policy.objects.all():
        assert "<h1>" in render_markdown(policy.versions.get().body_markdown)


def test_demo_agreements_give_different_terms():
    seed_members()
    demo.seed()
    lums_uok = terms_for(borrower=lib("PK-LUMS"), lender=lib("PK-UOK"), service="loan", on=DAY)
    assert lums_uok.loan_period_days == 21 and lums_uok.kind == "bilateral"
    lums_pu = terms_for(borrower=lib("PK-LUMS"), lender=lib("PK-PU"), service="loan", on=DAY)
    assert lums_pu.loan_period_days == 14 and lums_pu.kind == "consortium"
    qau_uop = terms_explain(borrower=lib("PK-QAU"), lender=lib("PK-UOP"), service="loan", on=DAY)
    assert qau_uop.terms is None and qau_uop.reason == "service_not_allowed"
    copy = terms_for(borrower=lib("PK-UOP"), lender=lib("PK-QAU"), service="copy", on=DAY)
    assert copy.fee_pkr == 100
    assert (
        terms_for(
            borrower=lib("PK-LUMS"), lender=lib("PK-UOK"), service="loan", record_format="manuscript", on=DAY
        )
        is None
    )
