"""What OAI-PMH reads from the catalogue: pages of headers in id order, items, sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from catalogue.models import BibRecord, DeletedBibRecord, Format, SetDeparture
from catalogue.oai.arguments import ListState, Window
from catalogue.xml_formats import DC_FIELDS
from members.models import Library

# completeListSize is optional: a list is counted on its first page only, and only up to
# this many records; a longer list goes without. Measured on 300,000 records: counting
# 100,000 took 70 ms, a full count 160 ms and growing with the catalogue; 10,000 a few ms.
COMPLETE_LIST_SIZE_CAP = 10_000


@dataclass
class Header:
    id: int
    datestamp: datetime
    deleted: bool
    library_ids: list[int]
    format: str


# --- reading the catalogue -------------------------------------------------------------


@dataclass
class _SetFilter:
    sql: str  # over alias r: a record (b) or a tombstone (t) with library_ids and format
    params: list
    matches_nothing: bool = False
    # library:<code>: the library whose departures (records that left its set) are listed too
    departures_of: int | None = None
    # the "library" set: records every library left are listed (as deleted) too
    emptied: bool = False


# A live record that no library holds any more (its last copy withdrawn: it has departures)
# is a deleted item for harvesters: its header says so and it has no metadata; a library
# adding it back makes it live again under a new datestamp. (A record that never had a
# library, built by hand, stays as it is.)
_GONE = (
    "(cardinality(r.library_ids) = 0"
    " AND EXISTS (SELECT 1 FROM catalogue_setdeparture g WHERE g.record_id = r.id))"
)


def _set_filter(set_spec: str) -> _SetFilter:
    if not set_spec or set_spec == "format":
        return _SetFilter("TRUE", [])
    if set_spec == "library":
        return _SetFilter("cardinality(r.library_ids) > 0", [], emptied=True)
    kind, _, value = set_spec.partition(":")
    if kind == "format" and value in Format.values:
        return _SetFilter("r.format = %s", [value])
    if kind == "library" and value and ":" not in value:
        library_id = Library.objects.filter(code=value).values_list("pk", flat=True).first()
        if library_id is not None:
            return _SetFilter("r.library_ids @> ARRAY[%s]::integer[]", [library_id], departures_of=library_id)
    return _SetFilter("FALSE", [], matches_nothing=True)


def _departures(window: Window, set_filter: _SetFilter) -> tuple[str, list]:
    """The set's departures as a third branch of the list: records that left a library's set
    (still live in others, or held by none), deleted from that set as of when they left.
    Empty SQL for a set without departures."""
    if set_filter.departures_of is not None:
        where, params = "d.library_id = %s", [set_filter.departures_of]
        sets = "ARRAY[d.library_id]"
    elif set_filter.emptied:
        # records no library holds any more, once each, as of their last library's departure
        where, params = (
            f"EXISTS (SELECT 1 FROM catalogue_bibrecord r WHERE r.id = d.record_id AND {_GONE})",  # noqa: S608
            [],
        )
        sets = "ARRAY[]::integer[]"
    else:
        return "", []
    if window.start:
        where += " AND d.departed_at >= %s"
        params.append(window.start)
    if window.end:
        where += " AND d.departed_at < %s"
        params.append(window.end)
    sql = (
        f" UNION ALL (SELECT DISTINCT ON (d.record_id) d.record_id, d.departed_at, true, {sets},"  # noqa: S608 - fixed SQL
        " coalesce((SELECT b.format FROM catalogue_bibrecord b WHERE b.id = d.record_id), '')"
        f" FROM catalogue_setdeparture d WHERE d.record_id > %s AND {where}"
        " ORDER BY d.record_id, d.departed_at DESC LIMIT %s)"
    )
    return sql, params


def _conditions(window: Window, column: str, set_filter: _SetFilter) -> tuple[str, list]:
    parts, params = [set_filter.sql], list(set_filter.params)
    if window.start:
        parts.append(f"r.{column} >= %s")
        params.append(window.start)
    if window.end:
        parts.append(f"r.{column} < %s")
        params.append(window.end)
    return " AND ".join(parts), params


def list_headers(state: ListState, limit: int) -> tuple[list[Header], int | None]:
    """Up to ``limit`` headers after ``state.after`` in id order, live and deleted, and the
    size of the whole list when this is its first page (one more statement)."""
    set_filter = _set_filter(state.window.set_spec)
    if set_filter.matches_nothing:
        return [], 0
    live, live_params = _conditions(state.window, "updated_at", set_filter)
    gone, gone_params = _conditions(state.window, "deleted_at", set_filter)
    departed, departed_params = _departures(state.window, set_filter)
    # Each branch walks its primary key from the last id sent; Merge Append joins them.
    sql = (
        f"(SELECT r.id, r.updated_at, {_GONE}, r.library_ids, r.format FROM catalogue_bibrecord r"  # noqa: S608 - fixed SQL, values are parameters
        f" WHERE r.id > %s AND {live} ORDER BY r.id LIMIT %s)"
        " UNION ALL"
        " (SELECT r.record_id, r.deleted_at, true, r.library_ids, r.format FROM catalogue_deletedbibrecord r"
        f" WHERE r.record_id > %s AND {gone} ORDER BY r.record_id LIMIT %s)"
        f"{departed}"
        " ORDER BY 1 LIMIT %s"
    )
    params = [state.after, *live_params, limit, state.after, *gone_params, limit]
    if departed:
        params += [state.after, *departed_params, limit]
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        headers = [Header(*row) for row in cursor.fetchall()]
    size = state.size
    if size is None and state.after == 0:
        if len(headers) < limit:
            size = len(headers)
        else:
            with connection.cursor() as cursor:
                departed_count = (
                    f"(SELECT count(*) FROM ({departed.removeprefix(' UNION ALL ')}) AS d)"  # noqa: S608
                    if departed
                    else "0"
                )
                cursor.execute(
                    "SELECT (SELECT count(*) FROM (SELECT 1 FROM catalogue_bibrecord r"  # noqa: S608
                    f" WHERE {live} LIMIT %s) AS l), (SELECT count(*) FROM catalogue_deletedbibrecord r WHERE {gone}),"
                    f" {departed_count}",
                    [
                        *live_params,
                        COMPLETE_LIST_SIZE_CAP,
                        *gone_params,
                        *([0, *departed_params, COMPLETE_LIST_SIZE_CAP] if departed else []),
                    ],
                )
                live_count, gone_count, departed_count = cursor.fetchone()
            size = None if live_count >= COMPLETE_LIST_SIZE_CAP else live_count + gone_count + departed_count
    return headers, size


def library_codes(library_ids: set[int]) -> dict[int, str]:
    if not library_ids:
        return {}
    return dict(Library.objects.filter(pk__in=library_ids).values_list("pk", "code"))


def earliest_datestamp() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT least((SELECT min(updated_at) FROM catalogue_bibrecord),"
            " (SELECT min(deleted_at) FROM catalogue_deletedbibrecord))"
        )
        earliest = cursor.fetchone()[0]
    return earliest or timezone.now().replace(microsecond=0)


def find_header(record_id: int) -> tuple[Header, BibRecord | None] | None:
    """The item's header and (unless deleted) its record, or None if there never was one."""
    record = BibRecord.objects.filter(pk=record_id).only(*DC_FIELDS).first()
    if record is not None and not record.library_ids and _departed(record_id):
        return Header(record.pk, record.updated_at, True, record.library_ids, record.format), None
    if record is not None:
        return Header(record.pk, record.updated_at, False, record.library_ids, record.format), record
    tomb = DeletedBibRecord.objects.filter(pk=record_id).first()
    if tomb is not None:
        return Header(tomb.record_id, tomb.deleted_at, True, tomb.library_ids, tomb.format), None
    return None


def _departed(record_id: int) -> bool:
    return SetDeparture.objects.filter(record_id=record_id).exists()
