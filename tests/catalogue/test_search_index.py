"""The tantivy index as an operator runs it: reindex beside the index in use and swap,
the Celery task that applies the outbox, the fallback before the first build, and what
/healthz says about the index's lag."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalogue.models import SearchIndexState, SearchOutbox
from catalogue.search import outbox, search_catalogue
from catalogue.search.backends import tantivy_index
from catalogue.tasks_search import apply_search_outbox
from tests.catalogue.factories_search import make_record
from tests.workers import solo_worker, wait_for


@pytest.fixture
def tantivy(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.SEARCH_BACKEND = "tantivy"
    tantivy_index.forget()
    yield settings
    tantivy_index.forget()


@pytest.mark.django_db
def test_healthz_names_the_postgres_backend_by_default(client):
    assert client.get("/healthz").json()["checks"]["search"] == "ok (postgres)"


@pytest.mark.django_db(transaction=True)
def test_before_the_first_build_searches_go_to_postgres_and_healthz_says_so(client, tantivy):
    make_record(title="Gazetteer of the Punjab")
    assert [h.title for h in search_catalogue(q="gazetteer").hits] == ["Gazetteer of the Punjab"]
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["search"] == "down: tantivy: no index built (manage.py reindex)"


@pytest.mark.django_db(transaction=True)
def test_reindex_builds_beside_the_old_index_and_swaps(tantivy):
    make_record(title="Gazetteer of the Punjab")
    out = io.StringIO()
    call_command("reindex", stdout=out)
    assert "Search index built: 1 records" in out.getvalue()
    first = tantivy_index.current_path()
    assert search_catalogue(q="gazetteer").total == 1
    old_reader = tantivy_index.reader()
    make_record(title="Gazetteer of Sindh")
    call_command("reindex", stdout=io.StringIO())
    second = tantivy_index.current_path()
    assert second != first and not first.exists()  # the old build removed after the swap
    assert old_reader.searcher().num_docs == 1  # a search already under way kept its files
    assert search_catalogue(q="gazetteer").total == 2
    state = SearchIndexState.objects.get()
    assert state.outbox and state.documents == 2 and state.build_seconds > 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_applies_the_outbox_and_healthz_reports_the_lag(client, tantivy):
    call_command("reindex", stdout=io.StringIO())
    record = make_record(title="Survey of the Thar desert")
    assert client.get("/healthz").json()["checks"]["search"].startswith("ok (tantivy, 1 records waiting")
    with solo_worker(tantivy):
        apply_search_outbox.delay()
        assert wait_for(lambda: not SearchOutbox.objects.exists(), timeout=10)
    assert [h.id for h in search_catalogue(q="thar").hits] == [record.pk]
    # a change the writer has not taken for over five minutes: the index is behind
    make_record(title="Another survey")
    SearchOutbox.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["search"].startswith(
        "down: tantivy: index behind the catalogue, 1 records waiting"
    )


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_its_turn(tantivy):
    call_command("reindex", stdout=io.StringIO())
    make_record(title="Survey of the Thar desert")
    with outbox._Lock(wait=True):
        from django.db import connections

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [outbox.LOCK_KEY])
                assert cursor.fetchone()[0] is False  # the writer's lock is taken
        finally:
            other.close()
    assert outbox.apply() == 1


@pytest.mark.django_db(transaction=True)
def test_an_index_built_by_another_version_is_not_searched_until_reindexed(client, tantivy):
    """After an upgrade that changes the documents' layout, PostgreSQL answers, /healthz
    says why, and changes wait in the outbox (none applied to the old build, none lost);
    manage.py reindex brings the index back."""
    call_command("reindex", stdout=io.StringIO())
    (tantivy_index.current_path() / tantivy_index.VERSION_FILE).write_text(
        "1\n"
    )  # as an older portal left it
    tantivy_index.forget()
    record = make_record(title="Gazetteer of the Punjab")
    assert [h.id for h in search_catalogue(q="gazetteer").hits] == [record.pk]  # from PostgreSQL
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "built by another version of the portal (manage.py reindex)" in response.json()["checks"]["search"]
    assert outbox.apply() == 0
    assert SearchOutbox.objects.filter(record_id=record.pk).exists()
    call_command("reindex", stdout=io.StringIO())
    assert client.get("/healthz").json()["checks"]["search"].startswith("ok (tantivy")
    assert search_catalogue(q="gazetteer").total == 1


@pytest.mark.parametrize("numbers", [[], [1], [7], [1, 2, 3, 4, 5, 6, 7], [2, 5, 5]])
def test_a_records_provinces_are_counted_from_one_number(numbers):
    assert list(tantivy_index.provinces_in(tantivy_index.province_set(numbers))) == sorted(set(numbers))


@pytest.mark.django_db(transaction=True)
def test_hits_name_a_library_as_it_is_now(tantivy, library, other_library):
    """Library names are kept by each process for a minute, but a rename here, or a member
    the process has not seen, shows in the next search."""
    make_record(title="Gazetteer of the Punjab", libraries=[library])
    call_command("reindex", stdout=io.StringIO())
    assert [lib.name for lib in search_catalogue(q="gazetteer").hits[0].libraries] == [library.name]
    library.name = "Renamed University Library"
    library.save()
    assert [lib.name for lib in search_catalogue(q="gazetteer").hits[0].libraries] == [
        "Renamed University Library"
    ]
    from members.models import Library

    newcomer = Library.objects.create(code="PK-NEW", name="Newcomer Library", city="Gilgit", province="GB")
    make_record(title="Gazetteer of Gilgit", libraries=[newcomer])
    outbox.apply()
    found = search_catalogue(q="gazetteer")
    assert {f.value for f in found.facets["library"]} == {library.code, "PK-NEW"}
