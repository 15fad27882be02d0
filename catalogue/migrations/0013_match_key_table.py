# Match keys move from a GIN index on BibRecord.match_keys to a table of their own with a
# btree (catalogue.models.MatchKey), kept by statement triggers with transition tables
# like the facet counts (0006): an INSERT adds the new records' keys, a DELETE removes
# them, an UPDATE removes the keys a record lost and adds the ones it gained. (ON CONFLICT
# DO NOTHING: a key repeated in one record's array is one row.)

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS_SQL = """
CREATE FUNCTION catalogue_matchkey_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO catalogue_matchkey (key, bib_record_id)
    SELECT k.key, r.id FROM new_rows r, unnest(r.match_keys) AS k(key)
    ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM catalogue_matchkey m
    USING (SELECT k.key, r.id FROM old_rows r, unnest(r.match_keys) AS k(key)) d
    WHERE m.key = d.key AND m.bib_record_id = d.id;
  ELSE
    WITH pairs AS (
      SELECT n.id, n.match_keys AS now, o.match_keys AS was
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.match_keys IS DISTINCT FROM o.match_keys
    ),
    lost AS (
      DELETE FROM catalogue_matchkey m
      USING (SELECT k.key, p.id FROM pairs p, unnest(p.was) AS k(key) WHERE NOT k.key = ANY(p.now)) d
      WHERE m.key = d.key AND m.bib_record_id = d.id
    )
    INSERT INTO catalogue_matchkey (key, bib_record_id)
    SELECT k.key, p.id FROM pairs p, unnest(p.now) AS k(key) WHERE NOT k.key = ANY(p.was)
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

-- Not TRUNCATE: a TRUNCATE of both tables in one statement (Django's flush) would find
-- this one in use. Emptied in the same statement, it has nothing left to delete here.
CREATE FUNCTION catalogue_matchkey_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalogue_matchkey;
  RETURN NULL;
END
$$;

CREATE TRIGGER catalogue_matchkey_insert AFTER INSERT ON catalogue_bibrecord
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_matchkey_apply();
CREATE TRIGGER catalogue_matchkey_update AFTER UPDATE ON catalogue_bibrecord
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_matchkey_apply();
CREATE TRIGGER catalogue_matchkey_delete AFTER DELETE ON catalogue_bibrecord
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_matchkey_apply();
CREATE TRIGGER catalogue_matchkey_truncate AFTER TRUNCATE ON catalogue_bibrecord
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_matchkey_truncate();

-- The records already stored (CREATE TRIGGER above holds writers off until commit).
INSERT INTO catalogue_matchkey (key, bib_record_id)
SELECT DISTINCT k.key, b.id FROM catalogue_bibrecord b, unnest(b.match_keys) AS k(key);
"""

REVERSE_SQL = """
DROP TRIGGER catalogue_matchkey_truncate ON catalogue_bibrecord;
DROP TRIGGER catalogue_matchkey_delete ON catalogue_bibrecord;
DROP TRIGGER catalogue_matchkey_update ON catalogue_bibrecord;
DROP TRIGGER catalogue_matchkey_insert ON catalogue_bibrecord;
DROP FUNCTION catalogue_matchkey_truncate();
DROP FUNCTION catalogue_matchkey_apply();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0012_facet_trigger_pairs'),
    ]

    operations = [
        migrations.CreateModel(
            name='MatchKey',
            fields=[
                ('pk', models.CompositePrimaryKey('key', 'bib_record', blank=True, editable=False, primary_key=True, serialize=False)),
                ('key', models.CharField(max_length=120)),
                ('bib_record', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalogue.bibrecord')),
            ],
        ),
        migrations.RunSQL(TRIGGERS_SQL, REVERSE_SQL),
        migrations.RemoveIndex(
            model_name='bibrecord',
            name='bib_match_keys_gin_nofu',
        ),
    ]
