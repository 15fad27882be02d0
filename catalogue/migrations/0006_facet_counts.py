# Facet counts for browsing without a query, kept by triggers (catalogue/facet_counts.py).

from django.db import migrations, models

# What one record counts under: one row per facet value it carries, plus ('', 'records').
# The search statements use the same functions, so browse and query counts cannot differ.
FUNCTIONS_SQL = """
CREATE SEQUENCE catalogue_facet_version;

CREATE FUNCTION catalogue_decade(year smallint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN year IS NULL THEN NULL WHEN year < 1900 THEN 'pre1900' ELSE (year / 10 * 10)::text END
$$;

CREATE FUNCTION catalogue_facet_keys(
  format text, language text, year smallint, library_ids integer[], province_ids smallint[], subjects text[]
) RETURNS TABLE (facet text, value text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '', 'records'
  UNION ALL SELECT 'format', format WHERE format <> ''
  UNION ALL SELECT 'language', language WHERE language <> ''
  UNION ALL SELECT 'decade', catalogue_decade(year) WHERE year IS NOT NULL
  UNION ALL SELECT 'library', l::text FROM unnest(library_ids) AS l
  UNION ALL SELECT 'province', p::text FROM unnest(province_ids) AS p
  UNION ALL SELECT 'subject', s FROM unnest(subjects) AS s WHERE s <> ''
$$;
"""

# Signed rows (+1 for a row as it is now, -1 as it was) of one statement, per operation.
# An UPDATE counts only the records whose facet values changed.
_SIGNED = {
    "INSERT": "SELECT 1 AS w, r.* FROM new_rows r",
    "DELETE": "SELECT -1 AS w, r.* FROM old_rows r",
    "UPDATE": """
      SELECT 1 AS w, r.* FROM new_rows r JOIN changed USING (id)
      UNION ALL SELECT -1 AS w, r.* FROM old_rows r JOIN changed USING (id)""",
}
_CHANGED = """changed AS (
      SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE (n.format, n.language, catalogue_decade(n.year), n.library_ids, n.province_ids, n.subjects)
            IS DISTINCT FROM
            (o.format, o.language, catalogue_decade(o.year), o.library_ids, o.province_ids, o.subjects)
    ),"""
# Deltas are applied in (facet, value) order, the version row ('', 'version') first: every
# writer locks the rows in the same order, so concurrent writers wait, never deadlock.
_APPLY = """
    WITH {changed} signed AS ({signed}),
    delta AS (
      SELECT k.facet, k.value, sum(s.w) AS n
      FROM signed s,
           catalogue_facet_keys(s.format, s.language, s.year, s.library_ids, s.province_ids, s.subjects) k
      GROUP BY k.facet, k.value
      HAVING sum(s.w) <> 0
    )
    INSERT INTO catalogue_facetcount AS c (facet, value, n)
    SELECT facet, value, n FROM (
      SELECT '' AS facet, 'version' AS value, nextval('catalogue_facet_version') AS n
      WHERE EXISTS (SELECT FROM signed)
      UNION ALL SELECT facet, value, n FROM delta
    ) d
    ORDER BY facet, value
    ON CONFLICT (facet, value) DO UPDATE
    SET n = CASE WHEN c.facet = '' AND c.value = 'version' THEN excluded.n ELSE c.n + excluded.n END;"""

TRIGGERS_SQL = f"""
CREATE FUNCTION catalogue_facetcount_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{_APPLY.format(changed="", signed=_SIGNED["INSERT"])}
  ELSIF TG_OP = 'DELETE' THEN{_APPLY.format(changed="", signed=_SIGNED["DELETE"])}
  ELSE{_APPLY.format(changed=_CHANGED, signed=_SIGNED["UPDATE"])}
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION catalogue_facetcount_reset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM catalogue_facetcount WHERE NOT (facet = '' AND value = 'version');
  INSERT INTO catalogue_facetcount (facet, value, n) VALUES ('', 'version', nextval('catalogue_facet_version'))
  ON CONFLICT (facet, value) DO UPDATE SET n = excluded.n;
  RETURN NULL;
END
$$;

CREATE TRIGGER catalogue_facetcount_insert AFTER INSERT ON catalogue_bibrecord
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facetcount_apply();
CREATE TRIGGER catalogue_facetcount_update AFTER UPDATE ON catalogue_bibrecord
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facetcount_apply();
CREATE TRIGGER catalogue_facetcount_delete AFTER DELETE ON catalogue_bibrecord
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facetcount_apply();
CREATE TRIGGER catalogue_facetcount_truncate AFTER TRUNCATE ON catalogue_bibrecord
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facetcount_reset();
"""

# The records already stored (a deploy onto a full catalogue: about 10 s at 1M records;
# CREATE TRIGGER above already holds writers off until this transaction commits).
POPULATE_SQL = """
INSERT INTO catalogue_facetcount (facet, value, n)
SELECT k.facet, k.value, count(*)
FROM catalogue_bibrecord b,
     catalogue_facet_keys(b.format, b.language, b.year, b.library_ids, b.province_ids, b.subjects) k
GROUP BY k.facet, k.value;
INSERT INTO catalogue_facetcount (facet, value, n) VALUES ('', 'version', nextval('catalogue_facet_version'));
"""

REVERSE_SQL = """
DROP TRIGGER catalogue_facetcount_truncate ON catalogue_bibrecord;
DROP TRIGGER catalogue_facetcount_delete ON catalogue_bibrecord;
DROP TRIGGER catalogue_facetcount_update ON catalogue_bibrecord;
DROP TRIGGER catalogue_facetcount_insert ON catalogue_bibrecord;
DROP FUNCTION catalogue_facetcount_reset();
DROP FUNCTION catalogue_facetcount_apply();
DROP FUNCTION catalogue_facet_keys(text, text, smallint, integer[], smallint[], text[]);
DROP FUNCTION catalogue_decade(smallint);
DROP SEQUENCE catalogue_facet_version;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0005_merge_search_and_import'),
    ]

    operations = [
        migrations.CreateModel(
            name='FacetCount',
            fields=[
                ('pk', models.CompositePrimaryKey('facet', 'value', blank=True, editable=False, primary_key=True, serialize=False)),
                ('facet', models.CharField(max_length=16)),
                ('value', models.TextField()),
                ('n', models.BigIntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['facet', '-n', 'value'], name='facetcount_facet_n')],
            },
        ),
        migrations.RunSQL(FUNCTIONS_SQL + TRIGGERS_SQL + POPULATE_SQL, REVERSE_SQL),
    ]
