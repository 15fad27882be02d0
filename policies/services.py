"""Writes for policies and agreements. Each service checks permission, validates, writes,
records who did it and schedules notices after commit.

Rules for agreements beyond the database constraints (documented here, enforced below):

- Parties must be active members. Bilateral: exactly two; multilateral: three or more;
  consortium-wide: every member (no list; the active members at proposal time become
  the signatories, and libraries joining later are covered by joining).
- Two bilateral agreements between the same pair that share a service may not overlap
  in validity (a loan-only and a copy-only agreement may). Checked when proposed and
  again when they become active.
- Contradicting the consortium-wide agreement in force over the same period is refused:
  a more specific agreement may add a service or lengthen a loan (up to the consortium
  maximum, ``POLICIES_MAX_LOAN_PERIOD_DAYS``), but it must keep every format the
  consortium-wide agreement excludes excluded (rare books and manuscripts are protected
  for all) and may not allow a slower answer than the response deadline promised to
  every member.
- An agreement becomes active only when every party's library admin has accepted it.
  Suspending or terminating changes only what ``terms_for`` answers for new requests;
  nothing already lent under it is touched (loans copy their terms when made).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from members.models import Library, Role, User
from members.permissions import can
from members.services import notify
from policies import exceptions as err
from policies.calendar import pakistan_date
from policies.models import (
    LOAN_PERIOD_MAX,
    LOAN_PERIOD_MIN,
    Agreement,
    AgreementAcceptance,
    AgreementEvent,
    AgreementKind,
    AgreementStatus,
    Holiday,
    Policy,
    PolicyAcknowledgement,
    PolicyEvent,
    PolicyEventKind,
    PolicyVersion,
    VersionStatus,
)
from policies.rendering import check_body_size

# ---------------------------------------------------------------------------------
# Policies


def policy_event(
    *,
    kind: PolicyEventKind,
    actor: Any,
    policy: Policy | None,
    version: PolicyVersion | None = None,
    library: Library | None = None,
    note: str = "",
) -> PolicyEvent:
    """Append to the policies history: what happened, to which policy, and who did it."""
    return PolicyEvent.objects.create(
        kind=kind,
        actor=actor if isinstance(actor, User) else None,
        policy=policy,
        version=version,
        library=library,
        note=note,
    )


def _require(actor: Any, rule: str, library: Library | None = None) -> None:
    if not can(actor, rule, library):
        if rule == "consortium.manage":
            raise err.PoliciesPermissionDenied(err.NOT_ALLOWED, code=err.ErrorCode.NOT_ALLOWED)
        raise err.PoliciesPermissionDenied(
            err.ONLY_OWN_LIBRARY_ADMIN, code=err.ErrorCode.ONLY_OWN_LIBRARY_ADMIN
        )


@transaction.atomic
def policy_create(*, actor: User, title: str, slug: str, category: str, body_markdown: str = "") -> Policy:
    """A new policy with its first draft."""
    _require(actor, "consortium.manage")
    check_body_size(body_markdown)
    if Policy.objects.filter(slug=slug).exists():
        raise err.PoliciesError(err.SLUG_TAKEN % {"slug": slug}, field="slug", code=err.ErrorCode.SLUG_TAKEN)
    policy = Policy(title=title.strip(), slug=slug, category=category, created_by=actor)
    policy.full_clean()
    policy.save()
    version = PolicyVersion.objects.create(
        policy=policy, number=1, body_markdown=body_markdown, created_by=actor, updated_by=actor
    )
    policy_event(kind=PolicyEventKind.CREATED, actor=actor, policy=policy, version=version)
    return policy


@transaction.atomic
def policy_draft_start(*, actor: User, policy: Policy) -> PolicyVersion:
    """The policy's open draft: the existing one, or a new one copied from the latest version."""
    _require(actor, "consortium.manage")
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.retired:
        raise err.PoliciesConflict(err.POLICY_RETIRED, code=err.ErrorCode.POLICY_RETIRED)
    latest = policy.versions.order_by("-number").first()
    if latest is not None and latest.status == VersionStatus.DRAFT:
        return latest
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=(latest.number + 1) if latest else 1,
        body_markdown=latest.body_markdown if latest else "",
        created_by=actor,
        updated_by=actor,
    )
    policy_event(kind=PolicyEventKind.DRAFT_STARTED, actor=actor, policy=policy, version=draft)
    return draft


