# Set departures (catalogue.models.SetDeparture), kept by a statement trigger on
# catalogue_bibrecord like the match keys (0013): an UPDATE that drops library ids from a
# record writes one row per library left (departed now), one that adds them back deletes
# those rows. The transition tables are the ones the facet and match-key triggers already
# capture (PostgreSQL builds them once per statement for all of a table's triggers); this
# function only joins the rows whose library_ids changed.

from django.db import migrations, models

TRIGGER_SQL = """
CREATE FUNCTION catalogue_setdeparture_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH pairs AS (
    SELECT n.id, n.library_ids AS now, o.library_ids AS was
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.library_ids IS DISTINCT FROM o.library_ids
  ),
  back AS (
    DELETE FROM catalogue_setdeparture d
    USING (SELECT p.id, l.library_id FROM pairs p, unnest(p.now) AS l(library_id)
           WHERE NOT l.library_id = ANY(p.was)) a
    WHERE d.record_id = a.id AND d.library_id = a.library_id
  )
  INSERT INTO catalogue_setdeparture (record_id, library_id, departed_at)
  SELECT p.id, l.library_id, now() FROM pairs p, unnest(p.was) AS l(library_id)
  WHERE NOT l.library_id = ANY(p.now)
  ON CONFLICT (record_id, library_id) DO UPDATE SET departed_at = excluded.departed_at;
  RETURN NULL;
END
$$;

CREATE TRIGGER catalogue_setdeparture_update AFTER UPDATE ON catalogue_bibrecord
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_setdeparture_apply();
"""

REVERSE_SQL = """
DROP TRIGGER catalogue_setdeparture_update ON catalogue_bibrecord;
DROP FUNCTION catalogue_setdeparture_apply();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0017_import_messages_of_old_text'),
    ]

    operations = [
        migrations.CreateModel(
            name='SetDeparture',
            fields=[
                ('pk', models.CompositePrimaryKey('record_id', 'library_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('record_id', models.BigIntegerField()),
                ('library_id', models.IntegerField()),
                ('departed_at', models.DateTimeField()),
            ],
            options={
                'indexes': [models.Index(fields=['library_id', 'departed_at', 'record_id'], name='setdeparture_window')],
            },
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_SQL),
    ]
