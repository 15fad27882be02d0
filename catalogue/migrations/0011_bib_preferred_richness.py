# The preferred source's richness kept on the record (catalogue/models.py), filled from
# the source records for the records already stored.

from django.db import migrations, models

BACKFILL_SQL = """
UPDATE catalogue_bibrecord AS b SET preferred_richness = p.richness
FROM catalogue_sourcerecord AS p
WHERE p.id = b.preferred_source_id AND NOT p.withdrawn
"""


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0010_bib_fewer_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='bibrecord',
            name='preferred_richness',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
    ]
