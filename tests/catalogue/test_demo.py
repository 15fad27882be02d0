from __future__ import annotations

import pytest

from catalogue import demo
from catalogue.models import BibRecord, SourceRecord
from members.demo import seed_members

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_demo_catalogue_merges_libraries_and_is_idempotent():
    seed_members()
    first = demo.seed()
    assert first["source records"] > 300
    shared = BibRecord.objects.filter(library_ids__len__gte=2).count()
    assert shared >= 25  # LUMS and QAU hold the same 30 LC records; UOP's CSV rows merge too
    uop = SourceRecord.objects.get(library__code="PK-UOP", local_id="UOP-LC000")
    assert uop.bib_record.sources.filter(library__code="PK-LUMS").exists()
    assert demo.seed() == {"records": 0, "source records": 0, "holdings": 0}


def test_demo_skips_without_shared_data(settings, tmp_path, db):
    settings.BASE_DIR = tmp_path / "repo"
    assert demo.seed() == {"records": 0, "source records": 0, "holdings": 0}


def test_demo_urdu_books_are_found_in_either_script():
    from catalogue.search import search_catalogue

    seed_members()
    demo.seed()

    def titles(q):
        return {hit.title for hit in search_catalogue(q=q).hits}

    # catalogued in romanization only, searched in Urdu script
    assert "Dīvān-i Ghālib" in titles("دیوان غالب")
    # catalogued in Urdu script only, searched in romanization (as typed, and ALA-LC)
    assert "راجہ گدھ" in titles("Raja gidh")
    assert "بستی" in titles("Bastī")
    # catalogued in both (245 and 880): found by either, as written
    assert "Āg kā daryā" in titles("آگ کا دریا") & titles("Aag ka darya")
