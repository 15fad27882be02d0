"""Factories for search tests: merged records with holdings, indexed as the services do."""

from __future__ import annotations

import factory
import pymarc
from factory.django import DjangoModelFactory

from catalogue.indexing import refresh_holding_arrays, refresh_search_documents
from catalogue.models import BibRecord, Holding, SourceRecord


class BibRecordFactory(DjangoModelFactory):
    class Meta:
        model = BibRecord

    title = factory.Sequence(lambda n: f"Record number {n}")
    authors = factory.LazyFunction(list)
    year = 2000
    language = "eng"
    format = "book"


def marc_bytes(*, title: str, author: str = "", isbn: str = "", control: str = "1") -> bytes:
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data=control))
    if isbn:
        record.add_field(
            pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)])
        )
    if author:
        record.add_field(
            pymarc.Field(tag="100", indicators=["1", " "], subfields=[pymarc.Subfield("a", author)])
        )
    record.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=[pymarc.Subfield("a", title)]))
    return record.as_marc()


def make_record(*, libraries=(), status: str = "available", call_number: str = "", **fields) -> BibRecord:
    """A BibRecord held by these libraries, with its search document and arrays current."""
    record = BibRecordFactory(**fields)
    for library in libraries:
        source = SourceRecord.objects.create(
            library=library,
            local_id=f"{library.code}-{record.pk}",
            bib_record=record,
            marc=marc_bytes(title=record.title, control=str(record.pk)),
            source_format="marc",
            checksum=f"{record.pk}",
        )
        Holding.objects.create(
            source=source,
            library=library,
            bib_record=record,
            call_number=call_number or f"QA{record.pk}",
            status=status,
        )
        if record.preferred_source_id is None:
            record.preferred_source = source
            record.save(update_fields=["preferred_source"])
    refresh_search_documents([record.pk])
    refresh_holding_arrays([record.pk])
    record.refresh_from_db()
    return record
