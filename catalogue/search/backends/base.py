"""The one seam every catalogue search goes through (the search page, the API, SRU and the
"did you mean"): a backend finds the records of a parsed query with its filters, counts
every facet exactly, and pages through a CQL search tree. The query parser
(catalogue.query), the folding (catalogue.normalize.fold) and the cross-script keys stay
shared, so every backend finds the same records; input checking, the Urdu retry with
spaces ignored and the spelling suggestions sit above the seam (catalogue.search.service),
the same for every backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from catalogue.query import ParsedQuery
from catalogue.search.types import FacetValue, Hit, SearchFilters


@dataclass
class Found:
    """One page of a search: the hits in order, the exact total and every facet's values."""

    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]


class SearchBackend(ABC):
    """A search engine behind the seam. ``name`` is its setting value (SEARCH_BACKEND)."""

    name: str
    uses_outbox = False  # an index of its own, kept by catalogue.search.outbox

    @abstractmethod
    def search(
        self,
        query: ParsedQuery,
        filters: SearchFilters,
        *,
        sort: str,
        offset: int,
        limit: int,
        notes: list[str],
    ) -> Found:
        """Hits ``offset``..``offset+limit`` of ``query`` (empty: browse everything) under
        ``filters``, sorted by ``sort`` (a key of catalogue.search.SORTS), the exact total and
        the disjunctive facet counts. Library codes that name no member are dropped from
        ``filters.library`` with a note added to ``notes``."""

    @abstractmethod
    def search_tree(self, tree: Any, *, offset: int, limit: int) -> tuple[int, list[int]]:
        """(number of hits, record ids of the slice in rank order) of an SRU search tree:
        the query nodes plus catalogue.sru.cql_search's YearRange, Everything and MatchKeyed."""

    def lag(self) -> dict[str, Any] | None:
        """How far the index is behind the catalogue (None: it reads the catalogue itself)."""
        return None
