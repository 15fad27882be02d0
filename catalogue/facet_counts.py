"""How many records carry each facet value, kept exact as the catalogue changes.

Browsing without a query counts facets over the whole catalogue; counting 1,000,000
records takes seconds (docs/performance.md, "Search"), so the counts are kept in catalogue_facetcount
(catalogue.models.FacetCount) instead, one row per (facet, value), plus the number of
records and a catalogue version.

Who keeps them: statement-level triggers on catalogue_bibrecord (migration
0006_facet_counts) with transition tables. After every INSERT, UPDATE, DELETE or COPY
the trigger counts the statement's rows as they were (-1) and as they are (+1), records
whose facet values did not change left out, and adds the differences in the same
transaction. So every writer is covered without a call of its own: imports
(catalogue.imports.planning `_store`, `_store_holdings` through the record UPDATE, withdrawals),
catalogue.indexing.refresh_holding_arrays, split, merge, rematch, the demo, the ORM.
Cost: importing 100,000 records (benchmarks/import_bench.py, 297 trigger calls) spent
0.9 s in the trigger, 2-3% of the 34-45 s import; end to end the difference was within
the machine's noise (before 44.8 s and 37.8 s, after 42.6 s and 40.2 s, interleaved).

Concurrency: deltas are applied in (facet, value) order and the version row
('', 'version') sorts first, so every writer that changes counts takes that row's lock
first and holds it to commit. Writers of counts are thereby serialised (imports already
are, by services.IMPORT_LOCK) and cannot deadlock on the count rows. The version comes
from a sequence: it never repeats, even after a rollback.

Each row also keeps, in ``changed``, the version of the last statement that wrote a
record carrying its value (before or after the write, counted or not). Anything counted
over records selected by some facet values is therefore still right while none of those
values has a newer stamp, and the counts were not emptied (TRUNCATE) or corrected since
(the stamp of ('', 'reset')).

What a record counts under is one SQL function (`catalogue_facet_keys`) for the
triggers and the recount, and its decade one function (`catalogue_decade`) for them and
the search statements; tests check that browse and query counts agree.

facet_counts_recompute counts everything again (nightly, and after a rematch) and
corrects any difference, which would mean a writer bypassed the triggers
(session_replication_role = replica, a restore with triggers disabled).
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)

# The catalogue version and the record count live in the table under facet "".
VERSION_SQL = "(SELECT n FROM catalogue_facetcount WHERE facet = '' AND value = 'version')"
RECORDS_SQL = "(SELECT n FROM catalogue_facetcount WHERE facet = '' AND value = 'records')"

_FRESH_SQL = """
CREATE TEMPORARY TABLE ish_fresh_facetcount ON COMMIT DROP AS
SELECT k.facet, k.value, count(*) AS n
FROM catalogue_bibrecord b,
     catalogue_facet_keys(b.format, b.language, b.year, b.library_ids, b.province_ids, b.subjects) k
GROUP BY k.facet, k.value
"""
_KEPT = "NOT (c.facet = '' AND c.value IN ('reset', 'version'))"
_WRONG = f"""
SELECT COALESCE(f.facet, c.facet) AS facet, COALESCE(f.value, c.value) AS value, COALESCE(f.n, 0) AS n
FROM ish_fresh_facetcount f
FULL JOIN (SELECT * FROM catalogue_facetcount c WHERE {_KEPT}) c ON c.facet = f.facet AND c.value = f.value
WHERE COALESCE(f.n, 0) <> COALESCE(c.n, 0)
"""  # noqa: S608 - constant text
_DRIFT_SQL = f"SELECT count(*) FROM ({_WRONG}) w"  # noqa: S608 - constant text
# Wrong counts are set right, stamped with a new version like any change; a value no
# record carries any more keeps its row at 0. A writer that bypassed the triggers may
# have changed records carrying any value, so ('', 'reset') is stamped too: nothing
# counted before vouches for itself any more.
_CORRECT_SQL = f"""
WITH version AS (SELECT nextval('catalogue_facet_version') AS v)
INSERT INTO catalogue_facetcount AS c (facet, value, n, changed)
SELECT facet, value, n, v FROM (
  SELECT '' AS facet, 'reset' AS value, 0 AS n, version.v FROM version
  UNION ALL SELECT '', 'version', version.v, version.v FROM version
  UNION ALL SELECT w.facet, w.value, w.n, version.v FROM ({_WRONG}) w, version
) x
ORDER BY facet, value
ON CONFLICT (facet, value) DO UPDATE SET n = excluded.n, changed = excluded.changed
"""  # noqa: S608 - constant text


def facet_counts_recompute() -> int:
    """Count every record's facet values again and correct the kept counts; returns how
    many counts were wrong (0 unless a writer bypassed the triggers).

    Catalogue writes wait meanwhile (about 6 s at 1,000,000 records): the table lock
    makes the recount and the corrections one consistent step.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # SHARE ROW EXCLUSIVE: the triggers' writes (ROW EXCLUSIVE) wait until commit, and
        # the recount below sees every change committed before the lock was granted.
        cursor.execute("LOCK TABLE catalogue_facetcount IN SHARE ROW EXCLUSIVE MODE")
        # (Dropped at commit; a caller's transaction may recount more than once.)
        cursor.execute("DROP TABLE IF EXISTS ish_fresh_facetcount")
        cursor.execute(_FRESH_SQL)
        cursor.execute(_DRIFT_SQL)
        drift = cursor.fetchone()[0]
        if drift:
            cursor.execute(_CORRECT_SQL)
    if drift:
        logger.warning("Facet counts: %d counts were wrong and have been corrected", drift)
    return drift
