"""Which terms apply between a borrowing and a lending library: the one place to ask.

Routing and the ILL screens learn terms only from here. The rules, in order:

1. Both libraries must be active members and the lender must not have paused lending
   that day; a library never borrows from itself. Otherwise: no terms.
2. The day is the calendar date in Pakistan (Asia/Karachi) of ``on`` (now when None).
   An agreement is in force on that day when it is ACTIVE and ``valid_from <= day <=
   valid_until`` (open-ended when ``valid_until`` is empty). So an agreement valid until
   31 December applies until 23:59:59 PKT that day and not from 00:00 PKT on 1 January,
   whatever the server's time zone. Suspended, terminated, expired, draft and proposed
   agreements never apply.
3. Agreements covering the pair are those with both libraries as parties, and the
   consortium-wide one (every member).
4. The most specific level that has an agreement in force decides: bilateral, then
   multilateral, then consortium-wide. **A more specific agreement that excludes the
   service or the format decides: the answer is "no", it does not fall through to a
   less specific agreement.** Two members who signed "copies only" between themselves
   meant it, even if the consortium-wide agreement allows loans.
5. Within the deciding level, an agreement that allows the service and does not exclude
   the format wins (there may be a loan-only and a copy-only bilateral agreement for the
   same pair); ties go to the agreement that started last, then the newest.

``terms_explain`` says which agreement decided and why (for the routing log and the
"who may borrow from whom" matrix); ``terms_for_lenders`` answers for many lenders in
three queries whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consortium.text import isolate
from members.models import Library
from policies.calendar import pakistan_date
from policies.models import SPECIFICITY, Agreement, AgreementKind, AgreementStatus, Service


class Reason:
    """Codes for why terms do or do not apply (stable: stored in routing logs)."""

    ALLOWED = "allowed"
    SAME_LIBRARY = "same_library"
    BORROWER_INACTIVE = "borrower_inactive"
    LENDER_INACTIVE = "lender_inactive"
    LENDER_PAUSED = "lender_paused"
    NO_AGREEMENT = "no_agreement"
    SERVICE_NOT_ALLOWED = "service_not_allowed"
    FORMAT_EXCLUDED = "format_excluded"


# Shown on screens and kept in routing logs; the reason code above is the stable part.
EXPLANATIONS = {
    Reason.ALLOWED: _("{kind} agreement “{name}” allows {service}"),
    Reason.SAME_LIBRARY: _("a library does not borrow from itself"),
    Reason.BORROWER_INACTIVE: _("the borrowing library is not an active member"),
    Reason.LENDER_INACTIVE: _("the lending library is not an active member"),
    Reason.LENDER_PAUSED: _("the lending library has paused lending"),
    Reason.NO_AGREEMENT: _("no agreement in force covers these two libraries"),
    Reason.SERVICE_NOT_ALLOWED: _("{kind} agreement “{name}” does not allow {service}"),
    Reason.FORMAT_EXCLUDED: _("{kind} agreement “{name}” excludes {format}"),
}
# The {service} of an explanation, as a word in its sentence.
SERVICE_WORDS = {Service.LOAN: _("loans"), Service.COPY: _("copies")}


def _format_label(code: str) -> str:
    from catalogue.models import Format
    from policies.models import ItemCategory

    for choices in (Format, ItemCategory):
        if code in choices.values:
            label = str(choices(code).label)
            return label[:1].lower() + label[1:]  # mid-sentence: "excludes manuscript"
    return code


def explanation_text(words: dict) -> str:
    """A decision's explanation in the active language, from the reason code and the words kept
    with it (routing stores these on each rota entry, so a page can say it in Urdu)."""
    reason = words.get("reason", "")
    if reason not in EXPLANATIONS:
        return ""
    kind = words.get("kind", "")
    service = words.get("service", "")
    text = str(EXPLANATIONS[reason]).format(
        kind=str(AgreementKind(kind).label) if kind in AgreementKind.values else "",
        name=isolate(words.get("name", "")),
        service=str(SERVICE_WORDS.get(service, service)),
        format=", ".join(_format_label(code) for code in words.get("formats", [])),
    )
    # "Bilateral agreement ..." starts a sentence; "the lending library ..." follows a colon.
    return text[:1].upper() + text[1:] if kind else text


@dataclass(frozen=True)
class Terms:
    """The terms of the agreement that decided; values are copied, so they stay as they
    were when routing read them even if the agreement later changes."""

    agreement_id: int
    agreement_name: str
    kind: str
    services_allowed: tuple[str, ...]
    loan_period_days: int
    renewals_allowed: int
    response_deadline_days: int
    max_open_loans: int | None
    fee_pkr: int
    shipping_paid_by: str
    walk_in_borrowing: bool
    excluded_formats: tuple[str, ...] = ()
    valid_until: date | None = None
    decided_because: str = ""

    def as_dict(self) -> dict:
        """A JSON-ready copy, for a loan to keep the terms it was made under."""
        data = asdict(self)
        data["services_allowed"] = list(self.services_allowed)
        data["excluded_formats"] = list(self.excluded_formats)
        data["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        return data


@dataclass(frozen=True)
class Decision:
    """The answer with its reason: terms when allowed, else None and why not."""

    terms: Terms | None
    reason: str
    explanation: str
    agreement_id: int | None = None
    agreement_name: str = ""
    kind: str = ""
    # The reason code and the words of the explanation, for saying it again in another language.
    words: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def allowed(self) -> bool:
        return self.terms is not None


_LIBRARY_FIELDS = ("id", "is_active", "lending_paused", "lending_paused_until")


class _InForce:
    """Agreements in force on one day, indexed by party for quick per-pair lookups."""

    def __init__(self, agreements: list[Agreement], parties: dict[int, set[int]]) -> None:
        self.consortium_wide = [a for a in agreements if a.all_members]
        self.parties = parties
        # library id -> its specific agreements, in the global order (newest start first)
        self.by_library: defaultdict[int, list[Agreement]] = defaultdict(list)
        for agreement in agreements:
            if not agreement.all_members:
                for library_id in parties.get(agreement.pk, ()):
                    self.by_library[library_id].append(agreement)
        self._decisions: dict[tuple[int, str, str], Decision] = {}

    def covering(self, borrower_id: int, lender_id: int) -> list[Agreement]:
        specific = [a for a in self.by_library.get(borrower_id, ()) if lender_id in self.parties[a.pk]]
        return specific + self.consortium_wide

    def memo(self, key: tuple[int, str, str], build) -> Decision:
        """Decisions depend only on the agreement, service and verdict: build each once."""
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = build()
        return decision


def _agreements_in_force(*, borrower_id: int | None, day: date) -> _InForce:
    """Agreements in force that day covering the borrower (all when None), with party ids."""
    through = Agreement.parties.through
    agreements_qs = Agreement.objects.filter(status=AgreementStatus.ACTIVE, valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )
    if borrower_id is not None:
        agreements_qs = agreements_qs.filter(
            Q(all_members=True)
            | Q(pk__in=through.objects.filter(library_id=borrower_id).values("agreement_id"))
        )
    agreements = list(agreements_qs.order_by("-valid_from", "-pk"))
    parties: defaultdict[int, set[int]] = defaultdict(set)
    specific = [a.pk for a in agreements if not a.all_members]
    if specific:
        for agreement_id, library_id in through.objects.filter(agreement_id__in=specific).values_list(
            "agreement_id", "library_id"
        ):
            parties[agreement_id].add(library_id)
    return _InForce(agreements, parties)


def _lending_on(row: dict, day: date) -> bool:
    return not row["lending_paused"] or (
        row["lending_paused_until"] is not None and row["lending_paused_until"] < day
    )


def _terms(agreement: Agreement, because: str) -> Terms:
    return Terms(
        agreement_id=agreement.pk,
        agreement_name=agreement.name,
        kind=agreement.kind,
        services_allowed=tuple(agreement.services_allowed),
        loan_period_days=agreement.loan_period_days,
        renewals_allowed=agreement.renewals_allowed,
        response_deadline_days=agreement.response_deadline_days,
        max_open_loans=agreement.max_open_loans,
        fee_pkr=agreement.fee_pkr,
        shipping_paid_by=agreement.shipping_paid_by,
        walk_in_borrowing=agreement.walk_in_borrowing,
        excluded_formats=tuple(agreement.excluded_formats),
        valid_until=agreement.valid_until,
        decided_because=because,
    )


def _refusal(reason: str, agreement: Agreement | None = None, **words: object) -> Decision:
    if agreement is None:
        words = {"reason": reason, **words}
        return Decision(terms=None, reason=reason, explanation=explanation_text(words), words=words)
    words = {"reason": reason, "kind": agreement.kind, "name": agreement.name, **words}
    return Decision(
        terms=None,
        reason=reason,
        explanation=explanation_text(words),
        agreement_id=agreement.pk,
        agreement_name=agreement.name,
        kind=agreement.kind,
        words=words,
    )


def _decide(*, covering: list[Agreement], in_force: _InForce, service: str, excluded: set[str]) -> Decision:
    for level in SPECIFICITY:
        at_level = [a for a in covering if a.kind == level]
        if not at_level:
            continue
        # This level decides (see the module docstring): never fall through.
        offering = [a for a in at_level if service in a.services_allowed]
        if not offering:
            first = at_level[0]
            return in_force.memo(
                (first.pk, service, Reason.SERVICE_NOT_ALLOWED),
                lambda first=first: _refusal(Reason.SERVICE_NOT_ALLOWED, first, service=service),
            )
        fitting = [a for a in offering if not excluded.intersection(a.excluded_formats)]
        if not fitting:
            blocked = sorted(excluded.intersection(offering[0].excluded_formats))
            return _refusal(Reason.FORMAT_EXCLUDED, offering[0], formats=blocked)
        chosen = fitting[0]
        return in_force.memo(
            (chosen.pk, service, Reason.ALLOWED), lambda chosen=chosen: _allowed(chosen, service)
        )
    return _refusal(Reason.NO_AGREEMENT)


def _allowed(chosen: Agreement, service: str) -> Decision:
    words = {"reason": Reason.ALLOWED, "kind": chosen.kind, "name": chosen.name, "service": service}
    because = explanation_text(words)
    return Decision(
        terms=_terms(chosen, because),
        reason=Reason.ALLOWED,
        explanation=because,
        agreement_id=chosen.pk,
        agreement_name=chosen.name,
        kind=chosen.kind,
        words=words,
    )


def _pair_decision(
    *,
    borrower_id: int,
    lender_id: int,
    rows: dict[int, dict],
    day: date,
    in_force: _InForce,
    service: str,
    excluded: set[str],
) -> Decision:
    """Membership checks first (rule 1), then the agreements (rules 3 to 5)."""
    borrower_row, lender_row = rows.get(borrower_id), rows.get(lender_id)
    if lender_id == borrower_id:
        return _refusal(Reason.SAME_LIBRARY)
    if not borrower_row or not borrower_row["is_active"]:
        return _refusal(Reason.BORROWER_INACTIVE)
    if not lender_row or not lender_row["is_active"]:
        return _refusal(Reason.LENDER_INACTIVE)
    if not _lending_on(lender_row, day):
        return _refusal(Reason.LENDER_PAUSED)
    return _decide(
        covering=in_force.covering(borrower_id, lender_id),
        in_force=in_force,
        service=service,
        excluded=excluded,
    )


def _excluded_values(record_format: str | None, item_categories: Iterable[str]) -> set[str]:
    values = set(item_categories)
    if record_format:
        values.add(record_format)
    return values


def _check_service(service: str) -> None:
    if service not in Service.values:
        raise ValueError(f"Unknown service {service!r}; expected one of {Service.values}")


def decisions_for_lenders(
    *,
    borrower: Library,
    lenders: Iterable[Library],
    service: str,
    record_format: str | None = None,
    item_categories: Iterable[str] = (),
    on: date | datetime | None = None,
) -> dict[int, Decision]:
    """The decision for each lender (by id), in three queries whatever the number of lenders."""
    _check_service(service)
    day = pakistan_date(on)
    lender_ids = [lender.pk for lender in lenders]
    # Fresh membership state: a library paused or removed a moment ago must not be asked.
    rows = {
        row["id"]: row
        for row in Library.objects.filter(pk__in=[borrower.pk, *lender_ids]).values(*_LIBRARY_FIELDS)
    }
    excluded = _excluded_values(record_format, item_categories)
    borrower_row = rows.get(borrower.pk)
    in_force = _InForce([], {})
    if borrower_row and borrower_row["is_active"]:
        in_force = _agreements_in_force(borrower_id=borrower.pk, day=day)
    return {
        lender_id: _pair_decision(
            borrower_id=borrower.pk,
            lender_id=lender_id,
            rows=rows,
            day=day,
            in_force=in_force,
            service=service,
            excluded=excluded,
        )
        for lender_id in lender_ids
    }


def terms_for_lenders(
    *,
    borrower: Library,
    lenders: Iterable[Library],
    service: str,
    record_format: str | None = None,
    item_categories: Iterable[str] = (),
    on: date | datetime | None = None,
) -> dict[int, Terms | None]:
    """Terms for each lender id (None where not allowed), in three queries in all."""
    decisions = decisions_for_lenders(
        borrower=borrower,
        lenders=lenders,
        service=service,
        record_format=record_format,
        item_categories=item_categories,
        on=on,
    )
    return {lender_id: decision.terms for lender_id, decision in decisions.items()}


def terms_explain(
    *,
    borrower: Library,
    lender: Library,
    service: str,
    record_format: str | None = None,
    item_categories: Iterable[str] = (),
    on: date | datetime | None = None,
) -> Decision:
    """The decision between two libraries with the agreement that made it and why."""
    return decisions_for_lenders(
        borrower=borrower,
        lenders=[lender],
        service=service,
        record_format=record_format,
        item_categories=item_categories,
        on=on,
    )[lender.pk]


def terms_for(
    *,
    borrower: Library,
    lender: Library,
    service: str,
    record_format: str | None = None,
    item_categories: Iterable[str] = (),
    on: date | datetime | None = None,
) -> Terms | None:
    """The terms under which ``lender`` supplies ``service`` to ``borrower`` on that day,
    or None when no agreement allows it; see the module docstring for the rules (the
    most specific agreement decides, even when it says no)."""
    return terms_explain(
        borrower=borrower,
        lender=lender,
        service=service,
        record_format=record_format,
        item_categories=item_categories,
        on=on,
    ).terms


def decision_matrix(
    *,
    libraries: Iterable[Library],
    services: Iterable[str] = tuple(Service.values),
    on: date | datetime | None = None,
) -> dict[tuple[int, int, str], Decision]:
    """Every (borrower id, lender id, service) decision among these libraries, in three
    queries: the "who may borrow from whom" matrix."""
    services = list(services)
    for service in services:
        _check_service(service)
    day = pakistan_date(on)
    ids = [library.pk for library in libraries]
    rows = {row["id"]: row for row in Library.objects.filter(pk__in=ids).values(*_LIBRARY_FIELDS)}
    in_force = _agreements_in_force(borrower_id=None, day=day)
    matrix: dict[tuple[int, int, str], Decision] = {}
    for borrower_id in ids:
        for lender_id in ids:
            for service in services:
                matrix[(borrower_id, lender_id, service)] = _pair_decision(
                    borrower_id=borrower_id,
                    lender_id=lender_id,
                    rows=rows,
                    day=day,
                    in_force=in_force,
                    service=service,
                    excluded=set(),
                )
    return matrix
