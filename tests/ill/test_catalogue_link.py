"""What ILL reads of the catalogue: a request outlives the merged record it was made
from; a lendable copy elsewhere is the same thing for every ILL surface."""

from __future__ import annotations

import pytest

from catalogue.models import BibRecord, Holding, SourceRecord
from catalogue.services import bib_records_recompute
from ill.exceptions import NO_LENDER, IllError
from ill.iso18626.services import bib_record_for
from ill.iso18626.xml import parse
from ill.models import IllRequest
from ill.routing import build_rota
from ill.services import ill_request_create
from tests.ill import iso18626_messages as msgs
from tests.ill.factories import BibRecordFactory, held_by

pytestmark = pytest.mark.django_db


def test_request_keeps_its_citation_when_the_record_is_merged_away(submitted, record):
    # given the record's only source moves to another merged record (a rematch or split)
    title = submitted.title
    other = BibRecord.objects.create(title=record.title)
    SourceRecord.objects.filter(bib_record=record).update(bib_record=other)
    # when the catalogue recomputes the emptied record
    bib_records_recompute(bib_ids=[record.pk])
    # then the record is gone, the import was not blocked, and the request still reads
    assert not BibRecord.objects.filter(pk=record.pk).exists()
    request = IllRequest.objects.get(pk=submitted.pk)
    assert request.bib_record is None
    assert request.title == title


@pytest.mark.parametrize("status", [Holding.Status.WITHDRAWN, Holding.Status.MISSING])
def test_a_withdrawn_or_missing_copy_is_no_lender_anywhere(
    status, patron, librarian, library, lender, agreement
):
    # given the only other copy is withdrawn (or missing), and the borrower holds one itself
    record = held_by(lender, record=BibRecordFactory(isbns=["9780198526636"]), status=status)
    held_by(library, record=record)
    # then a patron cannot request it, routing finds nobody, and an ISO 18626 request's
    # identifiers find the record but no lender
    with pytest.raises(IllError) as exc:
        ill_request_create(actor=patron, bib_record_id=record.pk)
    assert exc.value.message == NO_LENDER
    citation = ill_request_create(actor=librarian, title=record.title, isbn=record.isbns[0])
    assert build_rota(citation) == []
    message = parse(msgs.request(borrower=library.code, request_id="KOHA-1", isbn=record.isbns[0]).bytes())
    assert bib_record_for(message, library) == (record, False)
    # and once the copy is back on the shelf, all three see it
    Holding.objects.filter(bib_record=record, library=lender).update(status=Holding.Status.AVAILABLE)
    assert ill_request_create(actor=patron, bib_record_id=record.pk).status == "submitted"
    assert [e.lender for e in build_rota(citation)] == [lender]
    assert bib_record_for(message, library) == (record, True)
