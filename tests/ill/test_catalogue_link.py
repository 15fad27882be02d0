"""A request outlives the merged record it was made from."""

from __future__ import annotations

import pytest

from catalogue.models import BibRecord, SourceRecord
from catalogue.services import bib_records_recompute
from ill.models import IllRequest

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
