"""A real Celery worker (solo pool, same process) on Redis imports an uploaded file."""

from __future__ import annotations

import unicodedata

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue.models import BibRecord, Holding, ImportJob
from tests.catalogue.conftest import TRAJECT
from tests.workers import solo_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.shared_data]


@pytest.fixture
def worker(settings):
    with solo_worker(settings) as running:
        yield running


def test_uploaded_file_is_imported_by_the_worker_and_found_by_search(worker, librarian, login):
    # given a librarian's MARC file with 30 records (one of them "Pākistānī ʻaurat dorāhe par")
    client = login(librarian)
    # when the librarian uploads it (the request only stores the file and queues the job)
    with open(TRAJECT / "test_data.utf8.mrc", "rb") as upload:
        response = client.post(reverse("import-upload"), {"file": upload, "format": ""})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.library == librarian.library and response.url == reverse("import-detail", args=[job.pk])
    # then the worker, not the request, runs the import to the end
    assert wait_for(
        timeout=60.0, predicate=lambda: ImportJob.objects.get(pk=job.pk).status in ("done", "failed")
    ), "the worker did not finish the import"
    job.refresh_from_db()
    assert (job.status, job.processed, job.created, job.rejected) == ("done", 30, 30, 0), job.error
    assert job.started_at and job.finished_at
    assert BibRecord.objects.count() == 29 and Holding.objects.count() == 30
    # and as soon as the job says done, search finds the records, folded as patrons type
    found = APIClient().get("/api/v1/records/", {"q": "pakistani aurat"}).json()
    assert found["count"] == 1
    # (stored as the record has it: letters and combining macrons)
    assert unicodedata.normalize("NFC", found["results"][0]["title"]) == "Pākistānī ʻaurat dorāhe par"
    libraries = {f["value"]: f["count"] for f in found["facets"]["library"]}
    assert libraries == {librarian.library.code: 1}
    # and the job's page shows the result to the librarian
    page = client.get(reverse("import-detail", args=[job.pk]))
    assert page.status_code == 200 and b"30" in page.content
