# Imports write every BibRecord, SourceRecord and Holding row through all their indexes:
# drop the ones no query needs. The foreign keys stay; only their indexes go, with plain
# DROP INDEX (AlterField alone would drop and re-validate the constraints on big tables).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0005_merge_search_and_import'),
        ('members', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # match_key: nothing looks records up by it (two btrees, one for LIKE).
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "catalogue_bibrecord_match_key_9b276867";'
                    ' DROP INDEX IF EXISTS "catalogue_bibrecord_match_key_9b276867_like";',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "catalogue_bibrecord_match_key_9b276867"'
                    ' ON "catalogue_bibrecord" ("match_key");'
                    ' CREATE INDEX IF NOT EXISTS "catalogue_bibrecord_match_key_9b276867_like"'
                    ' ON "catalogue_bibrecord" ("match_key" varchar_pattern_ops);',
                ),
                # holding.bib_record_id: the (bib_record_id, library_id) index leads with it.
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "catalogue_holding_bib_record_id_56cec3f4";',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "catalogue_holding_bib_record_id_56cec3f4"'
                    ' ON "catalogue_holding" ("bib_record_id");',
                ),
                # sourcerecord.library_id: the unique (library_id, local_id) index leads with it.
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "catalogue_sourcerecord_library_id_45ba1483";',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "catalogue_sourcerecord_library_id_45ba1483"'
                    ' ON "catalogue_sourcerecord" ("library_id");',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='bibrecord',
                    name='match_key',
                    field=models.CharField(blank=True, max_length=200),
                ),
                migrations.AlterField(
                    model_name='holding',
                    name='bib_record',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='holdings', to='catalogue.bibrecord'),
                ),
                migrations.AlterField(
                    model_name='sourcerecord',
                    name='library',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='source_records', to='members.library'),
                ),
            ],
        ),
    ]
