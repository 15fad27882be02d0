"""Factories for policies and agreements (agreements ACTIVE by default, as routing sees them)."""

from __future__ import annotations

from datetime import date

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from policies.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Holiday,
    Policy,
    PolicyCategory,
    PolicyVersion,
    VersionStatus,
)


class PolicyFactory(DjangoModelFactory):
    class Meta:
        model = Policy

    title = factory.Sequence(lambda n: f"Policy {n}")
    slug = factory.Sequence(lambda n: f"policy-{n}")
    category = PolicyCategory.INTERLIBRARY_LOAN


class PolicyVersionFactory(DjangoModelFactory):
    class Meta:
        model = PolicyVersion

    policy = factory.SubFactory(PolicyFactory)
    number = 1
    status = VersionStatus.PUBLISHED
    body_markdown = "# Interlibrary loan\n\nMembers lend to each other."
    effective_from = date(2026, 1, 1)
    published_at = factory.LazyFunction(timezone.now)


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Agreement {n}")
    kind = AgreementKind.BILATERAL
    all_members = factory.LazyAttribute(lambda o: o.kind == AgreementKind.CONSORTIUM_WIDE)
    status = AgreementStatus.ACTIVE
    valid_from = date(2026, 1, 1)
    valid_until = None
    services_allowed = factory.LazyFunction(lambda: ["loan", "copy"])
    excluded_formats = factory.LazyFunction(list)
    loan_period_days = 14
    renewals_allowed = 1
    response_deadline_days = 3

    @factory.post_generation
    def parties(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.parties.set(extracted)


class HolidayFactory(DjangoModelFactory):
    class Meta:
        model = Holiday
        django_get_or_create = ("date",)

    name = "Eid al-Fitr (as sighted)"


def published_policy(actor, *, title: str = "Interlibrary loan", slug: str = "ill", body_markdown: str = "x"):
    """A policy created and its first version published through the services, as a
    consortium admin does it (effective 1 January 2026)."""
    from policies import services

    policy = services.policy_create(
        actor=actor, title=title, slug=slug, category="interlibrary_loan", body_markdown=body_markdown
    )
    services.policy_version_publish(
        actor=actor, version=policy.versions.get(), effective_from=date(2026, 1, 1), revision=1
    )
    return policy