def _locked_draft(version: PolicyVersion, revision: int) -> PolicyVersion:
    draft = (
        PolicyVersion.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=version.pk)
    )
    if draft.status != VersionStatus.DRAFT:
        raise err.PoliciesConflict(err.NOT_A_DRAFT % {"number": draft.number}, code=err.ErrorCode.NOT_A_DRAFT)
    if draft.revision != revision:
        editor = draft.updated_by.display_name if draft.updated_by else "another admin"
        raise err.StaleDraft(
            err.STALE_DRAFT % {"editor": editor},
            current_revision=draft.revision,
            field="body_markdown",
            code=err.ErrorCode.STALE_DRAFT,
        )
    return draft


@transaction.atomic
def policy_draft_save(
    *, actor: User, version: PolicyVersion, body_markdown: str, change_note: str = "", revision: int
) -> PolicyVersion:
    """Save a draft; ``revision`` is the one the editor loaded, so a concurrent save is refused."""
    _require(actor, "consortium.manage")
    check_body_size(body_markdown)
    draft = _locked_draft(version, revision)
    draft.body_markdown = body_markdown
    draft.change_note = change_note.strip()[:300]
    draft.revision += 1
    draft.updated_by = actor
    draft.save(update_fields=["body_markdown", "change_note", "revision", "updated_by", "updated_at"])
    policy_event(
        kind=PolicyEventKind.DRAFT_SAVED,
        actor=actor,
        policy=draft.policy,
        version=draft,
        note=f"revision {draft.revision}",
    )
    return draft


