# The facet-count trigger (0006, 0007) does the same work for less: an UPDATE's changed
# records are taken as (after, before) pairs of their six facet columns in one join, and
# every statement's facet keys go straight into the aggregate. Before, the old and new
# rows were joined to the changed ids again, whole (~700 bytes each), and that set was
# kept for an EXISTS as well. Same counts and stamps; an import batch that merges 800
# records into existing ones spent 14-24 ms in the trigger, now 5-10 ms (of which ~5 ms
# are PostgreSQL's own capture of the transition tables).

import importlib

from django.db import migrations

_0007 = importlib.import_module("catalogue.migrations.0007_facet_value_changed")

_COLUMNS = ("format", "language", "year", "library_ids", "province_ids", "subjects")


def _keys(alias: str, prefix: str = "") -> str:
    return "catalogue_facet_keys(" + ", ".join(f"{alias}.{prefix}{c}" for c in _COLUMNS) + ") k"


_PAIRS = (
    "pairs AS (\n      SELECT "
    + ", ".join(f"n.{c} AS n_{c}, o.{c} AS o_{c}" for c in _COLUMNS)
    + """
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE (n.format, n.language, catalogue_decade(n.year), n.library_ids, n.province_ids, n.subjects)
            IS DISTINCT FROM
            (o.format, o.language, catalogue_decade(o.year), o.library_ids, o.province_ids, o.subjects)
    ),"""
)
# Signed facet keys (+1 for a record as it is now, -1 as it was) of one statement.
_SIGNED = {
    "INSERT": f"SELECT 1 AS w, k.facet, k.value FROM new_rows r, {_keys('r')}",
    "DELETE": f"SELECT -1 AS w, k.facet, k.value FROM old_rows r, {_keys('r')}",
    "UPDATE": f"""SELECT 1 AS w, k.facet, k.value FROM pairs p, {_keys('p', 'n_')}
      UNION ALL SELECT -1, k.facet, k.value FROM pairs p, {_keys('p', 'o_')}""",
}
# As in 0007: every value carried before or after is stamped with the new version, its
# count changed by the sum; the version row sorts first (writers lock in one order). The
# upsert is 0007's own text.
_APPLY = """
    WITH {pairs} delta AS (
      SELECT s.facet, s.value, sum(s.w) AS n FROM ({signed}) s GROUP BY s.facet, s.value
    ),
    version AS (SELECT nextval('catalogue_facet_version') AS v WHERE EXISTS (SELECT FROM delta))
""" + _0007._APPLY[_0007._APPLY.index("    INSERT INTO catalogue_facetcount"):]

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION catalogue_facetcount_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{_APPLY.format(pairs="", signed=_SIGNED["INSERT"])}
  ELSIF TG_OP = 'DELETE' THEN{_APPLY.format(pairs="", signed=_SIGNED["DELETE"])}
  ELSE{_APPLY.format(pairs=_PAIRS, signed=_SIGNED["UPDATE"])}
  END IF;
  RETURN NULL;
END
$$;
"""

# 0007's catalogue_facetcount_apply again.
_OLD = _0007.FUNCTIONS_SQL
REVERSE_SQL = _OLD[: _OLD.index("-- Emptied")]


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0011_bib_preferred_richness'),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, REVERSE_SQL),
    ]
