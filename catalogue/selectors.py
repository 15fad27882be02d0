"""Reads for imports and the cataloguer's screens (search reads live in catalogue/search.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from catalogue.models import BibRecord, ImportJob
from members.permissions import is_consortium_admin


def import_jobs_for(user: Any, *, status: str = "") -> QuerySet[ImportJob]:
    """The imports this person may see (their library's; every library's for a consortium
    admin), of one status when given."""
    jobs = ImportJob.objects.select_related("library", "created_by")
    if status:
        jobs = jobs.filter(status=status)
    if is_consortium_admin(user):
        return jobs
    return jobs.filter(library_id=getattr(user, "library_id", None))


def bib_record_with_sources(pk: int) -> BibRecord | None:
    return BibRecord.objects.prefetch_related("sources__library", "sources__holdings").filter(pk=pk).first()
