"""Import messages are codes and values: stored in English for the command line and the API,
said in the reader's language on the import pages and in the error report."""

from __future__ import annotations

import pickle

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from catalogue.import_messages import ImportMessage, message_text
from catalogue.models import ImportJob

pytestmark = pytest.mark.django_db


def _upload(client, name: str, content: bytes, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/new/", {"file": SimpleUploadedFile(name, content)})
    return ImportJob.objects.latest("pk")


def test_rejected_records_are_explained_in_urdu_to_an_urdu_reader(
    login, librarian, django_capture_on_commit_callbacks
):
    # given a librarian working in Urdu who uploads a CSV with a record without a title and a repeated id
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    content = b"ID,Title\nA1,Kitab\nA2,\nA1,Kitab again\n"
    job = _upload(client, "books.csv", content, django_capture_on_commit_callbacks)
    # then the stored reasons are English (the command line, the API) with their codes
    reasons = {e.record_number: e for e in job.errors.all()}
    assert reasons[2].reason == "The record has no title (245 $a)."
    assert reasons[3].reason == "Local id 'A1' appears again in this file (first at record 1)."
    assert reasons[3].reason_data == {"code": "duplicate_id", "params": {"local_id": "'A1'", "first": 1}}
    # and the import page and the error report say them in Urdu
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "ریکارڈ کا کوئی عنوان (245 $a) نہیں۔" in page
    assert "مقامی شناخت &#x27;A1&#x27; اس فائل میں دوبارہ آئی ہے (پہلی بار ریکارڈ 1 پر)۔" in page
    assert "appears again" not in page and "has no title" not in page
    report = client.get(f"/imports/{job.pk}/errors.csv").content.decode("utf-8-sig")
    assert "دوبارہ آئی ہے" in report


def test_a_rejected_file_is_explained_in_the_readers_language(
    login, librarian, django_capture_on_commit_callbacks
):
    client = login(librarian)
    job = _upload(client, "list.csv", b"Name,Writer\nx,y\n", django_capture_on_commit_callbacks)
    assert job.status == "failed"
    assert (
        job.error == "list.csv: CSV header lacks the required column(s) local_id, title; found: Name, Writer."
    )
    with translation.override("ur"):
        assert (
            job.error_text
            == "list.csv: CSV کے سرنامے میں لازمی کالم local_id, title نہیں ہیں؛ ملے: Name, Writer۔"
        )
    client.cookies["django_language"] = "ur"
    assert "لازمی کالم" in client.get(f"/imports/{job.pk}/").content.decode()


def test_a_message_crosses_processes_with_its_code():
    # the parser's worker processes send results back pickled
    message = pickle.loads(pickle.dumps(ImportMessage("truncated", length=12)))  # noqa: S301 - our own bytes
    assert message == "Truncated record: the file ends inside it (12 bytes, no record terminator)."
    assert message.as_data() == {"code": "truncated", "params": {"length": 12}}


def test_a_message_stored_before_messages_were_data_is_shown_as_stored():
    assert message_text({}, "Old English reason.") == "Old English reason."
    assert message_text({"code": "gone"}, "Old English reason.") == "Old English reason."
