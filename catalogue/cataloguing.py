"""Cataloguers' decisions on the union catalogue: merging two records, splitting a source
record out of its record, and matching every source record again (after matching rules
change); each decision is remembered on every rematch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from catalogue import matching
from catalogue.events import EventKind, catalogue_event_record
from catalogue.exceptions import (
    MSG_MERGE_ITSELF,
    MSG_MERGE_NO_SOURCES,
    MSG_NOT_MERGED,
    MSG_ONE_SOURCE,
    ErrorCode,
)
from catalogue.imports.candidates import assign
from catalogue.imports.derive import BIB_INSERT_ONE_SQL, bib_records_recompute, bib_row
from catalogue.imports.parsing import BATCH_SIZE
from catalogue.imports.writer import batch_plans, catalogue_lock
from catalogue.models import BibRecord, MatchDecision, SourceRecord
from consortium.exceptions import DomainError


def _decide(a: SourceRecord, b: SourceRecord, *, same: bool, actor: Any, note: str = "") -> None:
    first, second = sorted([a.pk, b.pk])
    MatchDecision.objects.update_or_create(
        source_id=first,
        other_id=second,
        defaults={"same": same, "decided_by": actor if getattr(actor, "pk", None) else None, "note": note},
    )


@transaction.atomic
def bib_record_split(*, actor: Any, source: SourceRecord) -> BibRecord:
    """Take one source record out of its merged record; remembered on every rematch."""
    catalogue_lock()
    old = source.bib_record
    if old is None:
        raise DomainError(MSG_NOT_MERGED, code=ErrorCode.SOURCE_NOT_MERGED)
    others = list(SourceRecord.objects.filter(bib_record=old).exclude(pk=source.pk))
    if not others:
        raise DomainError(MSG_ONE_SOURCE, code=ErrorCode.ONE_SOURCE)
    for other in others:
        _decide(source, other, same=False, actor=actor, note="split")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            BIB_INSERT_ONE_SQL,
            bib_row(source.data, now),
        )
        new_id = cursor.fetchone()[0]
    SourceRecord.objects.filter(pk=source.pk).update(bib_record_id=new_id)
    bib_records_recompute(bib_ids=[old.pk, new_id])
    catalogue_event_record(
        kind=EventKind.SPLIT,
        actor=actor,
        record_id=new_id,
        other_record_id=old.pk,
        source_record_id=source.pk,
        data={"kept_apart_from": sorted(o.pk for o in others)},
    )
    return BibRecord.objects.get(pk=new_id)


@transaction.atomic
def bib_record_merge(*, actor: Any, target: BibRecord, other: BibRecord) -> BibRecord:
    """Merge `other` into `target` by hand; remembered on every rematch."""
    if target.pk == other.pk:
        raise DomainError(MSG_MERGE_ITSELF, code=ErrorCode.MERGE_ITSELF)
    catalogue_lock()
    anchor = SourceRecord.objects.filter(bib_record=target).order_by("-richness").first()
    moving = list(SourceRecord.objects.filter(bib_record=other))
    if anchor is None or not moving:
        raise DomainError(MSG_MERGE_NO_SOURCES, code=ErrorCode.MERGE_NO_SOURCES)
    for source in moving:
        _decide(anchor, source, same=True, actor=actor, note="merge")
    SourceRecord.objects.filter(bib_record=other).update(bib_record=target)
    bib_records_recompute(bib_ids=[target.pk, other.pk])
    catalogue_event_record(
        kind=EventKind.MERGE,
        actor=actor,
        record_id=target.pk,
        other_record_id=other.pk,
        data={"moved_sources": sorted(s.pk for s in moving)},
    )
    return BibRecord.objects.get(pk=target.pk)


@dataclass(slots=True)
class _Rematched:
    """A stored source record matched again (catalogue.imports.candidates.Matchable)."""

    source_id: int
    old_bib: int | None
    fields: dict[str, Any]
    keys: list[str]


def catalogue_rematch(*, actor: Any = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Match every source record again (after matching rules change); duplicates collapse
    into the oldest record, cataloguers' decisions are honoured. Batches commit one by one;
    the event (with what moved) is written once all have."""
    moved = 0
    last = 0
    while True:
        with transaction.atomic():
            catalogue_lock()
            batch_plans()
            rows = list(
                SourceRecord.objects.filter(pk__gt=last, withdrawn=False)
                .order_by("pk")
                .values_list("id", "bib_record_id", "data")[:batch_size]
            )
            if not rows:
                break
            last = rows[-1][0]
            moved += _rematch_batch(
                [_Rematched(sid, bib, data, matching.block_keys(data)) for sid, bib, data in rows]
            )
    result = {"moved": moved, "records": BibRecord.objects.count()}
    catalogue_event_record(kind=EventKind.REMATCH, actor=actor, data=result)
    return result


def _rematch_batch(records: list[_Rematched]) -> int:
    """Match these source records again and move those whose record changes; the number moved."""
    assignments, _joined, _candidates = assign(records, lowest_id=True)
    now = timezone.now()
    changes = []
    for r in records:
        target = assignments[id(r)]
        if target < 0:
            with connection.cursor() as cursor:
                cursor.execute(BIB_INSERT_ONE_SQL, bib_row(r.fields, now))
                real = cursor.fetchone()[0]
            for other in records:
                if assignments[id(other)] == target:
                    assignments[id(other)] = real
            target = real
        if target != r.old_bib:
            changes.append((r.source_id, target, r.old_bib))
    for sid, target, _old in changes:
        SourceRecord.objects.filter(pk=sid).update(bib_record_id=target)
    bib_records_recompute(bib_ids={c[1] for c in changes} | {c[2] for c in changes if c[2]})
    return len(changes)