@transaction.atomic
def policy_version_publish(
    *, actor: User, version: PolicyVersion, effective_from: date | None, revision: int
) -> PolicyVersion:
    """Publish a draft: from now on it never changes; later edits go to a new draft."""
    _require(actor, "consortium.manage")
    draft = _locked_draft(version, revision)
    if draft.policy.retired:
        raise err.PoliciesConflict(err.POLICY_RETIRED, code=err.ErrorCode.POLICY_RETIRED)
    if not draft.body_markdown.strip():
        raise err.PoliciesError(err.BODY_EMPTY, field="body_markdown", code=err.ErrorCode.BODY_EMPTY)
    if effective_from is None:
        raise err.PoliciesError(
            err.EFFECTIVE_DATE_REQUIRED, field="effective_from", code=err.ErrorCode.EFFECTIVE_DATE_REQUIRED
        )
    previous = (
        PolicyVersion.objects.filter(policy_id=draft.policy_id, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )
    if previous is not None and effective_from < previous.effective_from:
        raise err.PoliciesError(
            err.EFFECTIVE_BEFORE_PREVIOUS % {"number": draft.number, "date": previous.effective_from},
            field="effective_from",
            code=err.ErrorCode.EFFECTIVE_BEFORE_PREVIOUS,
        )
    draft.status = VersionStatus.PUBLISHED
    draft.effective_from = effective_from
    draft.published_by = actor
    draft.published_at = timezone.now()
    draft.revision += 1
    draft.save(
        update_fields=["status", "effective_from", "published_by", "published_at", "revision", "updated_at"]
    )
    policy_event(
        kind=PolicyEventKind.PUBLISHED,
        actor=actor,
        policy=draft.policy,
        version=draft,
        note=f"version {draft.number}, in force from {effective_from.isoformat()}",
    )
    return draft


@transaction.atomic
def policy_retire(*, actor: User, policy: Policy) -> Policy:
    """Retire a policy: it leaves the list of policies in force; its history stays public."""
    _require(actor, "consortium.manage")
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.retired:
        raise err.PoliciesConflict(err.POLICY_RETIRED, code=err.ErrorCode.POLICY_RETIRED)
    policy.retired = True
    policy.retired_at = timezone.now()
    policy.retired_by = actor
    policy.save(update_fields=["retired", "retired_at", "retired_by"])
    policy_event(kind=PolicyEventKind.RETIRED, actor=actor, policy=policy)
    return policy


def current_version(policy: Policy) -> PolicyVersion | None:
    """The latest published version (libraries acknowledge it, even before it takes effect)."""
    return policy.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


@transaction.atomic
def policy_acknowledge(*, actor: User, version: PolicyVersion) -> PolicyAcknowledgement:
    """The actor's library accepts this version of the policy."""
    library = getattr(actor, "library", None)
    _require(actor, "policies.acknowledge", library)
    if version.policy.retired:
        raise err.PoliciesConflict(err.POLICY_RETIRED, code=err.ErrorCode.POLICY_RETIRED)
    if current_version(version.policy) != version:
        raise err.PoliciesConflict(err.NOT_IN_FORCE, code=err.ErrorCode.NOT_IN_FORCE)
    if PolicyAcknowledgement.objects.filter(library=library, version=version).exists():
        raise err.PoliciesConflict(
            err.ALREADY_ACKNOWLEDGED % {"number": version.number}, code=err.ErrorCode.ALREADY_ACKNOWLEDGED
        )
    acknowledgement = PolicyAcknowledgement.objects.create(
        library=library, version=version, acknowledged_by=actor
    )
    policy_event(
        kind=PolicyEventKind.ACKNOWLEDGED,
        actor=actor,
        policy=version.policy,
        version=version,
        library=library,
    )
    return acknowledgement


def library_admins(library: Library) -> list[User]:
    return list(User.objects.filter(library=library, role=Role.LIBRARY_ADMIN, is_active=True).order_by("pk"))


def _notify_library(*, library: Library, template: str, context: dict, dedup_key: str) -> int:
    """Email a library's admins (or its contact address when it has none); returns emails queued."""
    admins = library_admins(library)
    recipients: list[User | Library] = list(admins) or [library]
    for recipient in recipients:
        who = recipient.pk if isinstance(recipient, User) else "library"
        notify(to=recipient, template=template, context=context, dedup_key=f"{dedup_key}:{who}")
    return len(recipients)


@transaction.atomic
def policy_reminders_send(*, actor: User, policy: Policy) -> int:
    """Remind every active member that has not acknowledged the current version (once a day
    at most per library); returns the number of libraries reminded."""
    _require(actor, "consortium.manage")
    version = current_version(policy)
    if version is None or policy.retired:
        return 0
    pending = Library.objects.active().exclude(policy_acknowledgements__version=version).order_by("code")
    today = pakistan_date()
    count = 0
    for library in pending:
        _notify_library(
            library=library,
            template="policy_ack_reminder",
            context={"policy": policy, "version": version, "library": library},
            dedup_key=f"policy-ack-reminder:{version.pk}:{library.pk}:{today.isoformat()}",
        )
        count += 1
    policy_event(
        kind=PolicyEventKind.REMINDERS_SENT,
        actor=actor,
        policy=policy,
        version=version,
        note=f"{count} libraries reminded",
    )
    return count


# ---------------------------------------------------------------------------------
# Agreements

# The agreement's state machine as data: action -> (states it may start from, new state).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "propose": (frozenset({AgreementStatus.DRAFT}), AgreementStatus.PROPOSED),
    "withdraw": (frozenset({AgreementStatus.PROPOSED}), AgreementStatus.DRAFT),
    "activate": (frozenset({AgreementStatus.PROPOSED}), AgreementStatus.ACTIVE),
    "suspend": (frozenset({AgreementStatus.ACTIVE}), AgreementStatus.SUSPENDED),
    "resume": (frozenset({AgreementStatus.SUSPENDED}), AgreementStatus.ACTIVE),
    "terminate": (
        frozenset(
            {
                AgreementStatus.DRAFT,
                AgreementStatus.PROPOSED,
                AgreementStatus.ACTIVE,
                AgreementStatus.SUSPENDED,
            }
        ),
        AgreementStatus.TERMINATED,
    ),
    "expire": (frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED}), AgreementStatus.EXPIRED),
}

