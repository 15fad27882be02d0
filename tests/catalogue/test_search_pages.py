"""Search results, advanced search and record pages, as a patron sees them."""

from __future__ import annotations

import re

import pymarc
import pytest
from django.test import Client

from catalogue.records import citation_text, export_bibtex, export_ris
from tests.catalogue.factories_search import make_record

pytestmark = pytest.mark.django_db


def test_results_page_works_without_login_or_javascript(client: Client, library, other_library):
    make_record(title="Sufi poetry of the Punjab", libraries=[library, other_library])
    response = client.get("/search/", {"q": "sufi"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sufi poetry of the Punjab" in body
    assert f'name="library" value="{library.code}"' in body  # facet as a checkbox in a GET form
    assert "Held by 2 libraries" in body


def test_htmx_request_gets_the_partial_and_filters_are_bookmarkable(client: Client, library, other_library):
    make_record(title="Sufi poetry", libraries=[library])
    make_record(title="Sufi shrines", libraries=[other_library])
    url = f"/search/?q=sufi&library={other_library.code}"
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert "Sufi shrines" in partial.content.decode()
    assert "Sufi poetry" not in partial.content.decode().split('data-testid="hit"')[1]
    full = client.get(url)
    assert "<html" in full.content.decode() and "Sufi shrines" in full.content.decode()


def test_htmx_refinement_also_updates_query_box_and_title_and_history_restore_gets_the_page(
    client: Client, library
):
    make_record(title="Sufi poetry", libraries=[library])
    partial = client.get("/search/?q=sufi", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    # the query box and the title, out of band, so that the page htmx keeps for the back
    # button is the one of its URL
    assert '<input id="search-q"' in body and 'value="sufi"' in body and 'hx-swap-oob="true"' in body
    assert "<title>Search: sufi" in body
    # one URL, two bodies: no cache may answer a page load with the partial
    assert {"HX-Request", "HX-History-Restore-Request"} <= {v.strip() for v in partial["Vary"].split(",")}
    # htmx asking for a page it no longer holds (back button) gets the whole page
    restored = client.get("/search/?q=sufi", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restored.content.decode() and "Sufi poetry" in restored.content.decode()


def test_chosen_filters_each_link_to_the_search_without_it_and_all_can_be_cleared(
    client: Client, library, other_library
):
    make_record(title="Sufi poetry", format="book", libraries=[library])
    make_record(title="Sufi shrines", format="ebook", libraries=[other_library])
    body = client.get(
        "/search/", {"q": "sufi", "library": library.code, "format": "book", "sort": "year", "page": "1"}
    ).content.decode()
    assert 'data-testid="active-filters"' in body
    # each chosen value links (as a plain link, and through htmx) to this search without it
    assert body.count('data-testid="remove-filter"') == 2
    assert 'href="?q=sufi&amp;format=book&amp;sort=year"' in body
    assert f'href="?q=sufi&amp;library={library.code}&amp;sort=year"' in body
    # and "Clear all filters" keeps the query and the sort
    assert 'href="?q=sufi&amp;sort=year" hx-get="?q=sufi&amp;sort=year"' in body
    cleared = client.get("/search/", {"q": "sufi", "sort": "year"}).content.decode()
    assert 'data-testid="active-filters"' not in cleared and cleared.count('data-testid="hit"') == 2


def test_a_facet_checkbox_keeps_its_id_when_it_changes_place(client: Client, library, other_library):
    """htmx gives the focus back by id after a swap: the id must follow the value."""
    make_record(title="Sufi poetry", libraries=[library])
    make_record(title="Sufi shrines", libraries=[library, other_library])

    def library_ids(params: dict) -> list[tuple[str, str]]:
        body = client.get("/search/", {"q": "sufi", **params}).content.decode()
        return re.findall(r'name="library" value="([^"]+)" id="([^"]+)"', body)

    before = library_ids({})
    after = library_ids({"library": other_library.code})  # chosen, so listed first
    assert [code for code, _ in before] == [library.code, other_library.code]
    assert [code for code, _ in after] == [other_library.code, library.code]
    assert dict(before) == dict(after)


def test_empty_result_explains_and_offers_suggestion_and_ill(client: Client, library):
    from catalogue.search import refresh_vocabulary

    make_record(title="A history of Pakistan", libraries=[library])
    refresh_vocabulary()
    body = client.get("/search/", {"q": "histroy"}).content.decode()
    assert 'data-testid="no-results"' in body
    assert "Did you mean" in body and "?q=history" in body
    assert "request via interlibrary loan" in body and "/ill/requests/new/" in body


def test_bad_input_answers_400_with_a_message_not_a_500(client: Client):
    for params in ({"q": "x" * 10_000}, {"q": "sufi", "sort": "'; DROP TABLE x"}, {"q": "a", "page": "-3"}):
        response = client.get("/search/", params)
        assert response.status_code == 400
        assert 'data-testid="search-error"' in response.content.decode()
    response = client.get("/search/", {"q": '"unbalanced (( title: \x00 <-> !'})
    assert response.status_code in (200, 400)


def test_no_query_browses_newest(client: Client):
    make_record(title="Newest thing")
    body = client.get("/search/").content.decode()
    assert "Newest additions" in body and "Newest thing" in body


def test_advanced_search_builds_a_fielded_query(client: Client):
    make_record(title="Bang-e-Dra", authors=["Iqbal, Muhammad"])
    make_record(title="Iqbal and his age", authors=["Someone"])
    assert client.get("/search/advanced/").status_code == 200
    body = client.get("/search/", {"adv_author": "iqbal"}).content.decode()
    assert "Bang-e-Dra" in body and "Iqbal and his age" not in body


def test_record_page_shows_holdings_with_city_province_and_request_link(
    client: Client, library, other_library
):
    record = make_record(
        title="Tarikh-e-Pakistan",
        title_vernacular="تاریخ پاکستان",
        libraries=[library, other_library],
        call_number="DS384 .T37",
    )
    body = client.get(f"/records/{record.pk}/").content.decode()
    assert library.name in body and other_library.name in body
    assert "Lahore" in body and "Karachi" in body and "Punjab" in body and "Sindh" in body
    assert "DS384 .T37" in body and "Available" in body
    assert f'href="/ill/requests/new/?record={record.pk}"' in body
    # Urdu script marked for direction and font; the English title is not
    assert '<bdi dir="auto" lang="ur" class="urdu">تاریخ پاکستان</bdi>' in body
    assert '<bdi dir="auto">Tarikh-e-Pakistan</bdi>' in body


def test_unknown_record_is_404(client: Client):
    assert client.get("/records/999999/").status_code == 404


def test_stored_xss_and_rtl_override_in_marc_fields_are_escaped(client: Client, library):
    evil = '<script>alert("x")</script>\u202egpj.exe'
    record = make_record(title=evil, authors=[evil], subjects=[evil], libraries=[library])
    for url in ("/search/?q=alert", f"/records/{record.pk}/"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert" in body
        # the text is isolated inside a <bdi dir="auto"> so it cannot flip the page, and the
        # override is removed so it cannot flip the title itself ("gpj.exe" showing as "exe.jpg")
        assert '<bdi dir="auto">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;gpj.exe</bdi>' in body


def test_exports_marc_marcxml_ris_bibtex(client: Client, library):
    record = make_record(
        title="Pakistan: a new history",
        authors=["Jaffrelot, Christophe"],
        year=2015,
        publisher="Oxford University Press",
        place="Karachi",
        isbns=["9780199407156"],
        libraries=[library],
    )
    marc = client.get(f"/records/{record.pk}/export/marc/")
    assert marc.status_code == 200 and "attachment" in marc["Content-Disposition"]
    parsed = next(iter(pymarc.MARCReader(marc.content)))
    assert parsed["245"]["a"] == "Pakistan: a new history"  # the preferred source record
    xml = client.get(f"/records/{record.pk}/export/marcxml/").content.decode()
    assert "<record" in xml and "Pakistan: a new history" in xml
    ris = client.get(f"/records/{record.pk}/export/ris/").content.decode()
    assert "TY  - BOOK" in ris and "AU  - Jaffrelot, Christophe" in ris and "SN  - 9780199407156" in ris
    bib = client.get(f"/records/{record.pk}/export/bibtex/").content.decode()
    assert bib.startswith("@book{ishtiraak") and "year = {2015}" in bib
    assert client.get(f"/records/{record.pk}/export/pdf/").status_code == 400


def test_marc_built_from_merged_fields_without_source_and_text_exports_escape():
    record = make_record(
        title="50% of {all} #tricks",
        subtitle="line\nbreak",
        authors=["A, B", "C, D"],
        year=1999,
        title_vernacular="اردو",
    )
    from catalogue.records import export_marc

    parsed = next(iter(pymarc.MARCReader(export_marc(record), to_unicode=True, force_utf8=True)))
    assert parsed["245"]["a"] == "50% of {all} #tricks"
    assert parsed["700"]["a"] == "C, D"
    assert "\\%" in export_bibtex(record) and "\\{all\\}" in export_bibtex(record)
    assert "line break" in export_ris(record)
    assert citation_text(record).startswith("A, B; C, D (1999). 50% of {all} #tricks: line break.")


def test_sort_and_facet_parameters_cannot_inject_sql(client: Client, library):
    # given a record and hostile values in every parameter that reaches SQL
    make_record(title="Sufi poetry", libraries=[library])
    hostile = "x'); DELETE FROM catalogue_bibrecord; --"
    params = {
        "q": "sufi",
        "library": [hostile, library.code],
        "province": hostile,
        "format": hostile,
        "language": "eng' OR '1'='1",
        "decade": "2000 OR 1=1",
        "subject": hostile,
    }
    # when searching with them (HTML and API)
    page = client.get("/search/", params)
    api = client.get("/api/v1/records/", params)
    bad_sort = client.get("/api/v1/records/", {"q": "sufi", "sort": "rank; DELETE FROM catalogue_bibrecord"})
    # then the search runs with the hostile values treated as unknown values or literal text
    assert page.status_code == 200 and api.status_code == 200
    assert api.json()["count"] == 0  # the subject filter is an exact (unknown) heading
    assert len(api.json()["notes"]) == 5  # library, province, format, language, decade named
    assert bad_sort.status_code == 400
    from catalogue.models import BibRecord

    assert BibRecord.objects.count() == 1


def test_record_api_detail_query_count_is_constant(
    client: Client, library, other_library, django_assert_max_num_queries
):
    record = make_record(title="Sufi poetry", libraries=[library, other_library])
    with django_assert_max_num_queries(3):
        assert client.get(f"/api/v1/records/{record.pk}/").status_code == 200


def test_record_page_names_the_language(client, db):
    from catalogue.models import BibRecord

    record = BibRecord.objects.create(title="Naqdi bara-yi tamam-i fusul", language="per")
    response = client.get(f"/records/{record.pk}/")
    assert "Persian" in response.content.decode()


def test_language_facet_names_every_marc_language_not_its_code(client: Client, library):
    # given records in a language the portal names itself, one only ISO 639 names, and an unknown code
    for title, code in (("Guan yin shan", "chi"), ("Chos kyi rnam grangs", "tib"), ("Odd tape", "qqq")):
        make_record(title=f"{title} library", libraries=[library], language=code)
    # when a patron searches
    html = client.get("/search/?q=library").content.decode()
    # then the facet reads Chinese, Tibetan, and the unknown code as it is
    assert "Chinese" in html and "Tibetan" in html and "qqq" in html
    assert ">chi<" not in html and ">tib<" not in html


def test_no_apply_filters_button_when_nothing_was_found(client: Client, library):
    make_record(title="Tarikh", libraries=[library])
    html = client.get("/search/?q=zzyzx").content.decode()
    assert "Apply filters" not in html
    assert "Apply filters" in client.get("/search/?q=tarikh").content.decode()


def test_the_imprint_reads_in_its_own_direction_on_an_urdu_page(client):
    # given a romanized imprint shown on an Urdu (right-to-left) page
    record = make_record(title="Āg kā daryā", place="Lāhaur", publisher="Maktabah-yi Jadīd", year=1959)
    client.cookies["django_language"] = "ur"
    html = client.get(f"/records/{record.pk}/").content.decode()
    # then place, publisher and year are one isolate, so its punctuation follows the Latin
    # text ("Lāhaur: Maktabah-yi Jadīd, 1959"), not the page ("1959 ,Jadīd :Lāhaur")
    assert '<bdi dir="auto" data-testid="imprint">Lāhaur: Maktabah-yi Jadīd, 1959</bdi>' in html


def test_an_urdu_script_imprint_on_an_english_page_is_marked_urdu_for_its_font(client):
    # given an imprint in Urdu script, shown on an English page
    record = make_record(title="آگ کا دریا", place="لاہور", publisher="مکتبہ جدید", year=1959)
    html = client.get(f"/records/{record.pk}/").content.decode()
    # then it is one isolate in Urdu, so it takes the Nastaliq font and keeps its order
    assert (
        '<bdi dir="auto" lang="ur" class="urdu" data-testid="imprint">لاہور: مکتبہ جدید, 1959</bdi>' in html
    )


def test_a_result_title_and_subtitle_are_one_isolate_so_they_keep_their_order_in_urdu(client):
    make_record(title="Pakistan", subtitle="a political history", libraries=[])
    client.cookies["django_language"] = "ur"
    html = client.get("/search/?q=pakistan").content.decode()
    assert '<bdi dir="auto">Pakistan: a political history</bdi>' in html


def test_the_search_tips_keep_each_piece_of_query_syntax_in_its_own_direction_in_urdu(client):
    client.cookies["django_language"] = "ur"
    html = client.get("/search/?q=kitab").content.decode()
    # each field prefix and operator is its own left-to-right isolate, so their colons and
    # commas do not run together inside the Urdu sentence
    for syntax in ("title:", "author:", "subject:", "isbn:", "OR", "NOT"):
        assert f'<bdi dir="ltr">{syntax}</bdi>' in html
    assert "<bdi>-لفظ</bdi>" in html
