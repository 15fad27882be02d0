"""Matching quality on real records, and the rules that must never be broken."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from catalogue.marc import detect_format, iter_items, process_item
from catalogue.matching import block_keys, compare, match_key, same_manifestation
from tests.catalogue.conftest import SHARED

PAIRS = Path(__file__).parent / "data" / "match_pairs.json"


@cache
def record(name: str, index: int) -> dict:
    path = SHARED / name
    for i, item in enumerate(iter_items(path, detect_format(path))):
        if i == index:
            return process_item(item)["fields"]
    raise LookupError(f"{name} has no record {index}")


@pytest.mark.shared_data
def test_precision_and_recall_on_labelled_real_pairs():
    pairs = json.loads(PAIRS.read_text())
    tp = fp = fn = 0
    mistakes = []
    for pair in pairs:
        a, b = record(*pair["a"]), record(*pair["b"])
        predicted = same_manifestation(a, b)
        # Merging must also be found: the blocking keys of true pairs must meet.
        if predicted and not set(block_keys(a)) & set(block_keys(b)):
            predicted = False
        if predicted and pair["same"]:
            tp += 1
        elif predicted:
            fp += 1
            mistakes.append(("false merge", pair))
        elif pair["same"]:
            fn += 1
            mistakes.append(("missed", pair))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\nmatching on {len(pairs)} labelled pairs: precision {precision:.3f}, recall {recall:.3f}")
    for kind, pair in mistakes:
        print(f"  {kind}: {pair['a']} {pair['b']} ({pair['reason']})")
    assert precision >= 0.99, mistakes
    assert recall >= 0.95, mistakes


BASE = {
    "title": "Aag ka darya",
    "subtitle": "",
    "title_vernacular": "آگ کا دریا",
    "authors": ["Hyder, Qurratulain"],
    "year": 1959,
    "edition": "",
    "volume": "",
    "format": "book",
    "isbns": [],
    "issns": [],
    "lccn": "",
    "oclc_numbers": [],
    "publisher": "Maktaba-yi Jadid",
}


def variant(**changes) -> dict:
    return {**BASE, **changes}


def test_typo_and_script_variants_match():
    assert same_manifestation(BASE, variant(title="Aag ka daryaa", title_vernacular="آگ كا دريا"))
    assert same_manifestation(BASE, variant(authors=["Hyder, Qurrat ul-Ain"]))


@pytest.mark.parametrize(
    "change",
    [
        {"format": "ebook"},
        {"format": "thesis"},
        {"edition": "2nd ed."},
        {"volume": "v. 2"},
        {"year": 1975},
        {"title": "Aag ka darya 2"},
        {"authors": ["Faiz, Faiz Ahmad"]},
    ],
)
def test_different_manifestations_never_merge(change):
    assert compare(BASE, variant(**change)) == 0.0


def test_identifiers_do_not_override_format_edition_or_volume():
    with_isbn = variant(isbns=["9789690000000"])
    assert not same_manifestation(with_isbn, variant(isbns=["9789690000000"], format="ebook"))
    assert not same_manifestation(with_isbn, variant(isbns=["9789690000000"], volume="v. 3"))
    assert same_manifestation(with_isbn, variant(isbns=["9789690000000"], title="Aag ka dariya"))


def test_a_shared_isbn_with_an_unrelated_title_is_a_typing_mistake():
    assert not same_manifestation(
        variant(isbns=["9789690000000"]),
        variant(isbns=["9789690000000"], title="Udas naslen", title_vernacular=""),
    )


def test_match_key_is_normalized():
    assert match_key(BASE) == match_key(variant(title="The Aag ka darya", edition=""))
    assert match_key(BASE) != match_key(variant(edition="2nd ed."))
