"""GET /api/v1/records/: search with facets, record details, local-id lookup, exports."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from catalogue.models import SourceRecord
from catalogue.query import QUERY_ONLY_EXCLUSIONS
from tests.catalogue.factories_search import make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_search_returns_hits_count_and_facet_counts_without_login(api, library, other_library):
    make_record(title="Sufi poetry", format="book", libraries=[library])
    make_record(title="Sufi shrines", format="thesis", libraries=[library, other_library])
    response = api.get("/api/v1/records/", {"q": "sufi"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert {r["title"] for r in data["results"]} == {"Sufi poetry", "Sufi shrines"}
    libraries = {f["value"]: f["count"] for f in data["facets"]["library"]}
    assert libraries == {library.code: 2, other_library.code: 1}
    assert {f["value"]: f["count"] for f in data["facets"]["format"]} == {"book": 1, "thesis": 1}
    assert data["results"][0]["url"].endswith(f"/api/v1/records/{data['results'][0]['id']}/")


@pytest.mark.parametrize(
    "params",
    [
        {"q": "sufi"},
        {"q": "صوفی", "library": ["NOPE"]},  # Urdu, an unknown library noted
        {"q": "sufy poetri"},  # few hits: a suggestion
        {"q": "", "format": ["thesis"], "sort": "year"},  # a browse with a filter
    ],
)
def test_the_written_out_json_is_what_the_declared_fields_make(rf, library, other_library, params):
    """SearchOutput writes its JSON by hand for speed; DRF's generic rendering of the same
    declared fields (what the schema documents) gives the same document."""
    from rest_framework import serializers

    from catalogue.search import FACETS, SearchFilters, search_catalogue
    from catalogue.search_api import SearchOutput

    make_record(title="Sufi poetry", title_vernacular="صوفی شاعری", format="book", libraries=[library])
    make_record(title="Sufi shrines", year=None, format="thesis", libraries=[library, other_library])
    result = search_catalogue(
        q=params.get("q", ""),
        filters=SearchFilters(**{name: params.get(name, []) for name in FACETS}),
        sort=params.get("sort", "relevance"),
    )
    output = SearchOutput(result, context={"request": rf.get("/api/v1/records/")})
    generic = serializers.Serializer.to_representation(output, result)
    assert output.data == generic
    assert output.data["results"] or output.data["suggestion"] or params["q"] == "صوفی"


def test_repeated_facet_parameters_are_or_and_unknown_ones_are_noted(api, library, other_library):
    make_record(title="Sufi poetry", format="book", libraries=[library])
    make_record(title="Sufi shrines", format="thesis", libraries=[other_library])
    data = api.get(
        f"/api/v1/records/?q=sufi&format=book&format=thesis&library={other_library.code}&library=PK-GONE"
    ).json()
    assert [r["title"] for r in data["results"]] == ["Sufi shrines"]
    assert any("PK-GONE" in note for note in data["notes"])


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "sufi", "sort": "1; DROP TABLE catalogue_bibrecord"}, "invalid_sort"),
        ({"q": "sufi", "page": "two"}, "invalid_page"),
        ({"q": "sufi", "page": "0"}, "invalid_page"),
        ({"q": "sufi", "page": "999"}, "page_too_deep"),
        ({"q": "-sufi"}, "invalid_query"),
    ],
)
def test_bad_sort_page_and_query_are_400_with_a_message(api, params, code):
    response = api.get("/api/v1/records/", params)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_only_exclusions_message_is_the_constant(api):
    assert api.get("/api/v1/records/", {"q": "NOT x"}).json()["detail"] == str(QUERY_ONLY_EXCLUSIONS)


def test_page_past_the_end_is_empty_with_true_count(api):
    make_record(title="Sufi poetry")
    data = api.get("/api/v1/records/", {"q": "sufi", "page": 3}).json()
    assert data["results"] == [] and data["count"] == 1


def test_record_detail_with_holdings(api, library):
    record = make_record(title="Sufi poetry", libraries=[library], call_number="PK2155 .S8")
    data = api.get(f"/api/v1/records/{record.pk}/").json()
    assert data["title"] == "Sufi poetry"
    assert data["holdings"][0]["library_code"] == library.code
    assert data["holdings"][0]["call_number"] == "PK2155 .S8"
    assert data["holdings"][0]["province"] == "PB" and data["holdings"][0]["city"] == "Lahore"
    assert set(data["exports"]) == {"marc", "marcxml", "ris", "bibtex", "source"}
    assert api.get("/api/v1/records/99999999/").status_code == 404


def test_library_local_id_finds_the_merged_record(api, library):
    record = make_record(title="Sufi poetry", libraries=[library])
    local_id = SourceRecord.objects.get(bib_record=record).local_id
    data = api.get("/api/v1/records/", {"library": library.code, "local_id": local_id}).json()
    assert data["id"] == record.pk
    assert api.get("/api/v1/records/", {"library": library.code, "local_id": "nope"}).status_code == 404
    assert api.get("/api/v1/records/", {"local_id": local_id}).status_code == 400


def test_api_export_and_unknown_format(api, library):
    record = make_record(title="Sufi poetry", libraries=[library])
    response = api.get(f"/api/v1/records/{record.pk}/export/ris/")
    assert response.status_code == 200 and b"TI  - Sufi poetry" in response.content
    assert api.get(f"/api/v1/records/{record.pk}/export/doc/").status_code == 400


def test_schema_documents_the_search_endpoint(api):
    schema = api.get("/api/schema/").content.decode()
    assert "/api/v1/records/" in schema and "records_search" in schema and "facets" in schema


_NASTY = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["", "\x00", "'; DROP TABLE x; --", '"', "(", "<->", "title:", "isbn:", "-", "اردو", "\u202e", "9" * 40]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=_NASTY, sort=_NASTY, page=_NASTY, facet=_NASTY)
def test_any_parameters_give_a_result_or_a_400_never_a_500(api, library, q, sort, page, facet):
    # given one record; when every parameter is arbitrary text
    response = api.get(
        "/api/v1/records/",
        {"q": q, "sort": sort, "page": page, "library": facet, "subject": facet, "decade": facet},
    )
    # then a result, or a 400 that says what was wrong
    assert response.status_code in (200, 400), response.content[:200]
    if response.status_code == 400:
        assert response.json()
