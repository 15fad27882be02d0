"""Union catalogue search, behind one seam (catalogue.search.backends): the search page,
the API, SRU and the spelling suggestions all ask it. PostgreSQL is the default backend
(catalogue.search.backends.postgres)."""

from catalogue.query import QueryError, words_query
from catalogue.search.service import search_catalogue, search_tree
from catalogue.search.suggest import refresh_vocabulary, suggest_query, vocabulary_learn
from catalogue.search.types import (
    FACETS,
    FEW_RESULTS,
    MAX_PAGE_SIZE,
    MAX_RESULTS_REACHABLE,
    PAGE_SIZE,
    SORTS,
    SUBJECT_FACET_SIZE,
    FacetValue,
    Hit,
    HoldingLibrary,
    SearchFilters,
    SearchResult,
    check_page,
    check_sort,
    clean_filters,
)

__all__ = [
    "FACETS",
    "FEW_RESULTS",
    "MAX_PAGE_SIZE",
    "MAX_RESULTS_REACHABLE",
    "PAGE_SIZE",
    "SORTS",
    "SUBJECT_FACET_SIZE",
    "FacetValue",
    "Hit",
    "HoldingLibrary",
    "QueryError",
    "SearchFilters",
    "SearchResult",
    "check_page",
    "check_sort",
    "clean_filters",
    "refresh_vocabulary",
    "search_catalogue",
    "search_tree",
    "suggest_query",
    "vocabulary_learn",
    "words_query",
]
