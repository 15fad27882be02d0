"""Tombstones of deleted merged records, for OAI-PMH's deleted-record support."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def bib_records_tombstone(*, bib_ids: Sequence[int]) -> None:
    """Remember these BibRecords as deleted, now; call in the transaction that deletes them."""
    if not bib_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalogue_deletedbibrecord (record_id, deleted_at, library_ids, format)"
            " SELECT id, now(), library_ids, format FROM catalogue_bibrecord WHERE id = ANY(%s)"
            " ON CONFLICT (record_id) DO NOTHING",
            [list(bib_ids)],
        )
