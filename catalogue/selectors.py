"""Reads for imports and the cataloguer's screens (search reads live in catalogue/search.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum

from catalogue.matching import block_keys, title_key
from catalogue.models import BibRecord, FacetCount, ImportJob, MatchKey
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


def bib_records_by_identifiers(
    *,
    isbns: Sequence[str] = (),
    issns: Sequence[str] = (),
    oclc_numbers: Sequence[str] = (),
    lccns: Sequence[str] = (),
    title: str = "",
) -> list[BibRecord]:
    """The records a citation describes: those with any of its ISBNs, else ISSNs, else
    OCLC numbers, else LCCNs (normalized as catalogue.normalize does; 20 at most); with no
    identifier at all, those whose title is exactly this one once folded (matching.title_key)."""
    for lookup, values in (
        ("isbns__overlap", isbns),
        ("issns__overlap", issns),
        ("oclc_numbers__overlap", oclc_numbers),
        ("lccn__in", lccns),
    ):
        if values:
            records = list(BibRecord.objects.filter(**{lookup: list(values)})[:20])
            if records:
                return records
    if isbns or issns or oclc_numbers or lccns or not title:
        return []
    keys = [k for k in block_keys({"title": title}) if k.startswith("t:")]
    if not keys:
        return []
    wanted = title_key(title)
    held = MatchKey.objects.filter(key__in=keys).values("bib_record_id")
    return [r for r in BibRecord.objects.filter(pk__in=held)[:50] if title_key(r.title) == wanted]


@dataclass(frozen=True)
class CatalogueSize:
    titles: int  # records in the union catalogue (or held by the library)
    holdings: int  # library-title pairs: a title counts once for each member that holds it


def catalogue_size(*, library_id: int | None = None) -> CatalogueSize:
    """Titles and holdings from the trigger-kept facet counts (catalogue.facet_counts): one
    indexed read however large the catalogue, where counting 1,000,000 records takes seconds.
    For a library, its titles; each title it holds is one holding."""
    counts = FacetCount.objects.filter(facet="library")
    if library_id is not None:
        titles = counts.filter(value=str(library_id)).values_list("n", flat=True).first() or 0
        return CatalogueSize(titles=titles, holdings=titles)
    records = FacetCount.objects.filter(facet="", value="records").values_list("n", flat=True).first() or 0
    return CatalogueSize(titles=records, holdings=counts.aggregate(n=Sum("n"))["n"] or 0)


def titles_by_province() -> dict[int, int]:
    """Titles held in each province or territory (by members.models.PROVINCE_NUMBERS), from
    the kept facet counts."""
    rows = FacetCount.objects.filter(facet="province").values_list("value", "n")
    return {int(value): n for value, n in rows}