# What the history says for each action.
EVENT_KINDS = {
    "propose": "proposed",
    "withdraw": "withdrawn",
    "activate": "activated",
    "suspend": "suspended",
    "resume": "resumed",
    "terminate": "terminated",
    "expire": "expired",
}

TERM_FIELDS = (
    "services_allowed",
    "excluded_formats",
    "loan_period_days",
    "renewals_allowed",
    "response_deadline_days",
    "max_open_loans",
    "fee_pkr",
    "shipping_paid_by",
    "walk_in_borrowing",
)
EDITABLE_FIELDS = ("name", "kind", "valid_from", "valid_until", *TERM_FIELDS)

_SIGNING_STATES = (AgreementStatus.PROPOSED, AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)


def agreement_event(
    *,
    agreement: Agreement,
    kind: str,
    actor: Any,
    library: Library | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> AgreementEvent:
    return AgreementEvent.objects.create(
        agreement=agreement,
        kind=kind,
        actor=actor if isinstance(actor, User) else None,
        library=library,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _overlaps(qs, *, start: date, end: date | None):
    qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
    if end is not None:
        qs = qs.filter(valid_from__lte=end)
    return qs


def _label(library: Library) -> str:
    return library.code


def validate_agreement(
    *, agreement: Agreement, parties: Iterable[Library], statuses: Iterable[str] = _SIGNING_STATES
) -> None:
    """Every rule that spans rows (see the module docstring); raises naming the field."""
    parties = list(parties)
    _check_terms(agreement)
    _check_parties(agreement, parties)
    others = Agreement.objects.exclude(pk=agreement.pk).filter(status__in=list(statuses))
    if agreement.kind == AgreementKind.BILATERAL:
        _check_no_overlapping_bilateral(agreement, parties, others)
    _check_against_consortium_wide(agreement, others)


def _check_terms(agreement: Agreement) -> None:
    """The loan period within the portal's and the consortium's limits; dates in order."""
    value = agreement.loan_period_days
    if value is None or not (LOAN_PERIOD_MIN <= value <= LOAN_PERIOD_MAX):
        raise err.PoliciesError(
            err.LOAN_PERIOD_RANGE % {"min": LOAN_PERIOD_MIN, "max": LOAN_PERIOD_MAX, "value": value},
            field="loan_period_days",
            code=err.ErrorCode.LOAN_PERIOD_RANGE,
        )
    if value > settings.POLICIES_MAX_LOAN_PERIOD_DAYS:
        raise err.PoliciesError(
            err.LOAN_PERIOD_ABOVE_CONSORTIUM_MAX
            % {"value": value, "max": settings.POLICIES_MAX_LOAN_PERIOD_DAYS},
            field="loan_period_days",
            code=err.ErrorCode.LOAN_PERIOD_ABOVE_CONSORTIUM_MAX,
        )
    if agreement.valid_until is not None and agreement.valid_until < agreement.valid_from:
        raise err.PoliciesError(err.VALIDITY_ORDER, field="valid_until", code=err.ErrorCode.VALIDITY_ORDER)


def _check_parties(agreement: Agreement, parties: list[Library]) -> None:
    """Active members only, as many as the kind of agreement has."""
    for library in parties:
        if not library.is_active:
            raise err.PoliciesError(
                err.PARTY_NOT_MEMBER % {"library": library},
                field="parties",
                code=err.ErrorCode.PARTY_NOT_MEMBER,
            )
    kind = agreement.kind
    if kind == AgreementKind.CONSORTIUM_WIDE and parties:
        raise err.PoliciesError(
            err.CONSORTIUM_WIDE_NO_PARTIES, field="parties", code=err.ErrorCode.CONSORTIUM_WIDE_NO_PARTIES
        )
    if kind == AgreementKind.BILATERAL and len(parties) != 2:
        raise err.PoliciesError(
            err.BILATERAL_NEEDS_TWO % {"count": len(parties)},
            field="parties",
            code=err.ErrorCode.BILATERAL_NEEDS_TWO,
        )
    if kind == AgreementKind.MULTILATERAL and len(parties) < 3:
        raise err.PoliciesError(
            err.MULTILATERAL_NEEDS_THREE % {"count": len(parties)},
            field="parties",
            code=err.ErrorCode.MULTILATERAL_NEEDS_THREE,
        )


def _check_no_overlapping_bilateral(agreement: Agreement, parties: list[Library], others) -> None:
    """One bilateral agreement per pair, service and period."""
    first, second = parties
    # Lock the pair's library rows so two admins proposing overlapping agreements for
    # the same pair at the same moment are checked one after the other.
    list(Library.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk"))
    clash = (
        _overlaps(
            others.filter(kind=AgreementKind.BILATERAL),
            start=agreement.valid_from,
            end=agreement.valid_until,
        )
        .filter(parties=first)
        .filter(parties=second)
        .filter(services_allowed__overlap=list(agreement.services_allowed))
        .first()
    )
    if clash is not None:
        raise err.PoliciesError(
            err.OVERLAPPING_BILATERAL
            % {
                "pair": f"{_label(first)} and {_label(second)}",
                "other": clash.name,
                "services": ", ".join(clash.services_allowed),
                "start": clash.valid_from,
                "end": clash.valid_until or "open-ended",
            },
            field="valid_from",
            code=err.ErrorCode.OVERLAPPING_BILATERAL,
        )


def _check_against_consortium_wide(agreement: Agreement, others) -> None:
    """A specific agreement keeps the consortium-wide one's rules, and a consortium-wide one
    does not leave signed specific agreements contradicting it."""
    overlapping = _overlaps(others, start=agreement.valid_from, end=agreement.valid_until)
    if agreement.kind != AgreementKind.CONSORTIUM_WIDE:
        pairs = [
            (base, agreement)
            for base in overlapping.filter(kind=AgreementKind.CONSORTIUM_WIDE, status=AgreementStatus.ACTIVE)
        ]
    else:
        # A stricter consortium-wide agreement must not leave signed specific agreements
        # contradicting it: they would keep deciding (the most specific agreement wins).
        pairs = [
            (agreement, specific)
            for specific in overlapping.exclude(kind=AgreementKind.CONSORTIUM_WIDE).filter(
                status__in=[AgreementStatus.PROPOSED, AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED]
            )
        ]
    for base, specific in pairs:
        _check_not_contradicting(base=base, specific=specific, editing=agreement)


def _check_not_contradicting(*, base: Agreement, specific: Agreement, editing: Agreement) -> None:
    """The specific agreement keeps the consortium-wide exclusions and response deadline."""
    other = specific if editing is base else base
    missing = sorted(set(base.excluded_formats) - set(specific.excluded_formats))
    if missing:
        message = err.FORMAT_PROTECTED_CONSORTIUM_WIDE % {
            "agreement": base.name,
            "formats": ", ".join(missing),
        }
        code = err.ErrorCode.FORMAT_PROTECTED_CONSORTIUM_WIDE
        if editing is base:
            message = err.CONSORTIUM_WIDE_CONTRADICTED % {"agreement": other.name, "what": ", ".join(missing)}
            code = err.ErrorCode.CONSORTIUM_WIDE_CONTRADICTED
        raise err.PoliciesError(message, field="excluded_formats", code=code)
    if specific.response_deadline_days > base.response_deadline_days:
        message = err.RESPONSE_DEADLINE_ABOVE_CONSORTIUM % {
            "max": base.response_deadline_days,
            "agreement": base.name,
            "value": specific.response_deadline_days,
        }
        code = err.ErrorCode.RESPONSE_DEADLINE_ABOVE_CONSORTIUM
        if editing is base:
            message = err.CONSORTIUM_WIDE_CONTRADICTED % {
                "agreement": other.name,
                "what": f"{specific.response_deadline_days} working days",
            }
            code = err.ErrorCode.CONSORTIUM_WIDE_CONTRADICTED
        raise err.PoliciesError(message, field="response_deadline_days", code=code)


def _check_versions(versions: Iterable[PolicyVersion]) -> list[PolicyVersion]:
    versions = list(versions)
    for version in versions:
        if version.status != VersionStatus.PUBLISHED:
            raise err.PoliciesError(
                err.VERSION_NOT_PUBLISHED % {"version": version},
                field="policy_versions",
                code=err.ErrorCode.VERSION_NOT_PUBLISHED,
            )
    return versions


@transaction.atomic
def agreement_create(
    *,
    actor: User,
    name: str,
    kind: str,
    valid_from: date,
    valid_until: date | None = None,
    parties: Iterable[Library] = (),
    policy_versions: Iterable[PolicyVersion] = (),
    **terms: Any,
) -> Agreement:
    """A draft agreement; parties sign it after it is proposed."""
    _require(actor, "consortium.manage")
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown agreement terms: {sorted(unknown)}")
    parties = list(parties)
    agreement = Agreement(
        name=name.strip(),
        kind=kind,
        all_members=kind == AgreementKind.CONSORTIUM_WIDE,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=actor,
        **terms,
    )
    validate_agreement(agreement=agreement, parties=parties)
    versions = _check_versions(policy_versions)
    _full_clean(agreement)
    agreement.save()
    agreement.parties.set(parties)
    agreement.policy_versions.set(versions)
    agreement_event(agreement=agreement, kind="created", actor=actor, to_status=agreement.status)
    return agreement


def _full_clean(agreement: Agreement) -> None:
    from django.core.exceptions import ValidationError

    try:
        agreement.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        # The field as the form labels it (its verbose name, translated), not its code.
        label = Agreement._meta.get_field(field).verbose_name if field != "__all__" else ""
        text = " ".join(messages)
        raise err.PoliciesError(
            f"{label}: {text}" if label else text, field=field, code=err.ErrorCode.AGREEMENT_FIELD_INVALID
        ) from exc


@transaction.atomic
def agreement_update(
    *,
    actor: User,
    agreement: Agreement,
    parties: Iterable[Library] | None = None,
    policy_versions: Iterable[PolicyVersion] | None = None,
    **fields: Any,
) -> Agreement:
    """Change a draft agreement (a proposed one is withdrawn to draft first)."""
    _require(actor, "consortium.manage")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown agreement fields: {sorted(unknown)}")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != AgreementStatus.DRAFT:
        raise err.PoliciesConflict(
            err.AGREEMENT_NOT_EDITABLE % {"status": agreement.get_status_display()},
            code=err.ErrorCode.AGREEMENT_NOT_EDITABLE,
        )
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement.all_members = agreement.kind == AgreementKind.CONSORTIUM_WIDE
    party_list = list(parties) if parties is not None else list(agreement.parties.all())
    if agreement.all_members:
        party_list = []
    validate_agreement(agreement=agreement, parties=party_list)
    _full_clean(agreement)
    agreement.save()
    agreement.parties.set(party_list)
    if policy_versions is not None:
        agreement.policy_versions.set(_check_versions(policy_versions))
    agreement_event(agreement=agreement, kind="updated", actor=actor)
    return agreement


def _transition(*, agreement: Agreement, action: str, actor: Any, reason: str = "") -> Agreement:
    """The only place an agreement's status changes (caller holds the transaction)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    sources, target = TRANSITIONS[action]
    if agreement.status not in sources:
        raise err.InvalidTransition(
            err.INVALID_TRANSITION
            % {"from": agreement.get_status_display(), "to": AgreementStatus(target).label},
            current_status=agreement.status,
            code=err.ErrorCode.INVALID_TRANSITION,
        )
    before = agreement.status
    agreement.status = target
    update = ["status", "updated_at"]
    if action in ("suspend", "terminate"):
        agreement.status_reason = reason[:500]
        update.append("status_reason")
    elif action in ("resume", "withdraw"):
        agreement.status_reason = ""
        update.append("status_reason")
    if action == "propose":
        agreement.proposed_at = timezone.now()
        update.append("proposed_at")
    if action == "activate":
        agreement.activated_at = timezone.now()
        update.append("activated_at")
    agreement.save(update_fields=update)
    agreement_event(
        agreement=agreement,
        kind=EVENT_KINDS[action],
        actor=actor,
        from_status=before,
        to_status=target,
        note=reason,
    )
    return agreement


def _notify_parties(agreement: Agreement, template: str, key: str) -> None:
    for library in agreement.parties.filter(is_active=True).order_by("code"):
        _notify_library(
            library=library,
            template=template,
            context={"agreement": agreement, "library": library},
            dedup_key=f"agreement-{key}:{agreement.pk}:{library.pk}",
        )


@transaction.atomic
def agreement_propose(*, actor: User, agreement: Agreement) -> Agreement:
    """Send a draft to the parties' library admins for signature."""
    _require(actor, "consortium.manage")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    # Consortium-wide: every active member signs; later members are bound by joining.
    signatories = list(Library.objects.active() if agreement.all_members else agreement.parties.all())
    validate_agreement(agreement=agreement, parties=[] if agreement.all_members else signatories)
    agreement = _transition(agreement=agreement, action="propose", actor=actor)
    if agreement.all_members:
        agreement.parties.set(signatories)
    _notify_parties(agreement, "agreement_proposed", f"proposed-{agreement.proposed_at:%Y%m%d%H%M%S}")
    return agreement


@transaction.atomic
def agreement_withdraw(*, actor: User, agreement: Agreement) -> Agreement:
    """Take a proposal back to draft for changes; the signatures collected so far lapse."""
    _require(actor, "consortium.manage")
    agreement = _transition(agreement=agreement, action="withdraw", actor=actor)
    agreement.acceptances.all().delete()
    return agreement


@transaction.atomic
def agreement_accept(*, actor: Any, agreement: Agreement, library: Library) -> Agreement:
    """A party's library admin signs; the last signature makes the agreement active."""
    _require(actor, "agreements.accept", library)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != AgreementStatus.PROPOSED:
        raise err.InvalidTransition(
            err.INVALID_TRANSITION
            % {"from": agreement.get_status_display(), "to": AgreementStatus.ACTIVE.label},
            current_status=agreement.status,
            code=err.ErrorCode.INVALID_TRANSITION,
        )
    party_ids = set(agreement.parties.values_list("pk", flat=True))
    if library.pk not in party_ids:
        raise err.PoliciesPermissionDenied(
            err.NOT_A_PARTY % {"library": library}, code=err.ErrorCode.NOT_A_PARTY
        )
    if not Library.objects.filter(pk=library.pk, is_active=True).exists():
        raise err.PoliciesError(
            err.PARTY_NOT_MEMBER % {"library": library}, field="library", code=err.ErrorCode.PARTY_NOT_MEMBER
        )
    if agreement.acceptances.filter(library=library).exists():
        raise err.PoliciesConflict(
            err.ALREADY_ACCEPTED % {"library": library}, code=err.ErrorCode.ALREADY_ACCEPTED
        )
    AgreementAcceptance.objects.create(
        agreement=agreement, library=library, accepted_by=actor if isinstance(actor, User) else None
    )
    agreement_event(agreement=agreement, kind="accepted", actor=actor, library=library)
    accepted = set(agreement.acceptances.values_list("library_id", flat=True))
    # A party that left the consortium since the proposal can no longer sign; the members
    # that remain decide.
    required = set(agreement.parties.filter(is_active=True).values_list("pk", flat=True))
    if required <= accepted:
        # Re-check against agreements that became active since the proposal.
        validate_agreement(
            agreement=agreement,
            parties=[] if agreement.all_members else list(agreement.parties.filter(is_active=True)),
            statuses=[AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED],
        )
        agreement = _transition(agreement=agreement, action="activate", actor=actor)
        _notify_parties(agreement, "agreement_active", "active")
    return agreement


def _stop(*, actor: User, agreement: Agreement, action: str, reason: str) -> Agreement:
    _require(actor, "consortium.manage")
    reason = reason.strip()
    if not reason:
        raise err.PoliciesError(err.REASON_REQUIRED, field="reason", code=err.ErrorCode.REASON_REQUIRED)
    agreement = _transition(agreement=agreement, action=action, actor=actor, reason=reason)
    _notify_parties(agreement, "agreement_status_changed", f"{action}-{timezone.now():%Y%m%d%H%M%S%f}")
    return agreement


@transaction.atomic
def agreement_suspend(*, actor: User, agreement: Agreement, reason: str) -> Agreement:
    """Stop new requests under the agreement; loans already made keep their terms."""
    return _stop(actor=actor, agreement=agreement, action="suspend", reason=reason)


@transaction.atomic
def agreement_terminate(*, actor: User, agreement: Agreement, reason: str) -> Agreement:
    """End the agreement for good; loans already made keep their terms."""
    return _stop(actor=actor, agreement=agreement, action="terminate", reason=reason)


@transaction.atomic
def agreement_resume(*, actor: User, agreement: Agreement) -> Agreement:
    _require(actor, "consortium.manage")
    agreement = _transition(agreement=agreement, action="resume", actor=actor)
    _notify_parties(agreement, "agreement_status_changed", f"resume-{timezone.now():%Y%m%d%H%M%S%f}")
    return agreement


# Agreements expired per run of the periodic task: a day rarely ends more than a handful;
# 200 keeps one run short, and the task re-queues itself when more remain.
EXPIRE_BATCH = 200


def agreements_expire(*, today: date | None = None, limit: int = EXPIRE_BATCH) -> tuple[int, bool]:
    """Mark agreements whose validity ended (Pakistan date) as expired; returns (count, more left).

    ``terms_for`` already ignores them by date: this only makes the status say so.
    """
    today = today or pakistan_date()
    ids = list(
        Agreement.objects.filter(
            status__in=[AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED], valid_until__lt=today
        ).values_list("pk", flat=True)[: limit + 1]
    )
    done = 0
    for pk in ids[:limit]:
        with transaction.atomic():
            agreement = Agreement.objects.select_for_update().get(pk=pk)
            if agreement.status in TRANSITIONS["expire"][0] and agreement.valid_until < today:
                _transition(agreement=agreement, action="expire", actor=None, reason="")
                done += 1
    return done, len(ids) > limit


@transaction.atomic
def holiday_set(*, actor: User, day: date, kind: str, name: str) -> Holiday:
    """Add or change the admin's correction for one day (moon sighting, closures)."""
    _require(actor, "consortium.manage")
    holiday, _created = Holiday.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name.strip()[:120], "created_by": actor}
    )
    policy_event(
        kind=PolicyEventKind.HOLIDAY_SET,
        actor=actor,
        policy=None,
        note=f"{day.isoformat()}: {holiday.kind} ({holiday.name})",
    )
    return holiday
