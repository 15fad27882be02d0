"""The search seam: the search page, the API, SRU and the spelling suggestion all reach the
configured backend (catalogue.search.backends), and a wrong setting fails loudly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalogue.search import backends
from catalogue.search.backends.postgres import PostgresBackend
from tests.catalogue.factories_search import make_record


class RecordingBackend(PostgresBackend):
    """The PostgreSQL backend, noting each call it answers."""

    name = "recording"
    calls: list[str] = []

    def search(self, query, filters, **kwargs):
        self.calls.append(f"search:{query.raw}")
        return super().search(query, filters, **kwargs)

    def search_tree(self, tree, **kwargs):
        self.calls.append("search_tree")
        return super().search_tree(tree, **kwargs)


@pytest.fixture
def recording(settings, monkeypatch):
    monkeypatch.setitem(backends.BACKENDS, "recording", f"{__name__}.RecordingBackend")
    settings.SEARCH_BACKEND = "recording"
    RecordingBackend.calls = []
    yield RecordingBackend.calls
    backends._backend.cache_clear()


def test_postgres_is_the_default_backend():
    assert isinstance(backends.get_backend(), PostgresBackend)


def test_an_unknown_backend_names_the_choices(settings):
    settings.SEARCH_BACKEND = "solr"
    with pytest.raises(ImproperlyConfigured, match=r"must be one of postgres.*got 'solr'"):
        backends.get_backend()


@pytest.mark.django_db
def test_page_api_and_sru_all_search_through_the_configured_backend(client, recording):
    make_record(title="Sufi poetry of Sindh")
    page = client.get("/search/", {"q": "sufi"})
    assert "Sufi poetry of Sindh" in page.content.decode()
    api = client.get("/api/v1/records/", {"q": "poetry"})
    assert api.json()["count"] == 1
    sru = client.get("/sru", {"operation": "searchRetrieve", "version": "1.2", "query": "dc.title=sindh"})
    assert b"<numberOfRecords>1</numberOfRecords>" in sru.content.replace(b"srw:", b"")
    assert recording == ["search:sufi", "search:poetry", "search_tree"]


@pytest.mark.django_db
def test_few_hits_in_urdu_are_retried_with_spaces_ignored_above_the_seam(recording):
    from catalogue.search import search_catalogue

    make_record(title="اردوادب کی تاریخ", language="urd")
    result = search_catalogue(q="اردو ادب")
    assert (result.total, result.spaces_ignored) == (1, True)
    assert len(recording) == 2 and recording[0] == "search:اردو ادب"
