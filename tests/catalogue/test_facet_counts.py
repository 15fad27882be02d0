"""Facet counts kept by triggers: equal to a recount through every kind of catalogue change."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from catalogue.facet_counts import facet_counts_recompute
from catalogue.models import BibRecord, FacetCount
from catalogue.search import FACETS
from members.models import PROVINCE_NUMBERS, Library
from tests.catalogue.facets_brute_force import catalogue_changes, expected
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


def kept_counts() -> dict[str, dict[str, int]]:
    """The kept counts, keyed by library and province codes."""
    codes = dict(Library.objects.values_list("pk", "code"))
    provinces = {str(n): code for code, n in PROVINCE_NUMBERS.items()}
    kept: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for row in FacetCount.objects.filter(n__gt=0).exclude(facet=""):
        if row.facet == "library":
            kept["library"][codes[int(row.value)]] = row.n
        elif row.facet == "province":
            kept["province"][provinces[row.value]] = row.n
        else:
            kept[row.facet][row.value] = row.n
    return kept


@pytest.mark.shared_data
def test_kept_counts_equal_a_recount_through_imports_replace_split_merge_and_rematch(
    library, other_library, tmp_path
):
    for step in catalogue_changes(library, other_library, tmp_path):
        _total, counts = expected({})
        assert kept_counts() == counts, step
        assert FacetCount.objects.get(facet="", value="records").n == BibRecord.objects.count(), step
        assert facet_counts_recompute() == 0, step


def test_every_change_moves_the_catalogue_version_and_nothing_else_does(library):
    def version():
        return FacetCount.objects.get(facet="", value="version").n

    record = make_record(title="Sufi poetry", libraries=[library])
    before = version()
    BibRecord.objects.filter(pk=record.pk).update(title="Sufi poems", year=2004)  # same decade
    assert version() == before
    BibRecord.objects.filter(pk=record.pk).update(language="urd")
    assert version() > before
    assert FacetCount.objects.get(facet="language", value="urd").n == 1
    assert FacetCount.objects.get(facet="language", value="eng").n == 0
    # every value the record carries, before or after, is stamped with that version
    assert set(FacetCount.objects.filter(changed=version()).values_list("facet", "value")) == {
        ("", "version"),
        ("", "records"),
        ("format", "book"),
        ("language", "eng"),
        ("language", "urd"),
        ("decade", "2000"),
        ("library", str(library.pk)),
        ("province", str(PROVINCE_NUMBERS["PB"])),
    }
    # every value the record carries, before or after, is stamped with that version
    assert set(FacetCount.objects.filter(changed=version()).values_list("facet", "value")) == {
        ("", "version"),
        ("", "records"),
        ("format", "book"),
        ("language", "eng"),
        ("language", "urd"),
        ("decade", "2000"),
        ("library", str(library.pk)),
        ("province", str(PROVINCE_NUMBERS["PB"])),
    }


def test_a_write_bypassing_the_triggers_is_found_and_corrected_by_the_recount(library):
    record = make_record(title="Sufi poetry", format="book", libraries=[library])
    assert facet_counts_recompute() == 0
    version = FacetCount.objects.get(facet="", value="version").n
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # triggers off, as a restore may do
        cursor.execute("UPDATE catalogue_bibrecord SET format = 'thesis' WHERE id = %s", [record.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    assert FacetCount.objects.get(facet="format", value="book").n == 1
    assert facet_counts_recompute() == 2  # book 1 -> 0, thesis 0 -> 1
    assert FacetCount.objects.get(facet="format", value="book").n == 0
    assert FacetCount.objects.get(facet="format", value="thesis").n == 1
    new_version = FacetCount.objects.get(facet="", value="version").n
    assert new_version > version
    assert FacetCount.objects.get(facet="", value="reset").changed == new_version


@pytest.mark.django_db(transaction=True)
def test_emptied_catalogue_counts_nothing(library):
    make_record(title="Sufi poetry", libraries=[library])
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalogue_bibrecord CASCADE")
    assert sorted(FacetCount.objects.values_list("facet", "value")) == [("", "reset"), ("", "version")]
    reset = FacetCount.objects.get(facet="", value="reset")
    assert reset.changed == FacetCount.objects.get(facet="", value="version").n
    assert facet_counts_recompute() == 0


def test_recount_command_and_rematch_command_report(library, capsys):
    make_record(title="Sufi poetry", libraries=[library])
    call_command("recount_facets")
    assert "0 facet counts were wrong" in capsys.readouterr().out
    call_command("rematch")
    out = capsys.readouterr().out
    assert "merged records" in out and "0 facet counts were wrong" in out


def test_recount_task_is_scheduled_nightly():
    from catalogue.tasks import recount_facets_task
    from consortium.schedules import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["catalogue.recount_facets"]["task"] == recount_facets_task.name
    assert recount_facets_task() == 0


@pytest.mark.django_db(transaction=True)
def test_writers_changing_counts_in_opposite_orders_do_not_deadlock():
    # given four records and two libraries
    one, two = LibraryFactory(code="PK-ONE"), LibraryFactory(code="PK-TWO")
    records = [BibRecord.objects.create(title=f"Record {n}") for n in range(4)]
    first_done = threading.Event()
    errors: list[BaseException] = []

    def hold(record, library):
        BibRecord.objects.filter(pk=record.pk).update(library_ids=[library.pk])

    def writer(steps, *, pause: bool) -> None:
        try:
            with transaction.atomic():
                hold(*steps[0])
                if pause:
                    first_done.set()
                    time.sleep(0.5)  # the other writer starts meanwhile
                hold(*steps[1])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def second_writer():
        first_done.wait(5)
        writer([(records[2], two), (records[3], one)], pause=False)

    # when one adds library one then two while the other adds two then one
    threads = [
        threading.Thread(
            target=writer, args=([(records[0], one), (records[1], two)],), kwargs={"pause": True}
        ),
        threading.Thread(target=second_writer),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # then both committed: the second waited for the first instead of deadlocking
    assert errors == []
    counts = dict(FacetCount.objects.filter(facet="library").values_list("value", "n"))
    assert counts == {str(one.pk): 2, str(two.pk): 2}
