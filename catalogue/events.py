"""The catalogue's event history: one function records every consequential action."""

from __future__ import annotations

from typing import Any

from catalogue.models import CatalogueEvent

EventKind = CatalogueEvent.Kind


def catalogue_event_record(
    *,
    kind: EventKind,
    actor: Any,
    record_id: int | None = None,
    other_record_id: int | None = None,
    source_record_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> CatalogueEvent:
    """Append an event (inside the caller's transaction); ``actor`` None or anonymous: the
    system (a management command, a scheduled job)."""
    return CatalogueEvent.objects.create(
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        record_id=record_id,
        other_record_id=other_record_id,
        source_record_id=source_record_id,
        data=data or {},
    )
