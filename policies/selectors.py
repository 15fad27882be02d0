"""Reads for policies and agreements: scoping, prefetching and the borrowing matrix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from members.models import Library
from members.permissions import is_consortium_admin
from policies.calendar import pakistan_date
from policies.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Policy,
    PolicyAcknowledgement,
    PolicyVersion,
    VersionStatus,
)
from policies.terms import Decision, decision_matrix

PUBLIC_AGREEMENT_STATES = (
    AgreementStatus.ACTIVE,
    AgreementStatus.SUSPENDED,
    AgreementStatus.EXPIRED,
    AgreementStatus.TERMINATED,
)


def _published_versions() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("published_by")
        .order_by("-number"),
        to_attr="published_versions",
    )


def version_in_force(policy: Policy, *, on: date | None = None) -> PolicyVersion | None:
    """The published version in force that day (needs ``policies_with_history`` prefetch)."""
    day = on or pakistan_date()
    for version in policy.published_versions:
        if version.effective_from <= day:
            return version
    return None


def policies_with_history(*, include_retired: bool = False) -> QuerySet[Policy]:
    """Policies with their published versions (newest first) as ``published_versions``."""
    policies = Policy.objects.all() if include_retired else Policy.objects.filter(retired=False)
    return policies.prefetch_related(_published_versions()).order_by("category", "title")


def policies_in_force(*, on: date | None = None) -> list[tuple[Policy, PolicyVersion]]:
    """Policies not retired that have a version in force, with that version (two queries)."""
    result = []
    for policy in policies_with_history():
        version = version_in_force(policy, on=on)
        if version is not None:
            result.append((policy, version))
    return result


def policy_get(*, slug: str) -> Policy:
    return policies_with_history(include_retired=True).get(slug=slug)


def policy_draft(policy: Policy) -> PolicyVersion | None:
    return policy.versions.filter(status=VersionStatus.DRAFT).select_related("updated_by").first()


def policy_version_get(*, policy: Policy, number: int) -> PolicyVersion:
    return policy.versions.select_related("published_by").get(number=number, status=VersionStatus.PUBLISHED)


def policies_for_admin() -> QuerySet[Policy]:
    return Policy.objects.prefetch_related(
        Prefetch("versions", queryset=PolicyVersion.objects.order_by("-number"), to_attr="all_versions")
    ).order_by("retired", "category", "title")


@dataclass(frozen=True)
class AcknowledgementRow:
    library: Library
    acknowledgement: PolicyAcknowledgement | None


def acknowledgement_status(*, version: PolicyVersion) -> list[AcknowledgementRow]:
    """Every active member with its acknowledgement of this version, or None (two queries)."""
    acks = {
        ack.library_id: ack
        for ack in PolicyAcknowledgement.objects.filter(version=version).select_related("acknowledged_by")
    }
    return [
        AcknowledgementRow(library=library, acknowledgement=acks.get(library.pk))
        for library in Library.objects.active().order_by("code")
    ]


def acknowledged_version_ids(*, library_id: int | None) -> set[int]:
    """Ids of the versions a library has acknowledged (one query)."""
    if library_id is None:
        return set()
    return set(
        PolicyAcknowledgement.objects.filter(library_id=library_id).values_list("version_id", flat=True)
    )


def library_acknowledged(*, library_id: int | None, version: PolicyVersion) -> PolicyAcknowledgement | None:
    if library_id is None:
        return None
    return PolicyAcknowledgement.objects.filter(library_id=library_id, version=version).first()


def agreements_visible(*, user: Any) -> QuerySet[Agreement]:
    """Agreements the user may see: all for consortium admins; for library staff and systems,
    those that have been in force, plus proposals and drafts their library is party to."""
    agreements = Agreement.objects.prefetch_related(
        Prefetch("parties", queryset=Library.objects.order_by("code")), "acceptances"
    )
    if is_consortium_admin(user):
        return agreements.order_by("status", "kind", "name")
    library_id = getattr(user, "library_id", None)
    return (
        agreements.filter(
            Q(status__in=PUBLIC_AGREEMENT_STATES)
            | Q(status=AgreementStatus.PROPOSED, parties=library_id)
            | Q(status=AgreementStatus.PROPOSED, all_members=True)
        )
        .distinct()
        .order_by("status", "kind", "name")
    )


def agreements_ending(*, within_days: int, today: date | None = None) -> QuerySet[Agreement]:
    """Agreements in force whose validity ends within this many days from today (included)."""
    today = today or pakistan_date()
    return Agreement.objects.filter(
        status=AgreementStatus.ACTIVE,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=within_days),
    )


def agreements_in_force(*, on: date | None = None, library: Library | None = None) -> QuerySet[Agreement]:
    """Agreements in force that day (today in Pakistan by default), as routing decides it
    (policies.terms): active, and ``valid_from <= day <= valid_until`` (open-ended without an
    end); with a library, those it is party to (consortium-wide ones cover every member).
    Parties prefetched by code."""
    day = on or pakistan_date()
    agreements = Agreement.objects.filter(status=AgreementStatus.ACTIVE, valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )
    if library is not None:
        agreements = agreements.filter(Q(all_members=True) | Q(parties=library)).distinct()
    return agreements.prefetch_related(
        Prefetch("parties", queryset=Library.objects.order_by("code"))
    ).order_by("kind", "name")


def agreement_get(*, user: Any, pk: int) -> Agreement:
    return agreements_visible(user=user).prefetch_related("policy_versions__policy").get(pk=pk)


def agreement_history(agreement: Agreement) -> QuerySet:
    return agreement.events.select_related("actor", "library")


def agreements_awaiting_signature(*, library: Library | None) -> QuerySet[Agreement]:
    """Proposals this library has not signed yet."""
    if library is None:
        return Agreement.objects.none()
    return (
        Agreement.objects.filter(status=AgreementStatus.PROPOSED, parties=library)
        .exclude(acceptances__library=library)
        .order_by("proposed_at")
    )


@dataclass(frozen=True)
class MatrixCell:
    lender: Library
    loan: Decision
    copy: Decision


def borrowing_matrix(
    *, on: date | None = None
) -> tuple[list[Library], list[tuple[Library, list[MatrixCell]]]]:
    """Active members × active members: may the row borrow from the column, and under which
    agreement (four queries in all, through ``terms.decision_matrix``)."""
    libraries = list(Library.objects.active().order_by("code"))
    decisions = decision_matrix(libraries=libraries, on=on)
    rows: list[tuple[Library, list[MatrixCell]]] = []
    for borrower in libraries:
        cells = [
            MatrixCell(
                lender=lender,
                loan=decisions[(borrower.pk, lender.pk, "loan")],
                copy=decisions[(borrower.pk, lender.pk, "copy")],
            )
            for lender in libraries
        ]
        rows.append((borrower, cells))
    return libraries, rows


def deciding_agreements(rows: list[tuple[Library, list[MatrixCell]]]) -> list[tuple[int, str, str]]:
    """The matrix's legend: (id, name, kind as people read it) of every agreement that decided some cell."""
    seen: dict[int, tuple[int, str, str]] = {}
    for _borrower, cells in rows:
        for cell in cells:
            for decision in (cell.loan, cell.copy):
                if decision.agreement_id is not None:
                    seen[decision.agreement_id] = (
                        decision.agreement_id,
                        decision.agreement_name,
                        AgreementKind(decision.kind).label
                        if decision.kind in AgreementKind.values
                        else decision.kind,
                    )
    return sorted(seen.values())
