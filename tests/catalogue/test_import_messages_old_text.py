"""Import messages stored as English text only, before messages were data, read back into
their code and values (catalogue.import_messages.data_of_english and migration 0017), so an
Urdu reader sees them in Urdu too."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from catalogue.import_messages import (
    _FIELD,
    MESSAGES,
    ImportMessage,
    data_of_english,
    data_of_stored,
    message_text,
)
from catalogue.models import ImportJob
from tests.factories import LibraryFactory


def _sample_params(code: str) -> dict:
    """Values for every field of a message, of the kinds the importer puts there."""
    params: dict = {}
    for n, field in enumerate(_FIELD.finditer(str(MESSAGES[code]))):
        name = field[1]
        if name == "expected":
            params[name] = "marcxml"
        elif name == "found":
            params[name] = ""
        elif name == "reason" and code == "damaged":
            params[name] = {"code": "invalid_utf8", "params": {"byte": "C3", "offset": 17}}
        elif field[2] == "!r":
            params[name] = "UVF-8"
        elif name in {"line", "column", "offset", "length", "first", "declared", "actual"}:
            params[name] = 40 + n
        else:
            params[name] = f"value {n}: with colons, (brackets) and 'quotes'"
    return params


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_reads_back_from_its_english_text(code):
    # given a message as the importer stored it in English
    message = ImportMessage(code, **_sample_params(code))
    # when it is read back from the text alone
    data = data_of_english(str(message))
    # then its code and values say it again: the same English, and Urdu for an Urdu reader
    assert data["code"] == code
    assert str(ImportMessage(data["code"], **data["params"])) == str(message)
    with translation.override("ur"):
        assert message_text(data, str(message)) != str(message)


def test_text_that_is_no_message_is_left_as_it_is():
    assert data_of_english("Something else went wrong.") == {}
    assert data_of_english("The file is empty. And more.") == {}
    assert data_of_stored("books.mrc: The file is empty.", file="books.mrc") == {
        "code": "empty", "params": {}, "file": "books.mrc",
    }  # fmt: skip


BEFORE = ("catalogue", "0016_import_message_data")


@pytest.fixture
def before_messages_were_read_back(transactional_db):
    """The catalogue's tables as they were then, and its models as they were (the job's
    later columns are not there yet)."""
    call_command("migrate", *BEFORE, verbosity=0)
    yield MigrationExecutor(connection).loader.project_state(BEFORE).apps
    call_command("migrate", "catalogue", verbosity=0)


def test_the_migration_gives_old_messages_their_code_and_an_urdu_reader_reads_them_in_urdu(
    before_messages_were_read_back,
):
    # given a job and its rejected records stored before messages were data
    old = before_messages_were_read_back
    stored = old.get_model("catalogue", "ImportJob").objects.create(
        library_id=LibraryFactory().pk, original_name="books.xml", error="books.xml: The file is empty."
    )
    damaged = str(ImportMessage("damaged", offset=1200, reason={"code": "terminator", "params": {}}))
    old_error = old.get_model("catalogue", "ImportRecordError")
    old_error.objects.create(job_id=stored.pk, record_number=3, reason=damaged)
    old_error.objects.create(job_id=stored.pk, record_number=4, reason="Written by hand, no message.")
    # when the operator migrates
    call_command("migrate", "catalogue", verbosity=0)
    # then the job's error and the damaged record read in Urdu; the unknown text stays as stored
    job = ImportJob.objects.get(pk=stored.pk)
    errors = {e.record_number: e for e in job.errors.all()}
    with translation.override("ur"):
        assert job.error_text.startswith("books.xml: ") and "The file" not in job.error_text
        assert "0x1D" in errors[3].reason_text and "Damaged" not in errors[3].reason_text
        assert errors[4].reason_text == "Written by hand, no message."
