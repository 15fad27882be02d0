"""Browsing without a query: facet counts exact over the whole catalogue, disjunctive, one statement."""

from __future__ import annotations

import pytest
from django.db import connection

from catalogue.facet_counts import facet_counts_recompute
from catalogue.indexing import refresh_search_documents
from catalogue.models import BibRecord
from catalogue.search import FACETS, SUBJECT_FACET_SIZE, SearchFilters, search_catalogue
from members.models import PROVINCE_NUMBERS, Library
from tests.catalogue.facets_brute_force import catalogue_changes, expected
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

# More records than the newest-additions window browsing used to count over (2,000).
OLDER, NEWER = 600, 2000


def assert_counts_exact(result, filters: dict[str, list[str]], where: str = "") -> None:
    total, counts = expected(filters)
    assert result.total == total, where
    got = {name: {f.value: f.count for f in values if f.count} for name, values in result.facets.items()}
    for facet in FACETS:
        if facet == "subject":
            # the top SUBJECT_FACET_SIZE, each with its true count
            assert len(got["subject"]) == min(SUBJECT_FACET_SIZE, len(counts["subject"])), where
            assert all(counts["subject"][s] == n for s, n in got["subject"].items()), where
            rest = [n for s, n in counts["subject"].items() if s not in got["subject"]]
            assert not rest or min(got["subject"].values()) >= max(rest), where
        else:
            assert got[facet] == counts[facet], f"{where} {facet}"


def browse(**filters):
    return search_catalogue(q="", filters=SearchFilters(**filters), page_size=100)


@pytest.fixture
def big_catalogue(library, other_library):
    """2,600 records: the oldest 600 theses in Sindh, then 2,000 books in Punjab."""
    third = LibraryFactory(code="PK-THIRD", province="KP", city="Peshawar")
    sd, pb, kp = (PROVINCE_NUMBERS[c] for c in ("SD", "PB", "KP"))
    older = [
        BibRecord(
            title=f"Older thesis {n}",
            format="thesis",
            language="urd",
            year=1950 + n % 40,
            library_ids=[other_library.pk],
            province_ids=[sd],
            subjects=["Sufism", f"Shrine {n % 20}"],
        )
        for n in range(OLDER)
    ]
    newer = [
        BibRecord(
            title=f"Newer book {n}",
            format="book",
            language="eng" if n % 4 else "ara",
            year=2010 + n % 10 if n % 50 else None,
            library_ids=[library.pk, third.pk] if n % 3 == 0 else [library.pk],
            province_ids=[pb, kp] if n % 3 == 0 else [pb],
            subjects=["Economics"] if n % 2 else [],
        )
        for n in range(NEWER)
    ]
    BibRecord.objects.bulk_create(older, batch_size=500)
    BibRecord.objects.bulk_create(newer, batch_size=500)
    return library, other_library, third


def test_browse_counts_are_exact_over_more_records_than_any_window(big_catalogue):
    _library, other_library, _third = big_catalogue
    result = browse()
    assert result.browse and result.total == OLDER + NEWER
    assert_counts_exact(result, {})
    counts = {name: {f.value: f.count for f in values} for name, values in result.facets.items()}
    assert counts["format"] == {"book": NEWER, "thesis": OLDER}
    assert counts["library"][other_library.code] == OLDER
    assert counts["subject"]["Sufism"] == OLDER
    # newest additions first
    assert result.hits[0].title == f"Newer book {NEWER - 1}"


