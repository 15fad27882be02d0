# Search documents of the records whose document now has more terms: cross-script keys
# (catalogue.crossscript: a language written in Arabic script, or Arabic-script text) and
# the other form of elided or particle-prefixed words (normalize.elision_variants:
# an apostrophe, or al-/ul-/wa-... before a word). Other records' documents are unchanged.

from django.db import migrations

KEYED_SQL = r"""
SELECT id FROM catalogue_bibrecord
WHERE language = ANY(%s)
   OR (title || ' ' || title_vernacular || ' ' || subtitle || ' ' || array_to_string(authors, ' ')
       || ' ' || array_to_string(subjects, ' '))
      ~* '[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF''\u2019]|(^|[^[:alpha:]])(al|el|ul|il|bi|li|wa|fa|bil|lil|wal)-'
"""


def add_keys(apps, schema_editor):
    from catalogue.crossscript import KEYED_LANGUAGES
    from catalogue.indexing import refresh_search_documents

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(KEYED_SQL, [sorted(KEYED_LANGUAGES)])
        ids = [row[0] for row in cursor.fetchall()]
    refresh_search_documents(ids)


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0014_import_job_heartbeat'),
    ]

    operations = [
        migrations.RunPython(add_keys, migrations.RunPython.noop),
    ]
