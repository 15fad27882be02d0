"""Catalogue search above the seam: input checks, the backend's search, the Urdu retry with
spaces ignored and the spelling suggestion; the same for every backend."""

from __future__ import annotations

from typing import Any

from catalogue.query import ParsedQuery, parse_query, spaceless_variants
from catalogue.search.backends import get_backend
from catalogue.search.suggest import suggest_query
from catalogue.search.types import (
    FEW_RESULTS,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    SearchFilters,
    SearchResult,
    check_page,
    check_sort,
    clean_filters,
)

# Below this many hits an SRU query in Urdu is tried again with spaces ignored, as the
# portal's own search does (FEW_RESULTS).
SPACELESS_RETRY_BELOW = 3


def search_catalogue(
    *,
    q: str | None = "",
    filters: SearchFilters | None = None,
    sort: str | None = "relevance",
    page: Any = 1,
    page_size: int = PAGE_SIZE,
) -> SearchResult:
    """Ranked, faceted search of the union catalogue (QueryError on input it cannot run)."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    sort = check_sort(sort)
    page = check_page(page, page_size)
    parsed = parse_query(q)
    notes = list(parsed.notes)
    filters = clean_filters(filters or SearchFilters(), notes)
    backend = get_backend()
    offset = (page - 1) * page_size
    found = backend.search(parsed, filters, sort=sort, offset=offset, limit=page_size, notes=notes)
    result = SearchResult(
        query=parsed.raw,
        hits=found.hits,
        total=found.total,
        page=page,
        page_size=page_size,
        sort=sort,
        facets=found.facets,
        filters=filters,
        browse=parsed.is_empty,
        notes=notes,
    )
    if parsed.is_empty or found.total >= FEW_RESULTS:
        return result
    if (variant := spaceless_variants(parsed)) is not None:
        other = backend.search(variant, filters, sort=sort, offset=offset, limit=page_size, notes=notes)
        if other.total > found.total:
            result.hits, result.total, result.facets = other.hits, other.total, other.facets
            result.spaces_ignored = True
    if result.total < FEW_RESULTS:
        result.suggestion = suggest_query(parsed)
    return result


def search_tree(tree: Any, *, offset: int, limit: int) -> tuple[int, list[int]]:
    """(number of hits, ids of the slice in rank order) of an SRU search tree; Urdu queries
    with few hits are retried with spaces ignored."""
    backend = get_backend()
    total, ids = backend.search_tree(tree, offset=offset, limit=limit)
    if total < SPACELESS_RETRY_BELOW:
        variant = spaceless_variants(ParsedQuery(raw="", tree=tree))  # type: ignore[arg-type]
        if variant is not None:
            more, more_ids = backend.search_tree(variant.tree, offset=offset, limit=limit)
            if more > total:
                return more, more_ids
    return total, ids
