from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery

from catalogue.indexing import refresh_holding_arrays, refresh_search_documents
from catalogue.models import BibRecord, Holding, SourceRecord
from catalogue.normalize import fold
from members.models import PROVINCE_NUMBERS

pytestmark = pytest.mark.django_db


def _holding(record, library, status="available"):
    source = SourceRecord.objects.create(
        library=library,
        local_id=f"{library.code}-{record.pk}",
        bib_record=record,
        marc=b"",
        source_format="marc",
        checksum="x",
    )
    return Holding.objects.create(source=source, library=library, bib_record=record, status=status)


def test_urdu_record_found_by_either_spelling():
    record = BibRecord.objects.create(title="Urdu adab ki tarikh", title_vernacular="اردو ادب كي تاريخ")
    refresh_search_documents([record.pk])
    query = SearchQuery(fold("اردو ادب کی تاریخ"), config="simple", search_type="plain")
    assert BibRecord.objects.filter(search_document=query).count() == 1


def test_holding_arrays_follow_holdings(library, other_library):
    record = BibRecord.objects.create(title="Pakistan: a history")
    _holding(record, library)
    withdrawn = _holding(record, other_library, status="withdrawn")
    refresh_holding_arrays([record.pk])
    record.refresh_from_db()
    assert record.library_ids == [library.pk]
    assert record.province_ids == [PROVINCE_NUMBERS[library.province]]
    withdrawn.status = "available"
    withdrawn.save()
    refresh_holding_arrays([record.pk])
    record.refresh_from_db()
    assert sorted(record.library_ids) == sorted([library.pk, other_library.pk])
    assert sorted(record.province_ids) == sorted(PROVINCE_NUMBERS[p] for p in ("PB", "SD"))
