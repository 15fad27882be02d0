# Each kept facet count remembers the catalogue version at which a record carrying its
# value last changed, so counts remembered for a browse stay valid through writes to
# records they do not count (catalogue/browse.py).

import importlib

from django.db import migrations, models

_0006 = importlib.import_module("catalogue.migrations.0006_facet_counts")

# As in 0006, with every value the statement's records carry (before or after) stamped
# with the new version, also where its count did not change.
_APPLY = """
    WITH {changed} signed AS ({signed}),
    version AS (SELECT nextval('catalogue_facet_version') AS v WHERE EXISTS (SELECT FROM signed)),
    delta AS (
      SELECT k.facet, k.value, sum(s.w) AS n
      FROM signed s,
           catalogue_facet_keys(s.format, s.language, s.year, s.library_ids, s.province_ids, s.subjects) k
      GROUP BY k.facet, k.value
    )
    INSERT INTO catalogue_facetcount AS c (facet, value, n, changed)
    SELECT facet, value, n, v FROM (
      SELECT '' AS facet, 'version' AS value, version.v AS n, version.v FROM version
      UNION ALL SELECT d.facet, d.value, d.n, version.v FROM delta d, version
    ) x
    ORDER BY facet, value
    ON CONFLICT (facet, value) DO UPDATE
    SET n = CASE WHEN c.facet = '' AND c.value = 'version' THEN excluded.n ELSE c.n + excluded.n END,
        changed = excluded.changed;"""

FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION catalogue_facetcount_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{_APPLY.format(changed="", signed=_0006._SIGNED["INSERT"])}
  ELSIF TG_OP = 'DELETE' THEN{_APPLY.format(changed="", signed=_0006._SIGNED["DELETE"])}
  ELSE{_APPLY.format(changed=_0006._CHANGED, signed=_0006._SIGNED["UPDATE"])}
  END IF;
  RETURN NULL;
END
$$;

-- Emptied (TRUNCATE): no value can vouch for anything counted before, hence "reset".
CREATE OR REPLACE FUNCTION catalogue_facetcount_reset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalogue_facetcount WHERE NOT (facet = '' AND value IN ('reset', 'version'));
  INSERT INTO catalogue_facetcount AS c (facet, value, n, changed)
  SELECT '', x.value, CASE WHEN x.value = 'version' THEN v.v ELSE 0 END, v.v
  FROM (SELECT nextval('catalogue_facet_version') AS v) v, (VALUES ('reset'), ('version')) AS x(value)
  ORDER BY 2
  ON CONFLICT (facet, value) DO UPDATE SET n = excluded.n, changed = excluded.changed;
  RETURN NULL;
END
$$;

-- Counts remembered before this migration were stamped by the version alone: reset.
UPDATE catalogue_facetcount SET changed = n WHERE facet = '' AND value = 'version';
INSERT INTO catalogue_facetcount (facet, value, n, changed)
SELECT '', 'reset', 0, n FROM catalogue_facetcount WHERE facet = '' AND value = 'version';
"""

# 0006's functions (catalogue_facetcount_apply, catalogue_facetcount_reset) again.
_OLD = _0006.TRIGGERS_SQL
REVERSE_SQL = _OLD[: _OLD.index("CREATE TRIGGER")].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0006_facet_counts'),
    ]

    operations = [
        migrations.AddField(
            model_name='facetcount',
            name='changed',
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.RunSQL(FUNCTIONS_SQL, REVERSE_SQL),
    ]
