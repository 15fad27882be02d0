"""Catalogue events: every cataloguer's decision (merge, split), a rematch and an import
run again leave a row naming who did it and on which records; a refused action leaves none."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from catalogue import services
from catalogue.events import EventKind
from catalogue.models import BibRecord, CatalogueEvent, ImportJob, SourceRecord
from consortium.exceptions import DomainError
from tests.catalogue.conftest import TRAJECT
from tests.catalogue.test_services import marc_record, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_records(library, other_library, tmp_path):
    """Two records of one title: one source from each library, kept apart by their years."""
    services.import_path(
        actor=None, library=library, path=write(tmp_path, "a.mrc", marc_record("A", "Raja Gidh", year="1981"))
    )
    services.import_path(
        actor=None,
        library=other_library,
        path=write(tmp_path, "b.mrc", marc_record("B", "Raja Gidh", year="1990", barcodes=("X1",))),
    )
    first, second = BibRecord.objects.order_by("pk")
    return first, second


def test_a_merge_records_who_merged_which_records(two_records, librarian):
    # given two records of one title
    target, other = two_records
    moving = SourceRecord.objects.get(bib_record=other)
    # when a librarian merges the second into the first
    services.bib_record_merge(actor=librarian, target=target, other=other)
    # then one event names the librarian, the record kept and the record merged away
    event = CatalogueEvent.objects.get()
    assert (event.kind, event.actor, event.record_id, event.other_record_id) == (
        EventKind.MERGE,
        librarian,
        target.pk,
        other.pk,
    )
    assert event.data == {"moved_sources": [moving.pk]}
    assert not BibRecord.objects.filter(pk=other.pk).exists()  # the history outlives the record


def test_a_refused_merge_records_nothing(two_records, librarian):
    target, _other = two_records
    with pytest.raises(DomainError):
        services.bib_record_merge(actor=librarian, target=target, other=target)
    assert not CatalogueEvent.objects.exists()


def test_a_split_records_who_split_which_source_from_which_record(two_records, librarian):
    # given the two records merged into one
    target, other = two_records
    services.bib_record_merge(actor=None, target=target, other=other)
    source = SourceRecord.objects.get(local_id="B")
    stays = SourceRecord.objects.get(local_id="A")
    # when a librarian splits the second library's source off again
    new = services.bib_record_split(actor=librarian, source=source)
    # then the split's event names the librarian, the new record, the record left and the source
    event = CatalogueEvent.objects.get(kind=EventKind.SPLIT)
    assert (event.actor, event.record_id, event.other_record_id, event.source_record_id) == (
        librarian,
        new.pk,
        target.pk,
        source.pk,
    )
    assert event.data == {"kept_apart_from": [stays.pk]}
    # and the merge before it was recorded as the system's (no actor)
    assert CatalogueEvent.objects.get(kind=EventKind.MERGE).actor is None


def test_a_rematch_records_what_moved(two_records):
    result = services.catalogue_rematch()
    event = CatalogueEvent.objects.get()
    assert (event.kind, event.actor, event.data) == (EventKind.REMATCH, None, result)
    assert result == {"moved": 0, "records": 2}


def test_running_an_import_again_records_who_did(library, librarian, django_capture_on_commit_callbacks):
    # given a failed import
    job = ImportJob(library=library, original_name="lc.mrc", format="marc", status="failed", processed=0)
    job.file.save("lc.mrc", ContentFile((TRAJECT / "test_data.utf8.mrc").read_bytes()), save=False)
    job.heartbeat_at = timezone.now()
    job.save()
    # when a librarian of its library runs it again
    with django_capture_on_commit_callbacks(execute=False):
        services.import_job_rerun(actor=librarian, job_id=job.pk)
    # then the event names the librarian and the job
    event = CatalogueEvent.objects.get()
    assert (event.kind, event.actor, event.data) == (
        EventKind.IMPORT_RERUN,
        librarian,
        {"job": job.pk, "processed": 0},
    )
