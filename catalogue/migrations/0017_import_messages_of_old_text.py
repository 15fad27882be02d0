"""Import messages stored before they were data (English text only) get their code and
values where the text reads back as one of catalogue.import_messages.MESSAGES, so the import
pages say them in the reader's language too; a text that does not read back keeps showing
as stored. The English templates are the messages' msgids, which is what was stored."""

from django.db import migrations

BATCH = 2000  # rows read and written at a time: bounded memory on a large error table


def forwards(apps, schema_editor):
    from catalogue.import_messages import data_of_stored

    ImportJob = apps.get_model("catalogue", "ImportJob")
    ImportRecordError = apps.get_model("catalogue", "ImportRecordError")
    for job in ImportJob.objects.filter(error_data={}).exclude(error="").iterator(chunk_size=BATCH):
        if data := data_of_stored(job.error, file=job.original_name):
            ImportJob.objects.filter(pk=job.pk).update(error_data=data)
    rows = ImportRecordError.objects.filter(reason_data={}).exclude(reason="").values_list("pk", "reason")
    changed = []
    for pk, reason in rows.iterator(chunk_size=BATCH):
        if data := data_of_stored(reason):
            changed.append(ImportRecordError(pk=pk, reason_data=data))
        if len(changed) >= BATCH:
            ImportRecordError.objects.bulk_update(changed, ["reason_data"])
            changed = []
    ImportRecordError.objects.bulk_update(changed, ["reason_data"])


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0016_import_message_data")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
