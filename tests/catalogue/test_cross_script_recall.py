"""Cross-script recall on a labelled set (tests/catalogue/data/cross_script_set.json, built
from real records' 245/880 pairs and the demo's Urdu books by build_cross_script_set.py).

Each direction strips one script: the catalogue holds every title in one script only, and
each book is searched with its title words in the other (and, for the Urdu books, as
people type them). A book counts as found when it is among the first five results.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalogue.search import search_catalogue
from tests.catalogue.factories_search import make_record

pytestmark = pytest.mark.django_db

LABELLED = json.loads(Path(__file__).with_name("data").joinpath("cross_script_set.json").read_text("utf-8"))
TOP = 5
RECALL_AT_LEAST = 0.90
QUERY_WORDS = 6  # a long title is searched by its first words, as people do


def _query(title: str) -> str:
    return " ".join(title.replace(",", " ").split()[:QUERY_WORDS])


def _recall(catalogued_as: str, searched_as: list[str]) -> tuple[float, list[str]]:
    records = [make_record(title=e[catalogued_as], language=e["language"]) for e in LABELLED]
    found, missed, asked = 0, [], 0
    for entry, record in zip(LABELLED, records, strict=True):
        for field in searched_as:
            if field not in entry:
                continue
            asked += 1
            hits = [hit.id for hit in search_catalogue(q=_query(entry[field])).hits[:TOP]]
            if record.pk in hits:
                found += 1
            else:
                missed.append(f"{entry[field]!r} -> {entry[catalogued_as]!r}")
    return found / asked, missed


def test_urdu_script_queries_find_books_catalogued_only_in_romanization():
    recall, missed = _recall("romanized", ["script"])
    assert len(LABELLED) >= 20
    assert recall >= RECALL_AT_LEAST, missed


def test_romanized_queries_find_books_catalogued_only_in_arabic_script():
    recall, missed = _recall("script", ["romanized", "typed"])
    assert recall >= RECALL_AT_LEAST, missed
