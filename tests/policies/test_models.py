"""Database constraints hold even when a write bypasses the services."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from policies.models import MAX_BODY_CHARS, AgreementKind, PolicyVersion, VersionStatus
from tests.policies.factories import AgreementFactory, PolicyFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"loan_period_days": 0}, "agreement_loan_period_range"),
        ({"loan_period_days": 5000}, "agreement_loan_period_range"),
        ({"response_deadline_days": 0}, "agreement_response_deadline_range"),
        ({"renewals_allowed": 99}, "agreement_renewals_range"),
        ({"max_open_loans": 0}, "agreement_max_open_loans_positive"),
        ({"valid_from": date(2026, 5, 1), "valid_until": date(2026, 4, 30)}, "agreement_validity_ordered"),
        ({"services_allowed": []}, "agreement_services_known"),
        ({"services_allowed": ["loan", "teleport"]}, "agreement_services_known"),
        ({"excluded_formats": ["cassette"]}, "agreement_excluded_formats_known"),
        ({"kind": AgreementKind.BILATERAL, "all_members": True}, "agreement_all_members_iff_consortium"),
        ({"status": "suspended", "status_reason": ""}, "agreement_stop_has_reason"),
    ],
)
def test_agreement_constraints_refuse_bad_terms(fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        AgreementFactory(**fields)


def test_published_version_cannot_be_changed_or_deleted_even_by_raw_update():
    version = PolicyVersionFactory()
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        PolicyVersion.objects.filter(pk=version.pk).update(body_markdown="rewritten history")
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        PolicyVersion.objects.filter(pk=version.pk).delete()
    version.refresh_from_db()
    assert version.body_markdown.startswith("# Interlibrary loan")


def test_draft_can_be_edited_and_only_one_draft_per_policy():
    policy = PolicyFactory()
    draft = PolicyVersionFactory(
        policy=policy, status=VersionStatus.DRAFT, published_at=None, effective_from=None
    )
    PolicyVersion.objects.filter(pk=draft.pk).update(body_markdown="changed")
    with pytest.raises(IntegrityError, match="policy_one_draft"), transaction.atomic():
        PolicyVersionFactory(
            policy=policy, number=2, status=VersionStatus.DRAFT, published_at=None, effective_from=None
        )


def test_published_version_needs_effective_date():
    with pytest.raises(IntegrityError, match="policy_version_published_complete"), transaction.atomic():
        PolicyVersionFactory(effective_from=None)


def test_body_size_limit_is_enforced_by_the_database():
    with pytest.raises(IntegrityError, match="policy_version_body_size"), transaction.atomic():
        PolicyVersionFactory(
            status=VersionStatus.DRAFT,
            published_at=None,
            effective_from=None,
            body_markdown="x" * (MAX_BODY_CHARS + 1),
        )
