"""Demo ILL requests between the demo libraries, one in each main state. Idempotent.

Every step goes through the real services (create, transition, routing), so the demo
requests carry a true history, rota and notices. Lenders without demo staff act through
their library's system principal, as a peer ILL system would through the API.
"""

from __future__ import annotations

import importlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count

from catalogue.models import BibRecord, Holding, SourceRecord
from consortium.exceptions import DomainError
from ill import states
from ill.models import IllRequest
from ill.routing import route
from ill.services import ill_request_create, ill_request_transition
from members.models import Library, User
from members.permissions import LibraryPrincipal

DEMO_NOTE = "Demo request: "
logger = logging.getLogger(__name__)

# Used only when the catalogue's demo created no records: real Pakistani titles.
DEMO_RECORDS = [
    ("The Making of Pakistan", ["Aziz, K. K."], 1967, "9789694020123", ["PK-PU", "PK-UOK", "PK-QAU"]),
    ("Jinnah of Pakistan", ["Wolpert, Stanley"], 1984, "9780195034127", ["PK-UOK", "PK-GCU", "PK-UOP"]),
    ("Pakistan: A Hard Country", ["Lieven, Anatol"], 2011, "9781610390231", ["PK-QAU", "PK-BZU", "PK-LUMS"]),
    ("Aag ka Darya", ["Hyder, Qurratulain"], 1959, "9789694151056", ["PK-PU", "PK-UOP", "PK-NLP"]),
    ("Ab-e-Hayat", ["Azad, Muhammad Husain"], 1880, "9789694160676", ["PK-LUMS", "PK-GCU", "PK-UOK"]),
    ("The Idea of Pakistan", ["Cohen, Stephen P."], 2004, "9780815715023", ["PK-NUST", "PK-UOP", "PK-PU"]),
    ("Economic History of Pakistan", ["Zaidi, S. Akbar"], 2005, "9780195979572", ["PK-LUMS", "PK-QAU", "PK-AKU"]),
    ("Tafheem-ul-Quran", ["Maududi, Abul A'la"], 1972, "9789694980021", ["PK-PU", "PK-UOK", "PK-UOB"]),
]  # fmt: skip

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _ensure_records() -> int:
    """Demo records with holdings, unless the catalogue already has records."""
    if BibRecord.objects.exists():
        return 0
    created = 0
    for title, authors, year, isbn, codes in DEMO_RECORDS:
        libraries = list(Library.objects.filter(code__in=codes))
        record = BibRecord.objects.create(
            title=title, authors=authors, year=year, isbns=[isbn], format="book"
        )
        for n, library in enumerate(libraries):
            source = SourceRecord.objects.create(
                library=library,
                local_id=f"demo-ill-{isbn}",
                bib_record=record,
                marc=b"",
                source_format="csv",
                checksum=isbn.rjust(64, "0"),
            )
            Holding.objects.create(
                source=source, library=library, bib_record=record, call_number=f"DS{380 + n}", lendable=True
            )
        record.library_ids = sorted(lib.pk for lib in libraries)
        record.province_ids = sorted({lib.province_number for lib in libraries})
        record.save(update_fields=["library_ids", "province_ids"])
        created += 1
    try:  # catalogue's index maintenance, where that app provides it
        indexing = importlib.import_module("catalogue.indexing")
        ids = list(BibRecord.objects.values_list("pk", flat=True))
        indexing.refresh_search_documents(ids)
        indexing.refresh_holding_arrays(ids)
    except (ImportError, AttributeError):
        pass
    return created


def _staff(library: Library | None):
    """A staff member of the library, or its system principal when it has no demo staff."""
    if library is None:
        return None
    user = User.objects.filter(
        library=library, role__in=["librarian", "library_admin"], is_active=True
    ).first()
    return user or LibraryPrincipal(library=library, token_id=0)


def _record_for(patron: User, lenders: int = 1) -> BibRecord | None:
    """A record at least this many other members lend that this patron has not asked for yet."""
    asked = IllRequest.objects.filter(patron=patron, bib_record__isnull=False).values("bib_record_id")
    ids = (
        Holding.objects.filter(lendable=True, status=Holding.Status.AVAILABLE)
        .exclude(library=patron.library)
        .exclude(bib_record__holdings__library=patron.library)
        .exclude(bib_record_id__in=asked)
        .values("bib_record_id")
        .annotate(lenders=Count("library", distinct=True))
        .filter(lenders__gte=lenders)
        .values_list("bib_record_id", flat=True)
        .order_by("bib_record_id")
    )
    first = ids.first()
    return BibRecord.objects.filter(pk=first).first() if first else None


def _go(req: IllRequest, *steps: tuple[str, str, dict]) -> None:
    for who, action, payload in steps:
        req.refresh_from_db()
        if who == "route":
            route(request_id=req.pk)
            continue
        actor = (
            _staff(req.borrower)
            if who == "borrower"
            else _staff(req.supplier)
            if who == "lender"
            else req.patron
        )
        ill_request_transition(request_id=req.pk, action=action, actor=actor, **payload)


