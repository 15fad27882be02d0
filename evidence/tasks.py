"""Thin Celery tasks of the evidence pages."""

from __future__ import annotations

from celery import shared_task

from evidence import overlap


@shared_task(name="evidence.take_overlap_snapshot", time_limit=1800, soft_time_limit=1700)
def take_overlap_snapshot_task() -> int | None:
    """Count collection overlap into a new snapshot (nightly); the snapshot's id, or None
    when another count was running."""
    taken = overlap.take_snapshot()
    return taken.snapshot.pk if taken else None
