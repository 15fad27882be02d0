"""Factories for ILL tests: catalogue records with holdings, and requests."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from catalogue.models import BibRecord, Holding, SourceRecord
from tests.factories import LibraryFactory


class BibRecordFactory(DjangoModelFactory):
    class Meta:
        model = BibRecord

    title = factory.Sequence(lambda n: f"Tarikh-e-Pakistan volume {n}")
    authors = factory.LazyFunction(lambda: ["Qureshi, Ishtiaq Husain"])
    year = 1967
    format = "book"
    isbns = factory.Sequence(lambda n: [f"97896900{n:05d}"])


class SourceRecordFactory(DjangoModelFactory):
    class Meta:
        model = SourceRecord

    library = factory.SubFactory(LibraryFactory)
    local_id = factory.Sequence(lambda n: f"local-{n}")
    bib_record = factory.SubFactory(BibRecordFactory)
    marc = b""
    source_format = "marc"
    checksum = "0" * 64


class HoldingFactory(DjangoModelFactory):
    class Meta:
        model = Holding

    bib_record = factory.SubFactory(BibRecordFactory)
    library = factory.SubFactory(LibraryFactory)
    source = factory.LazyAttribute(lambda o: SourceRecordFactory(library=o.library, bib_record=o.bib_record))
    call_number = "DS384 .Q8"
    lendable = True
    status = Holding.Status.AVAILABLE


def held_by(*libraries, record=None, **holding):
    """A record held (lendably) by each library; library_ids kept as catalogue services would."""
    record = record or BibRecordFactory()
    for library in libraries:
        HoldingFactory(bib_record=record, library=library, **holding)
    record.library_ids = sorted({*record.library_ids, *(lib.pk for lib in libraries)})
    record.save(update_fields=["library_ids"])
    return record