def test_results_page_shows_exact_counts_and_no_approximate_notice(client, big_catalogue):
    _library, other_library, _third = big_catalogue
    response = client.get("/search/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "newest additions only" not in body and "approximate" not in body.lower()
    formats = {f.value: f.count for f in response.context["result"].facets["format"]}
    assert formats == {"book": NEWER, "thesis": OLDER}
    # the count is on the page next to its checkbox
    assert 'value="thesis"' in body and f">{OLDER}</span>" in body
    filtered = client.get("/search/", {"library": other_library.code, "format": "book"})
    assert filtered.context["result"].total == 0
    libraries = {f.value: f.count for f in filtered.context["result"].facets["library"]}
    assert libraries["PK-HOME"] == NEWER


def test_api_without_q_returns_exact_facets(client, big_catalogue):
    data = client.get("/api/v1/records/").json()
    assert data["browse"] and data["count"] == OLDER + NEWER
    assert data["facets_approximate"] is False
    formats = {f["value"]: f["count"] for f in data["facets"]["format"]}
    assert formats == {"book": NEWER, "thesis": OLDER}
    data = client.get("/api/v1/records/", {"subject": "Sufism", "library": "PK-HOME"}).json()
    assert data["count"] == 0
    libraries = {f["value"]: f["count"] for f in data["facets"]["library"]}
    assert libraries == {"PK-AWAY": OLDER, "PK-HOME": 0}
    subjects = {f["value"]: f["count"] for f in data["facets"]["subject"]}
    assert subjects["Economics"] == NEWER // 2


@pytest.mark.parametrize(
    "filters",
    [
        {"format": ["thesis"]},
        {"library": ["PK-AWAY"]},
        {"library": ["PK-HOME", "PK-THIRD"]},
        {"decade": ["1950", "2010"]},
        {"subject": ["Sufism"]},
        {"library": ["PK-HOME"], "language": ["ara"]},
        {"province": ["KP", "SD"], "format": ["book"], "decade": ["2010"]},
        {"library": ["PK-GONE", "PK-AWAY"], "subject": ["Shrine 3", "Sufism"], "format": ["thesis", "map"]},
        {"library": ["PK-GONE"], "format": ["book"]},
    ],
)
def test_filtered_browse_counts_are_disjunctive_and_exact(big_catalogue, filters):
    first = browse(**filters)  # counted
    again = browse(**filters)  # remembered
    assert_counts_exact(first, filters)
    assert_counts_exact(again, filters)
    assert {h.id for h in again.hits} == {h.id for h in first.hits}
    assert len(first.hits) == min(100, first.total)


def test_one_filter_keeps_the_other_values_of_its_facet(big_catalogue):
    library, other_library, third = big_catalogue
    result = browse(library=[other_library.code])
    counts = {
        name: {f.value: (f.count, f.selected) for f in values} for name, values in result.facets.items()
    }
    assert result.total == OLDER
    # the library facet counts every library (no other filter), the rest only the chosen one's
    assert counts["library"] == {
        other_library.code: (OLDER, True),
        library.code: (NEWER, False),
        third.code: (NEWER // 3 + 1, False),
    }
    assert counts["format"] == {"thesis": (OLDER, False)}
    # and a second library adds to it (OR) without the first losing its count
    both = browse(library=[other_library.code, third.code])
    counts = {name: {f.value: f.count for f in values} for name, values in both.facets.items()}
    assert both.total == OLDER + NEWER // 3 + 1
    assert counts["format"] == {"thesis": OLDER, "book": NEWER // 3 + 1}
    assert counts["library"][library.code] == NEWER


def test_browse_and_query_agree_on_the_same_records(library, other_library):
    # given records that all match the query word
    third = LibraryFactory(code="PK-THIRD", province="KP", city="Peshawar")
    records = []
    for n in range(24):
        held = [[library], [other_library], [library, third], [third, other_library]][n % 4]
        records.append(
            make_record(
                title=f"Sufi text {n}",
                format=["book", "thesis", "serial"][n % 3],
                language=["eng", "urd"][n % 2],
                year=1980 + n * 2,
                subjects=[["Sufism"], ["Poetry", "Sufism"], []][n % 3],
                libraries=held,
            )
        )
    refresh_search_documents([r.pk for r in records])
    for filters in (
        {},
        {"library": [third.code]},
        {"library": [library.code, third.code], "format": ["book", "serial"]},
        {"province": ["SD"], "language": ["urd"], "decade": ["1990", "2000"]},
        {"subject": ["Poetry"], "library": ["PK-GONE"]},
    ):
        in_browse = browse(**filters)
        in_query = search_catalogue(q="sufi", filters=SearchFilters(**filters), page_size=100)
        assert in_browse.total == in_query.total
        assert in_browse.facets == in_query.facets
        assert {h.id for h in in_browse.hits} == {h.id for h in in_query.hits}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"format": ["book"]},
        {"library": ["PK-HOME"], "decade": ["2000"]},
        {"library": ["PK-GONE"]},
        {"library": ["PK-GONE", "PK-HOME"], "subject": ["Sufism"], "language": ["eng"]},
    ],
)
def test_one_statement_per_browse_counted_or_remembered(library, django_assert_num_queries, filters):
    make_record(title="Sufi poetry", subjects=["Sufism"], libraries=[library])
    with django_assert_num_queries(1):
        first = browse(**filters)
    with django_assert_num_queries(1):
        again = browse(**filters)
    assert first.total == again.total == 1
    assert first.facets == again.facets


