"""Collection overlap for joint collection development: per member, the titles only it holds
in the consortium, its overlap with every other member, and the subjects and decades where
the consortium holds a single copy; counted nightly into a snapshot (evidence.models).

What counts (the pages say the same, DEFINITIONS):
- a title is a record of the union catalogue, after the catalogue's own matching and
  merging: two members' copies of one manifestation are one title;
- a copy counts when its holding is neither withdrawn nor missing (on loan and in process
  count: the library has them), belongs to an active member, and is attached to a record;
- a member holds a title when it has at least one copy that counts;
- unique to a member: no other member holds the title;
- single copy: the whole consortium has exactly one item of the title (holdings' item
  counts added up: one holding of two items is two copies);
- subjects are the record's subject headings as catalogued (a title with three headings
  counts under each); decades are of the record's year of publication.

Everything is counted by a few set-based statements over two temporary tables, in one
transaction that writes the new snapshot and deletes all but the previous one: a reader
sees the old snapshot or the new, never part of one, and a failure leaves the old one.
The previous snapshot is kept until the next count, so a page that began reading it
while the new one committed still finds all its rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.models import Holding
from evidence.models import OverlapSnapshot

LOCK_KEY = 0x0E1A_0001  # pg advisory lock: one count at a time
NOT_COUNTED = (Holding.Status.WITHDRAWN.value, Holding.Status.MISSING.value)
KEEP = 2  # the new snapshot and the one before it

DEFINITIONS = [
    _(
        "A title is a record of the union catalogue, after the catalogue has matched and merged"
        " the members' records: every member's copy of one edition is the same title."
    ),
    _(
        "A copy counts when it is neither withdrawn nor missing (copies on loan or being"
        " processed count) and belongs to an active member."
    ),
    _("Unique titles: titles that no other member holds."),
    _(
        "Single copy: the whole consortium has exactly one copy of the title (the item counts"
        " of every member's holdings added up)."
    ),
    _(
        "Subjects are the headings as catalogued (a title with three headings counts under each);"
        " decades are those of the year of publication."
    ),
]

_CHILD_TABLES = (
    "evidence_overlaplibrary",
    "evidence_overlappair",
    "evidence_singlecopycount",
    "evidence_overlapuniquetitle",
)

# Each statement's name (for errors and timing) and SQL; %(snapshot)s is the new snapshot's id.
STATEMENTS: list[tuple[str, str]] = [
    # (left by an earlier count in this session's open transaction: tests run in one)
    ("clear", "DROP TABLE IF EXISTS overlap_held, overlap_title"),
    (
        "held",  # (title, member) pairs with their counted holdings and items
        """
        CREATE TEMP TABLE overlap_held ON COMMIT DROP AS
        SELECT h.bib_record_id AS bib, h.library_id AS lib, count(*)::int AS holdings,
               sum(h.item_count)::int AS items
          FROM catalogue_holding h
          JOIN members_library l ON l.id = h.library_id AND l.is_active
         WHERE h.bib_record_id IS NOT NULL AND h.status NOT IN %(not_counted)s
         GROUP BY h.bib_record_id, h.library_id
        """,
    ),
    (
        "titles",  # each title held anywhere: by how many members, how many items
        """
        CREATE TEMP TABLE overlap_title ON COMMIT DROP AS
        SELECT t.bib, t.libs, t.holdings, t.items, t.lib, t.holders, b.subjects, b.year / 10 * 10 AS decade,
               CASE WHEN t.libs = 1 THEN lower(left(b.title, 120)) END AS sort_title
          FROM (SELECT bib, count(*)::int AS libs, sum(holdings)::int AS holdings,
                       sum(items)::int AS items, min(lib) AS lib,
                       CASE WHEN count(*) > 1 THEN array_agg(lib) END AS holders
                  FROM overlap_held GROUP BY bib) t
          JOIN catalogue_bibrecord b ON b.id = t.bib
        """,
    ),
    ("analyze", "ANALYZE overlap_held; ANALYZE overlap_title"),
    (
        "libraries",
        """
        INSERT INTO evidence_overlaplibrary (snapshot_id, library_id, titles, unique_titles, single_copies)
        SELECT %(snapshot)s, h.lib, count(*), count(*) FILTER (WHERE t.libs = 1),
               count(*) FILTER (WHERE t.items = 1)
          FROM overlap_held h JOIN overlap_title t ON t.bib = h.bib
         GROUP BY h.lib
        """,
    ),
    (
        "pairs",  # both ways round, from each shared title's holders (half the time of a self-join)
        """
        INSERT INTO evidence_overlappair (snapshot_id, library_id, other_id, titles)
        SELECT %(snapshot)s, a, b, count(*)
          FROM overlap_title t, unnest(t.holders) a, unnest(t.holders) b
         WHERE t.holders IS NOT NULL AND a <> b
         GROUP BY a, b
        """,
    ),
    (
        "consortium subjects and decades",  # only where some title has a single copy
        """
        INSERT INTO evidence_singlecopycount (snapshot_id, library_id, kind, value, titles, single)
        SELECT %(snapshot)s, NULL::bigint, 'subject', s, count(*), count(*) FILTER (WHERE t.items = 1)
          FROM overlap_title t, unnest(t.subjects) s
         GROUP BY s HAVING count(*) FILTER (WHERE t.items = 1) > 0
        UNION ALL
        SELECT %(snapshot)s, NULL::bigint, 'decade', coalesce(t.decade::text, ''), count(*),
               count(*) FILTER (WHERE t.items = 1)
          FROM overlap_title t
         GROUP BY t.decade
        """,
    ),
    (
        "members' subjects and decades",  # the titles whose only copy the member holds,
        # beside the consortium's titles of that subject or decade
        """
        INSERT INTO evidence_singlecopycount (snapshot_id, library_id, kind, value, titles, single)
        SELECT %(snapshot)s, m.lib, m.kind, m.value, c.titles, m.single
          FROM (SELECT t.lib, 'subject' AS kind, s AS value, count(*) AS single
                  FROM overlap_title t, unnest(t.subjects) s
                 WHERE t.items = 1
                 GROUP BY t.lib, s
                UNION ALL
                SELECT t.lib, 'decade', coalesce(t.decade::text, ''), count(*)
                  FROM overlap_title t
                 WHERE t.items = 1
                 GROUP BY t.lib, t.decade) m
          JOIN evidence_singlecopycount c
            ON c.snapshot_id = %(snapshot)s AND c.library_id IS NULL AND c.kind = m.kind AND c.value = m.value
        """,
    ),
    (
        "unique titles",
        """
        INSERT INTO evidence_overlapuniquetitle (snapshot_id, library_id, bib_record_id, sort_title)
        SELECT %(snapshot)s, t.lib, t.bib, t.sort_title FROM overlap_title t WHERE t.libs = 1
        """,
    ),
    (
        "totals",
        """
        UPDATE evidence_overlapsnapshot s
           SET titles = t.titles, holdings = t.holdings, copies = t.copies, unique_titles = t.unique_titles,
               single_copy_titles = t.single, members = (SELECT count(*) FROM evidence_overlaplibrary
                                                         WHERE snapshot_id = %(snapshot)s)
          FROM (SELECT count(*) AS titles, coalesce(sum(holdings), 0) AS holdings,
                       coalesce(sum(items), 0) AS copies, count(*) FILTER (WHERE libs = 1) AS unique_titles,
                       count(*) FILTER (WHERE items = 1) AS single
                  FROM overlap_title) t
         WHERE s.id = %(snapshot)s
        """,
    ),
]


@dataclass(frozen=True)
class Taken:
    snapshot: OverlapSnapshot
    timings: dict[str, float]


def take_snapshot() -> Taken | None:
    """Count the catalogue into a new snapshot that replaces the old in one transaction.
    Returns None when another count holds the lock (it will write the same figures)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
            # The temporary tables' sorts and hashes: a nightly job may use more than a page.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        snapshot = OverlapSnapshot.objects.create(taken_at=timezone.now())
        params = {"snapshot": snapshot.pk, "not_counted": NOT_COUNTED}
        with connection.cursor() as cursor:
            for name, sql in STATEMENTS:
                t0 = time.perf_counter()
                cursor.execute(sql, params)
                timings[name] = time.perf_counter() - t0
            t0 = time.perf_counter()
            kept = list(
                OverlapSnapshot.objects.order_by("-taken_at", "-id").values_list("pk", flat=True)[:KEEP]
            )
            old = list(OverlapSnapshot.objects.exclude(pk__in=kept).values_list("pk", flat=True))
            if old:
                for table in _CHILD_TABLES:
                    cursor.execute(f"DELETE FROM {table} WHERE snapshot_id = ANY(%s)", [old])  # noqa: S608
                OverlapSnapshot.objects.filter(pk__in=old).delete()
            timings["old snapshots deleted"] = time.perf_counter() - t0
        snapshot.seconds = round(time.perf_counter() - started, 2)
        snapshot.save(update_fields=["seconds"])
    snapshot.refresh_from_db()
    return Taken(snapshot, timings)
