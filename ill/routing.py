"""Routing: build a request's rota of lenders and ask them one at a time.

Who is a candidate: every member holding a lendable copy of the record (withdrawn and
missing copies excluded), minus the requester, inactive or paused members and those no
agreement allows for this item and service (``policies.terms``). Excluded lenders are
kept in the rota as "skipped" with the reason, so staff can see why they were not asked.

Ranking, most important first (ties fall to the next key):

1. within the agreement's maximum of open loans to this borrower;
2. holds a copy on the shelf now (Rapido's lesson: about 40% of refusals were copies out);
3. load balance, ReShare's "target minus actual": a lender that lent much more than it
   borrowed goes later; counted in bands of ``LOAD_BAND`` so that a difference of a loan
   or two does not outweigh distance;
4. same city, then same province, then the rest;
5. past fill rate (higher first), then speed of answer (faster first); new lenders
   count as average.

A lender the requesting library named (ISO 18626 supplyingAgencyId) goes before all
of these, when an agreement allows it, even without a holding in the union catalogue:
the borrower's system may know what the catalogue does not. The rest of the rota
follows it as usual.

Every step is idempotent: the rota of a round is built once (under the request's row
lock), a lender is asked only from a "pending" entry, inside the same transaction that
moves the request to "sent to supplier". A task run twice or killed half-way neither
skips nor double-asks a lender.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Q
from django.utils import translation

from catalogue.models import BibRecord, Holding
from consortium import clock
from ill import rota_reasons, states
from ill.actors import SYSTEM
from ill.exceptions import InvalidTransition
from ill.models import IllRequest, RotaEntry, ServiceType
from ill.services import ill_request_transition
from members.models import Library
from policies.terms import Terms, decisions_for_lenders

LOAD_BAND = 10
HISTORY_DAYS = 365


def terms_for_candidates(*, req: IllRequest, lenders: list[Library]) -> dict[int, tuple[Terms | None, dict]]:
    """The one place routing asks the policies app: terms (or None) and why (the decision's
    code and words, policies.terms.explanation_text), per lender."""
    service = "copy" if req.service_type == ServiceType.COPY else "loan"
    decisions = decisions_for_lenders(
        borrower=req.borrower, lenders=lenders, service=service, record_format=req.record_format or None
    )
    out = {lender_id: (d.terms, d.words) for lender_id, d in decisions.items()}
    if req.service_type == ServiceType.COPY_OR_LOAN:
        # Copy-or-loan: a lender that may not lend may still send a copy.
        missing = [lender for lender in lenders if out[lender.pk][0] is None]
        if missing:
            copies = decisions_for_lenders(
                borrower=req.borrower,
                lenders=missing,
                service="copy",
                record_format=req.record_format or None,
            )
            for lender_id, d in copies.items():
                if d.terms is not None:
                    out[lender_id] = (d.terms, d.words)
    return out


@dataclass
class Candidate:
    lender: Library
    terms: Terms | None
    why_allowed: dict  # the policy decision's code and words
    on_shelf: bool
    open_loans: int = 0
    lent: int = 0
    borrowed: int = 0
    asked: int = 0
    filled: int = 0
    answer_hours: float | None = None

    @property
    def over_limit(self) -> bool:
        return bool(
            self.terms
            and self.terms.max_open_loans is not None
            and self.open_loans >= self.terms.max_open_loans
        )

    @property
    def load_band(self) -> int:
        """Lent minus borrowed, in bands of LOAD_BAND rounded toward zero: +1 and -1 are
        the same band (floor division would put every small borrower ahead of distance)."""
        return int((self.lent - self.borrowed) / LOAD_BAND)

    def proximity(self, borrower: Library) -> int:
        if self.lender.city.strip().lower() == borrower.city.strip().lower():
            return 0
        return 1 if self.lender.province == borrower.province else 2

    def fill_rate(self, default: float) -> float:
        return self.filled / self.asked if self.asked else default

    def key(self, borrower: Library, default_rate: float, default_hours: float) -> tuple:
        return (
            self.over_limit,
            not self.on_shelf,
            self.load_band,
            self.proximity(borrower),
            -round(self.fill_rate(default_rate), 2),
            self.answer_hours if self.answer_hours is not None else default_hours,
            self.lender.code,
        )

    def reason_data(self, borrower: Library, default_rate: float, *, named_first: bool) -> dict:
        """What ranked it, as data (ill.rota_reasons says it in the reader's language)."""
        return {
            "code": rota_reasons.RANKED,
            "named_first": named_first,
            "open_loans": self.open_loans,
            "limit": self.terms.max_open_loans if self.terms else None,
            "over_limit": self.over_limit,
            "on_shelf": self.on_shelf,
            "lent": self.lent,
            "borrowed": self.borrowed,
            "proximity": self.proximity(borrower),
            "asked": self.asked,
            "filled": self.filled,
            "default_rate": round(default_rate, 4),
            "answer_days": round(self.answer_hours / 24, 2) if self.answer_hours is not None else None,
            "policy": self.why_allowed,
        }


def _english(data: dict) -> str:
    """The reason in English, kept in RotaEntry.reason for API clients and the log."""
    with translation.override("en"):
        return rota_reasons.rota_reason_text(data)


def _holder_rows(req: IllRequest) -> dict[int, bool]:
    """Lending library id -> has a copy on the shelf, for the request's record(s)."""
    holdings = Holding.objects.lendable(elsewhere_than=req.borrower_id)
    if req.bib_record_id:
        holdings = holdings.filter(bib_record_id=req.bib_record_id)
    elif req.isbn:
        holdings = holdings.filter(bib_record__in=BibRecord.objects.filter(isbns__contains=[req.isbn]))
    else:
        return {}
    shelf: dict[int, bool] = {}
    for library_id, status in holdings.values_list("library_id", "status"):
        shelf[library_id] = shelf.get(library_id, False) or status == Holding.Status.AVAILABLE
    return shelf


def _add_history(ok: dict[int, Candidate], req: IllRequest) -> None:
    """Each allowed lender's open loans to this borrower, what it lent and borrowed, and
    how often and how fast it answered, over the last HISTORY_DAYS."""
    if not ok:
        return
    ids = list(ok)
    since = clock.now() - timedelta(days=HISTORY_DAYS)
    for lender_id, n in (
        IllRequest.objects.filter(
            borrower_id=req.borrower_id, supplier_id__in=ids, status__in=states.OPEN_LOAN_STATUSES
        )
        .values_list("supplier_id")
        .annotate(n=Count("pk"))
    ):
        ok[lender_id].open_loans = n
    supplied = Q(supplier_status__in=states.SUPPLIED_STATUSES, created_at__gte=since)
    for lender_id, n in (
        IllRequest.objects.filter(supplied, supplier_id__in=ids)
        .values_list("supplier_id")
        .annotate(n=Count("pk"))
    ):
        ok[lender_id].lent = n
    for lender_id, n in (
        IllRequest.objects.filter(supplied, borrower_id__in=ids)
        .values_list("borrower_id")
        .annotate(n=Count("pk"))
    ):
        ok[lender_id].borrowed = n
    answered = RotaEntry.objects.filter(lender_id__in=ids, asked_at__gte=since).exclude(
        status__in=[RotaEntry.Status.PENDING, RotaEntry.Status.SKIPPED, RotaEntry.Status.ASKED]
    )
    for lender_id, asked, filled, hours in answered.values_list("lender_id").annotate(
        asked=Count("pk"),
        filled=Count("pk", filter=Q(status=RotaEntry.Status.SUPPLYING)),
        hours=Avg(F("answered_at") - F("asked_at")),
    ):
        c = ok[lender_id]
        c.asked, c.filled = asked, filled
        c.answer_hours = hours.total_seconds() / 3600 if hours is not None else None


def rota_entry(
    req: IllRequest, *, lender: Library, terms: Terms, data: dict, round_: int | None = None
) -> RotaEntry:
    """An unsaved rota entry asking this lender on the agreement's terms, with its reason
    (as data, and in English for API clients and the log)."""
    return RotaEntry(
        request=req,
        round=req.rota_round if round_ is None else round_,
        lender=lender,
        reason=_english(data),
        reason_data=data,
        agreement_id=terms.agreement_id,
        agreement_name=terms.agreement_name[:200],
        loan_period_days=terms.loan_period_days,
        renewals_allowed=terms.renewals_allowed,
        response_deadline_days=terms.response_deadline_days,
        fee_pkr=terms.fee_pkr,
    )


def build_rota(req: IllRequest) -> list[RotaEntry]:
    """Rank every candidate lender for this request; returns unsaved entries (with reasons)."""
    shelf = _holder_rows(req)
    # The lenders the requesting library named, asked first in its order.
    # (Requests made before the list was kept have the first one only.)
    order = req.preferred_suppliers or ([req.preferred_supplier_id] if req.preferred_supplier_id else [])
    named = {pk: n for n, pk in enumerate(order) if pk != req.borrower_id}
    for pk in named:
        shelf.setdefault(pk, False)
    if not shelf:
        return []
    libraries = list(Library.objects.filter(pk__in=shelf))
    allowed = terms_for_candidates(req=req, lenders=libraries)
    candidates = [Candidate(lib, allowed[lib.pk][0], allowed[lib.pk][1], shelf[lib.pk]) for lib in libraries]
    ok = {c.lender.pk: c for c in candidates if c.terms is not None}
    _add_history(ok, req)
    rates = [c.fill_rate(0) for c in ok.values() if c.asked]
    default_rate = sum(rates) / len(rates) if rates else 0.9
    speeds = [c.answer_hours for c in ok.values() if c.answer_hours is not None]
    default_hours = sum(speeds) / len(speeds) if speeds else 24.0
    ranked = sorted(
        ok.values(),
        key=lambda c: (named.get(c.lender.pk, len(named)), c.key(req.borrower, default_rate, default_hours)),
    )
    entries = [
        rota_entry(
            req,
            lender=c.lender,
            terms=c.terms,
            data=c.reason_data(req.borrower, default_rate, named_first=c.lender.pk in named),
        )
        for c in ranked
    ]
    for c in sorted((c for c in candidates if c.terms is None), key=lambda c: c.lender.code):
        data = {"code": rota_reasons.SKIPPED, "policy": c.why_allowed}
        entries.append(
            RotaEntry(
                request=req,
                round=req.rota_round,
                lender=c.lender,
                reason=_english(data),
                reason_data=data,
                status=RotaEntry.Status.SKIPPED,
            )
        )
    return entries


def next_position(req: IllRequest) -> int:
    """The position after the request's last rota entry, whatever the round."""
    return (RotaEntry.objects.filter(request=req).aggregate(m=Max("position"))["m"] or 0) + 1


@transaction.atomic
def rota_ensure(*, request_id: int) -> int:
    """Build the current round's rota once; returns how many entries it has."""
    req = IllRequest.objects.select_for_update().select_related("borrower").get(pk=request_id)
    existing = RotaEntry.objects.filter(request=req, round=req.rota_round).count()
    if existing or req.status != states.SOURCING:
        return existing
    entries = build_rota(req)
    start = next_position(req)
    for offset, entry in enumerate(entries):
        entry.position = start + offset
    RotaEntry.objects.bulk_create(entries)
    return len(entries)


def _end_of_rota_reasons(req: IllRequest) -> list[dict]:
    """Each lender of the round and how it ended, as data (rota_reasons.end_of_rota_lines)."""
    return [
        {
            "lender": entry.lender.code,
            "status": entry.status,
            "reason_unfilled": entry.reason_unfilled,
            "skipped": entry.reason_data if entry.status == RotaEntry.Status.SKIPPED else {},
        }
        for entry in RotaEntry.objects.filter(request=req, round=req.rota_round).select_related("lender")
    ]


@transaction.atomic
def ask_next_lender(*, request_id: int) -> str:
    """Ask the next pending lender, or report the end of the rota. Safe to repeat."""
    req = IllRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None or req.status != states.SOURCING:
        return "nothing to do"
    lending_now = set(Library.objects.lending().values_list("pk", flat=True))
    for entry in (
        RotaEntry.objects.select_for_update()
        .filter(request=req, round=req.rota_round, status=RotaEntry.Status.PENDING)
        .order_by("position")
    ):
        if entry.lender_id not in lending_now:
            # Paused or left since the rota was built: pass over it, saying why.
            entry.status = RotaEntry.Status.SKIPPED
            entry.reason_data = {**entry.reason_data, "passed_over": True}
            entry.save(update_fields=["status", "reason_data"])
            continue
        ill_request_transition(request_id=req.pk, action="send_to_supplier", actor=SYSTEM, entry_id=entry.pk)
        return f"asked {entry.lender_id}"
    ill_request_transition(
        request_id=req.pk, action="end_of_rota", actor=SYSTEM, reasons=_end_of_rota_reasons(req)
    )
    return "end of rota"


def route(*, request_id: int) -> str:
    """Validated → sourcing → rota → first (or next) lender asked."""
    req = IllRequest.objects.filter(pk=request_id).values("status").first()
    if req is None:
        return "gone"
    if req["status"] == states.VALIDATED:
        # Another worker may have started it a moment ago: carry on from its state.
        with contextlib.suppress(InvalidTransition):
            ill_request_transition(request_id=request_id, action="start_sourcing", actor=SYSTEM)
    rota_ensure(request_id=request_id)
    return ask_next_lender(request_id=request_id)