def test_remembered_counts_follow_every_change(library, other_library, django_assert_num_queries):
    make_record(title="First", format="book", libraries=[library])
    assert browse(library=[library.code]).facets["format"][0].count == 1
    # a new record: the catalogue version moved, so the same browse counts again
    make_record(title="Second", format="book", libraries=[library])
    with django_assert_num_queries(1):
        result = browse(library=[library.code])
    assert result.total == 2 and result.facets["format"][0].count == 2
    # a library code that meant nothing when the counts were remembered now names a library
    renamed = LibraryFactory(code="PK-OLD", province="KP")
    make_record(title="Third", libraries=[renamed])
    assert browse(library=["PK-NEW"]).total == 3  # unknown: ignored
    Library.objects.filter(pk=renamed.pk).update(code="PK-NEW")
    with django_assert_num_queries(1):
        result = browse(library=["PK-NEW"])
    assert result.total == 1 and not result.notes


def test_remembered_counts_survive_writes_to_records_they_do_not_count(library, other_library, monkeypatch):
    from catalogue import browse as browse_module

    counted = []
    remember = browse_module.remember
    monkeypatch.setattr(browse_module, "remember", lambda *args: counted.append(1) or remember(*args))
    mine = make_record(title="Mine", format="book", libraries=[library])
    theirs = make_record(title="Theirs", format="thesis", libraries=[other_library])

    def formats():
        return {f.value: f.count for f in browse(library=[library.code]).facets["format"]}

    assert formats() == {"book": 1} and len(counted) == 1
    # a record of another library only: still remembered
    BibRecord.objects.filter(pk=theirs.pk).update(format="map")
    assert formats() == {"book": 1} and len(counted) == 1
    # a record of the chosen library, whose count does not change: counted again
    BibRecord.objects.filter(pk=mine.pk).update(format="thesis")
    assert formats() == {"thesis": 1} and len(counted) == 2
    make_record(title="Shared", format="map", libraries=[library, other_library])
    assert formats() == {"thesis": 1, "map": 1} and len(counted) == 3
    assert formats() == {"thesis": 1, "map": 1} and len(counted) == 3


def test_remembered_counts_stay_until_the_recount_corrects_a_write_that_bypassed_the_triggers(library):
    record = make_record(title="Sufi poetry", format="book", libraries=[library])
    assert browse(library=[library.code]).facets["format"][0].value == "book"
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # triggers off, as a restore may do
        cursor.execute("UPDATE catalogue_bibrecord SET format = 'thesis' WHERE id = %s", [record.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    # the catalogue version did not move: the remembered counts are used
    assert browse(library=[library.code]).facets["format"][0].value == "book"
    assert facet_counts_recompute() == 2
    assert browse().facets["format"][0].value == "thesis"
    assert browse(library=[library.code]).facets["format"][0].value == "thesis"


@pytest.mark.shared_data
def test_browse_stays_exact_through_imports_replace_split_merge_and_rematch(library, other_library, tmp_path):
    for filters in ({}, {"library": [library.code]}, {"library": [library.code], "format": ["book"]}):
        browse(**filters)  # remembered before the changes
    for step in catalogue_changes(library, other_library, tmp_path):
        for filters in ({}, {"library": [library.code]}, {"library": [library.code], "format": ["book"]}):
            assert_counts_exact(browse(**filters), filters, where=f"after {step}, {filters}")
