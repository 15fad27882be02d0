"""catalogue.selectors: the identifier and title lookup other apps use (ISO 18626 requests)."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.models import BibRecord
from catalogue.selectors import bib_records_by_identifiers
from tests.catalogue.test_services import marc_record, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(library, tmp_path):
    path = write(
        tmp_path,
        "two.mrc",
        marc_record("r1", "The Rivers of Fire", isbn="9789693517019"),
        marc_record("r2", "Aag ka darya", year="1959", author="Hyder, Q."),
    )
    services.import_path(actor=None, library=library, path=path)
    return {r.title: r for r in BibRecord.objects.all()}


def test_an_identifier_finds_its_record(catalogue):
    found = bib_records_by_identifiers(isbns=["9789693517019"])
    assert found == [catalogue["The Rivers of Fire"]]


def test_the_first_kind_of_identifier_that_finds_a_record_wins(catalogue):
    # An unknown ISBN, then an ISSN nobody has: nothing; the ISBN that is known: found.
    assert bib_records_by_identifiers(isbns=["9780306406157"], issns=["0317-8471"]) == []
    assert bib_records_by_identifiers(isbns=["9789693517019"], issns=["0317-8471"]) == [
        catalogue["The Rivers of Fire"]
    ]


def test_a_title_finds_its_record_folded_and_without_its_leading_article(catalogue):
    assert bib_records_by_identifiers(title="rivers of FIRE") == [catalogue["The Rivers of Fire"]]
    assert bib_records_by_identifiers(title="Aag ka darya") == [catalogue["Aag ka darya"]]


def test_a_title_alike_but_not_the_same_finds_nothing(catalogue):
    assert bib_records_by_identifiers(title="The Rivers of Fire and Ice") == []


def test_a_title_is_not_looked_up_when_the_citation_has_identifiers(catalogue):
    # An identifier that finds nothing is an answer: the title does not override it.
    assert bib_records_by_identifiers(isbns=["9780306406157"], title="The Rivers of Fire") == []
