"""Demo data of the evidence pages: one collection overlap snapshot of the demo catalogue,
so the pages show figures on a fresh start (the nightly task keeps it current)."""

from __future__ import annotations

from evidence import overlap
from evidence.models import OverlapSnapshot


def seed() -> dict[str, int]:
    if OverlapSnapshot.objects.exists():
        return {"overlap snapshots": 0}
    return {"overlap snapshots": 1 if overlap.take_snapshot() else 0}