ROUTED = (("borrower", "validate", {}), ("route", "", {}))
SUPPLYING = (*ROUTED, ("lender", "will_supply", {}))
SHIPPED = (*SUPPLYING, ("lender", "ship", {}))
LOANED = (*SHIPPED, ("borrower", "receive", {}), ("borrower", "check_out", {}))

SCENARIOS: list[tuple[str, str, str, dict, tuple]] = [
    # key, patron, expected status, create options, steps
    ("submitted", "lums-patron", states.SUBMITTED, {}, ()),
    ("sent", "lums-patron", states.SENT_TO_SUPPLIER, {}, ROUTED),
    ("will-supply", "uok-patron", states.WILL_SUPPLY, {}, SUPPLYING),
    ("conditions", "qau-patron", states.CONDITIONAL_ANSWER, {},
     (*ROUTED, ("lender", "will_supply_with_conditions", {"condition": "LibraryUseOnly"}))),
    ("shipped", "uop-patron", states.SHIPPED, {}, SHIPPED),
    ("ready", "pu-patron", states.RECEIVED, {}, (*SHIPPED, ("borrower", "receive", {}))),
    ("on-loan", "uok-patron", states.CHECKED_OUT, {}, LOANED),
    ("renewal", "qau-patron", states.RENEW_PENDING, {}, (*LOANED, ("patron", "renew", {}))),
    ("recalled", "lums-patron", states.RECALLED, {}, (*LOANED, ("lender", "recall", {}))),
    ("returning", "uop-patron", states.SHIPPED_RETURN, {},
     (*LOANED, ("borrower", "return_by_patron", {}), ("borrower", "ship_return", {}))),
    ("completed", "pu-patron", states.COMPLETED, {},
     (*LOANED, ("borrower", "return_by_patron", {}), ("borrower", "ship_return", {}), ("lender", "check_in", {}))),
    ("copy", "lums-patron", states.COPY_DELIVERED, {"service_type": "copy", "article_title": "Chapter 2", "pages": "31-58"},
     (*ROUTED, ("lender", "deliver_copy", {"file": "pdf"}))),
    ("cancel-asked", "uok-patron", states.CANCEL_PENDING, {}, (*ROUTED, ("patron", "request_cancel", {}))),
    ("cancelled", "qau-patron", states.CANCELLED, {}, (("patron", "cancel", {}),)),
    ("refused", "uop-patron", states.REFUSED, {}, (("borrower", "refuse", {"reason": "held_locally"}),)),
    # The first lender cannot supply; routing asks the next one, and the first keeps a
    # read-only view of its own part (lending queue, "our past answers").
    ("passed-on", "lums-patron", states.SENT_TO_SUPPLIER, {"lenders": 2},
     (*ROUTED, ("lender", "unfilled", {"reason_unfilled": "NotOnShelf", "note": "Missing at stock-taking"}),
      ("route", "", {}))),
]  # fmt: skip


def _payload(payload: dict) -> dict:
    if payload.get("file") == "pdf":
        upload = ContentFile(PDF, name="demo-chapter.pdf")
        return {**payload, "file": upload}
    return payload


def seed() -> dict[str, int]:
    """Create the demo ILL requests that do not exist yet."""
    counts = {"records": _ensure_records(), "requests": 0}
    for key, username, _expected, options, steps in SCENARIOS:
        patron = User.objects.filter(username=username).select_related("library").first()
        if patron is None or patron.library is None:
            continue
        note = f"{DEMO_NOTE}{key}"
        if IllRequest.objects.filter(patron_note=note).exists():
            continue
        options = dict(options)
        record = _record_for(patron, lenders=options.pop("lenders", 1))
        if record is None:
            continue
        try:
            with transaction.atomic():
                req = ill_request_create(actor=patron, bib_record_id=record.pk, note=note, **options)
                _go(req, *[(who, action, _payload(payload)) for who, action, payload in steps])
        except DomainError as exc:
            # No agreement allows it, or routing ended elsewhere: leave this one out, say why.
            logger.warning("ILL demo %s left out: %s", key, exc.message)
            continue
        counts["requests"] += 1
    # A citation no member holds, typed by staff: routed to the end of the rota.
    lums = Library.objects.filter(code="PK-LUMS").first()
    note = f"{DEMO_NOTE}end-of-rota"
    if lums and not IllRequest.objects.filter(patron_note=note).exists():
        staff = _staff(lums)
        with transaction.atomic():
            req = ill_request_create(
                actor=staff, title="Proceedings of the Punjab Historical Society, vol. 3 (1914)", note=note
            )
            _go(req, *ROUTED)
        counts["requests"] += 1
    return counts
