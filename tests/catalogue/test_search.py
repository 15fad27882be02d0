"""Catalogue search: ranking, facets, paging, suggestions, Urdu, browsing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.query import QueryError
from catalogue.search import (
    MAX_RESULTS_REACHABLE,
    SearchFilters,
    refresh_vocabulary,
    search_catalogue,
)
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def ids(result):
    return [hit.id for hit in result.hits]


def test_title_match_ranks_above_subject_match_above_notes(library):
    # given the word in a summary, in a subject and in a title
    notes = make_record(
        title="Annual report", summary="Includes a chapter on irrigation", libraries=[library]
    )
    subject = make_record(title="Rivers of the Punjab", subjects=["Irrigation"], libraries=[library])
    title = make_record(title="Irrigation in Pakistan", libraries=[library])
    # when searching for it
    result = search_catalogue(q="irrigation")
    # then title beats subject beats notes
    assert ids(result) == [title.pk, subject.pk, notes.pk]


def test_exact_phrase_and_newer_edition_break_ties(library):
    scattered = make_record(title="History and culture: a short Pakistan survey", year=2020)
    old = make_record(title="A short history of Pakistan", year=1967)
    new = make_record(title="A short history of Pakistan", year=2011)
    result = search_catalogue(q="short history")
    assert ids(result) == [new.pk, old.pk, scattered.pk]


def test_fielded_author_search_ignores_title_words(library):
    by_iqbal = make_record(title="Bang-e-Dra", authors=["Iqbal, Muhammad"])
    about_iqbal = make_record(title="Iqbal and his poetry", authors=["Schimmel, Annemarie"])
    assert ids(search_catalogue(q="author:iqbal")) == [by_iqbal.pk]
    assert ids(search_catalogue(q="title:iqbal")) == [about_iqbal.pk]


def test_isbn_typed_with_hyphens_as_isbn10_finds_the_record():
    record = make_record(title="Oxford dictionary", isbns=["9780198526636"])
    make_record(title="Another dictionary", isbns=["9780198611868"])
    assert ids(search_catalogue(q="0-19-852663-6")) == [record.pk]
    assert ids(search_catalogue(q="978 0198526636".replace(" ", ""))) == [record.pk]


def test_urdu_query_in_urdu_letters_finds_lc_record_with_arabic_letters():
    record = make_record(title="Urdu adab ki tarikh", title_vernacular="اردو ادب كي تاريخ", language="urd")
    assert ids(search_catalogue(q="اردو ادب کی تاریخ")) == [record.pk]
    assert ids(search_catalogue(q="urdu adab")) == [record.pk]


def test_urdu_query_with_spaces_ignored_when_few_results():
    # (catalogued in Urdu script only: a romanized "Naya daur" is found through its keys)
    record = make_record(title="نیادور", language="urd")
    result = search_catalogue(q="نیا دور")
    assert ids(result) == [record.pk]
    assert result.spaces_ignored


def test_facets_count_the_whole_result_set_and_combine_or_within_and_across(library, other_library):
    third = LibraryFactory(code="PK-THIRD", province="KP", city="Peshawar")
    a = make_record(title="Sufi poetry", format="book", language="urd", year=1995, libraries=[library])
    b = make_record(
        title="Sufi shrines", format="thesis", language="eng", year=2005, libraries=[other_library]
    )
    c = make_record(title="Sufi music", format="book", language="eng", year=2006, libraries=[library, third])
    make_record(title="Unrelated", libraries=[library])
    # when nothing is selected: counts over all three hits
    result = search_catalogue(q="sufi")
    counts = {name: {f.value: f.count for f in values} for name, values in result.facets.items()}
    assert result.total == 3
    assert counts["library"] == {library.code: 2, other_library.code: 1, "PK-THIRD": 1}
    assert counts["province"] == {"PB": 2, "SD": 1, "KP": 1}
    assert counts["format"] == {"book": 2, "thesis": 1}
    assert counts["language"] == {"urd": 1, "eng": 2}
    assert counts["decade"] == {"1990": 1, "2000": 2}
    # when two libraries are selected (OR) and a format (AND)
    result = search_catalogue(
        q="sufi", filters=SearchFilters(library=[other_library.code, "PK-THIRD"], format=["book"])
    )
    assert ids(result) == [c.pk]
    counts = {name: {f.value: f.count for f in values} for name, values in result.facets.items()}
    # the library facet still counts every library under the other filters (format=book)
    assert counts["library"][library.code] == 2
    assert counts["library"][other_library.code] == 0  # selected, stays visible
    assert counts["format"] == {"book": 1, "thesis": 1}
    assert {a.pk, b.pk} & set(ids(result)) == set()


def test_unknown_facet_values_are_ignored_with_a_note(library):
    make_record(title="Sufi poetry", libraries=[library])
    result = search_catalogue(
        q="sufi", filters=SearchFilters(library=["PK-NOPE"], format=["dvd'; DROP TABLE x"], decade=["19x0"])
    )
    assert result.total == 1
    assert len(result.notes) == 3
    assert any("PK-NOPE" in note for note in result.notes)


def test_sorts_and_bad_sort_and_pages(library):
    for year, title in ((1990, "Beta sufi"), (2010, "Alpha sufi"), (2000, "Gamma sufi")):
        make_record(title=title, year=year)
    assert [h.year for h in search_catalogue(q="sufi", sort="year").hits] == [2010, 2000, 1990]
    assert [h.year for h in search_catalogue(q="sufi", sort="year_asc").hits] == [1990, 2000, 2010]
    assert [h.title for h in search_catalogue(q="sufi", sort="title").hits] == [
        "Alpha sufi",
        "Beta sufi",
        "Gamma sufi",
    ]
    with pytest.raises(QueryError, match="Unknown sort"):
        search_catalogue(q="sufi", sort="title; DROP TABLE catalogue_bibrecord")
    page2 = search_catalogue(q="sufi", page=2, page_size=2)
    assert len(page2.hits) == 1 and page2.total == 3 and page2.pages == 2
    past_end = search_catalogue(q="sufi", page=5, page_size=2)
    assert past_end.hits == [] and past_end.total == 3
    with pytest.raises(QueryError, match="whole number"):
        search_catalogue(q="sufi", page="abc")
    with pytest.raises(QueryError, match=str(MAX_RESULTS_REACHABLE)):
        search_catalogue(q="sufi", page=MAX_RESULTS_REACHABLE)


def test_one_statement_per_search(library):
    for n in range(3):
        make_record(title=f"Sufi poetry {n}", libraries=[library])
    with CaptureQueriesContext(connection) as ctx:
        result = search_catalogue(
            q="sufi poetry",
            filters=SearchFilters(format=["book"], province=["PB"], library=[library.code, "PK-GONE"]),
        )
    assert result.total == 3
    assert len(ctx.captured_queries) == 1
    assert any("PK-GONE" in note for note in result.notes)


def test_only_unknown_libraries_chosen_is_still_one_statement(library, django_assert_num_queries):
    for n in range(3):  # enough results that no spelling suggestion is looked up
        make_record(title=f"Sufi poetry {n}", libraries=[library])
    with django_assert_num_queries(1):
        result = search_catalogue(q="sufi", filters=SearchFilters(library=["PK-GONE", "PK-LOST"]))
    assert result.total == 3
    assert result.filters.library == []
    assert sum("PK-GONE" in note or "PK-LOST" in note for note in result.notes) == 2
    with django_assert_num_queries(1):
        browsed = search_catalogue(q="", filters=SearchFilters(library=["PK-GONE"]))
    assert browsed.total == 3 and browsed.filters.library == []


def test_no_query_browses_newest_additions(library):
    first = make_record(title="Older addition")
    second = make_record(title="Newer addition")
    result = search_catalogue(q="")
    assert result.browse
    assert ids(result)[:2] == [second.pk, first.pk]
    assert result.total == 2


def test_misspelled_query_suggests_catalogue_words(library):
    make_record(title="A history of Pakistan")
    refresh_vocabulary()
    result = search_catalogue(q="histroy of pakistn")
    assert result.total == 0
    assert result.suggestion == "history of pakistan"
    assert ids(search_catalogue(q=result.suggestion))


def test_hostile_text_in_every_parameter_never_errors(library):
    make_record(title="Robert'); DROP TABLE catalogue_bibrecord;--", libraries=[library])
    result = search_catalogue(
        q="Robert'); DROP TABLE catalogue_bibrecord;--",
        filters=SearchFilters(subject=["x' OR 1=1 --"], language=["eng"]),
    )
    assert result.total == 0
    assert search_catalogue(q="robert drop table").total == 1


def test_vocabulary_command_and_task_rebuild_from_documents(library):
    from django.core.management import call_command

    from catalogue.models import SearchTerm
    from catalogue.tasks_search import refresh_search_vocabulary_task

    make_record(title="Tarikh-i Pakistan")
    make_record(title="Pakistan studies")
    call_command("refresh_search_vocabulary")
    assert SearchTerm.objects.get(word="pakistan").documents == 2
    assert refresh_search_vocabulary_task() == SearchTerm.objects.count()


# --- cross-script search (catalogue.crossscript) ------------------------------------


def test_an_urdu_script_query_finds_a_book_catalogued_only_in_romanization():
    divan = make_record(title="Dīvān-i Ghālib", authors=["Ghālib, Mirzā Asad Allāh K̲h̲ān"], language="urd")
    darya = make_record(title="Āg kā daryā", authors=["Ḥaidar, Qurratulʻain"], language="urd")
    make_record(title="Gulistan", language="urd")
    assert ids(search_catalogue(q="غالب")) == [divan.pk]
    assert ids(search_catalogue(q="آگ کا دریا")) == [darya.pk]
    assert ids(search_catalogue(q="author:حیدر")) == [darya.pk]


def test_a_romanized_query_finds_a_book_catalogued_only_in_urdu_script():
    darya = make_record(title="آگ کا دریا", authors=["قرۃ العین حیدر"], language="urd")
    make_record(title="آگ کے پھول", language="urd")
    assert ids(search_catalogue(q="Aag ka darya")) == [darya.pk]
    assert ids(search_catalogue(q="Āg kā daryā")) == [darya.pk]


def test_exact_script_matches_rank_above_cross_script_ones():
    romanized = make_record(title="Kulliyāt-i Iqbāl", language="urd", year=2020)
    in_script = make_record(title="کلیات اقبال", language="urd", year=1990)
    assert ids(search_catalogue(q="کلیات اقبال")) == [in_script.pk, romanized.pk]
    assert ids(search_catalogue(q="kulliyat iqbal")) == [romanized.pk, in_script.pk]


def test_records_in_other_languages_carry_no_keys_so_english_searches_stay_as_they_were():
    english = make_record(title="Satire and society", language="eng")
    assert ids(search_catalogue(q="ستر")) == []
    assert "0str" not in str(english.search_document)
    # and the keys never surface as spelling suggestions
    make_record(title="Sitar music", language="urd")
    refresh_vocabulary()
    assert search_catalogue(q="0str").suggestion is None


def test_elided_and_particle_prefixed_words_are_found_every_way_they_are_typed():
    espagne = make_record(title="Histoire d'Espagne", language="fre")
    annee = make_record(title="L’année littéraire", language="fre")
    afkar = make_record(title="Majallat al-Afkār", language="ara")
    for typed in ("Espagne", "d'Espagne", "dEspagne", "histoire d’espagne"):
        assert ids(search_catalogue(q=typed)) == [espagne.pk], typed
    for typed in ("annee", "l'annee", "L’année littéraire"):
        assert ids(search_catalogue(q=typed)) == [annee.pk], typed
    for typed in ("afkar", "al-afkar", "alafkar", "al-Afkār", '"majallat al afkar"'):
        assert ids(search_catalogue(q=typed)) == [afkar.pk], typed
