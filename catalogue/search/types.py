"""What a catalogue search asks and answers, whatever backend runs it: filters, sorts,
pages, hits and facet values, and the checks every search input passes first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from catalogue.models import Format
from catalogue.query import QueryError
from members.models import LIBRARY_CODE_RE, PROVINCE_NUMBERS, library_name_in

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deep pages: past 1,000 hits nobody reads on; refining the search is the way on. The cap
# keeps OFFSET (a top-N sort over the matches already in memory) cheap.
MAX_RESULTS_REACHABLE = 1000
FEW_RESULTS = 3  # below this, suggest a spelling and (Urdu) retry with spaces ignored
SUBJECT_FACET_SIZE = 15

SORTS = {
    "relevance": _("Relevance"),
    "year": _("Newest first"),
    "year_asc": _("Oldest first"),
    "title": _("Title A–Z"),
}
FACETS = ("library", "province", "format", "language", "decade", "subject")
PROVINCE_BY_NUMBER = {n: code for code, n in PROVINCE_NUMBERS.items()}
_DECADE_RE = re.compile(r"^(pre1900|1[9]\d0|20\d0)$")
_LANGUAGE_RE = re.compile(r"^[a-z]{3}$")
_LIBRARY_CODE = re.compile(LIBRARY_CODE_RE)

SORT_UNKNOWN = _("Unknown sort %(sort)s: choose one of %(choices)s.")
PAGE_INVALID = _("Page must be a whole number from 1; got %(page)s.")
PAGE_TOO_DEEP = _(
    "Only the first %(max)d results can be paged through; page %(page)d is past that. Refine your search."
)
FACET_UNKNOWN = _("Unknown %(facet)s %(value)s was ignored.")


@dataclass
class SearchFilters:
    library: list[str] = field(default_factory=list)  # library codes
    province: list[str] = field(default_factory=list)  # province codes (PB, SD, ...)
    format: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    decade: list[str] = field(default_factory=list)  # "1990", "pre1900"
    subject: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in FACETS)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class HoldingLibrary:
    code: str
    name: str
    city: str
    province: str
    name_ur: str = ""
    city_ur: str = ""

    @property
    def local_city(self) -> str:
        """The city in the reader's language (members.models.library_name_in)."""
        return library_name_in(self.city, self.city_ur)


@dataclass
class Hit:
    id: int
    title: str
    title_vernacular: str
    subtitle: str
    authors: list[str]
    year: int | None
    edition: str
    publisher: str
    format: str
    format_label: str
    language: str
    isbns: list[str]
    libraries: list[HoldingLibrary]
    rank: float


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    sort: str
    facets: dict[str, list[FacetValue]]
    filters: SearchFilters
    browse: bool = False
    suggestion: str | None = None
    spaces_ignored: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        reachable = min(self.total, MAX_RESULTS_REACHABLE)
        return max(1, -(-reachable // self.page_size))

    @property
    def start(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.hits else 0

    @property
    def end(self) -> int:
        return (self.page - 1) * self.page_size + len(self.hits)


# --- input checking --------------------------------------------------------------


def check_sort(sort: str | None) -> str:
    sort = (sort or "relevance").strip()
    if sort not in SORTS:
        raise QueryError(
            str(SORT_UNKNOWN % {"sort": repr(sort[:40]), "choices": ", ".join(SORTS)}), code="invalid_sort"
        )
    return sort


def check_page(page: Any, page_size: int = PAGE_SIZE) -> int:
    """A page number within reach, or QueryError."""
    if page in (None, ""):
        return 1
    try:
        number = int(str(page).strip())
    except ValueError:
        raise QueryError(str(PAGE_INVALID % {"page": repr(str(page)[:20])}), code="invalid_page") from None
    if number < 1:
        raise QueryError(str(PAGE_INVALID % {"page": number}), code="invalid_page")
    if (number - 1) * page_size >= MAX_RESULTS_REACHABLE:
        raise QueryError(
            str(PAGE_TOO_DEEP % {"max": MAX_RESULTS_REACHABLE, "page": number}), code="page_too_deep"
        )
    return number


def keep_known_libraries(
    filters: SearchFilters, known: set[str] | dict[str, object], notes: list[str]
) -> None:
    """Drop library codes that name no member from the filter, each named in a note (a
    backend finds which exist as it runs the search)."""
    for code in filters.library:
        if code not in known:
            note = str(FACET_UNKNOWN % {"facet": "library", "value": repr(code[:40])})
            if note not in notes:
                notes.append(note)
    filters.library = [code for code in filters.library if code in known]


def clean_filters(raw: SearchFilters, notes: list[str]) -> SearchFilters:
    """Drop malformed facet values (each named in a note).

    Library codes are only checked for shape here; whether such a library exists is
    answered by the search statement itself, so a search stays one statement.
    """
    cleaned = SearchFilters()
    checks = {
        "library": lambda v: bool(_LIBRARY_CODE.match(v)),
        "province": lambda v: v in PROVINCE_NUMBERS,
        "format": lambda v: v in Format.values,
        "language": lambda v: bool(_LANGUAGE_RE.match(v)),
        "decade": lambda v: bool(_DECADE_RE.match(v)),
        "subject": lambda v: 0 < len(v) <= 300,
    }
    for name, ok in checks.items():
        values = list(dict.fromkeys(v.strip() for v in getattr(raw, name) if v is not None))[:50]
        kept = []
        for value in values:
            if value and "\x00" not in value and ok(value):
                kept.append(value)
            elif value:
                notes.append(str(FACET_UNKNOWN % {"facet": name, "value": repr(value[:40])}))
        setattr(cleaned, name, kept)
    return cleaned
