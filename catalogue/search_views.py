"""Public catalogue pages: search results, advanced search, record page, exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogue.exceptions import MSG_NO_SOURCE
from catalogue.languages import common_language_choices
from catalogue.models import Format
from catalogue.query import QueryError
from catalogue.records import EXPORT_FORMATS, citation_text, export, export_formats, record_detail
from catalogue.search import FACETS, SORTS, SearchFilters, search_catalogue
from members.models import Province
from members.permissions import PUBLIC, access

ADVANCED_FIELDS = ("all", "title", "author", "subject", "publisher", "isbn")


def filters_from(params: QueryDict) -> SearchFilters:
    return SearchFilters(**{name: params.getlist(name) for name in FACETS})


def ill_request_url(record_id: int | None) -> str:
    """Start an ILL request for this record (the ILL app's route once it exists)."""
    try:
        base = reverse("ill-request-new")
    except NoReverseMatch:
        base = "/ill/requests/new/"
    return f"{base}?{urlencode({'record': record_id})}" if record_id else base


def _with(params: QueryDict, **changes: str) -> str:
    """This search's URL with some parameters changed (and back on page 1)."""
    copy = params.copy()
    copy.pop("page", None)
    for name, value in changes.items():
        copy[name] = value
    return "?" + copy.urlencode()


def _query_from_advanced(params: QueryDict) -> str:
    """Fielded boxes of the advanced form combined into one query in the search syntax."""
    parts = []
    for name in ADVANCED_FIELDS:
        value = " ".join(params.get(f"adv_{name}", "").split())
        if not value:
            continue
        if name == "all":
            parts.append(value)
        else:
            quoted = value.replace('"', " ")
            parts.append(f'{name}:"{quoted}"' if " " in quoted and name != "isbn" else f"{name}:{quoted}")
    return " ".join(parts)


@access(PUBLIC)
def search(request: HttpRequest) -> HttpResponse:
    """The union catalogue's results page; every state is a bookmarkable GET URL."""
    params = request.GET
    q = params.get("q", "")
    if not q and any(params.get(f"adv_{n}") for n in ADVANCED_FIELDS):
        q = _query_from_advanced(params)
    context: dict = {
        "q": q,
        "sort": params.get("sort", "relevance"),
        "sorts": SORTS,
        "error": None,
        "result": None,
    }
    status = 200
    try:
        result = search_catalogue(
            q=q, filters=filters_from(params), sort=params.get("sort"), page=params.get("page")
        )
    except QueryError as exc:
        context["error"] = exc.message
        status = 400
    else:
        context["result"] = result
        context["facet_groups"] = [(name, FACET_TITLES[name], result.facets.get(name, [])) for name in FACETS]
        context["page_links"] = _page_links(params, result)
        context["active_filters"] = _active_filters(params, context["facet_groups"])
        context["clear_filters_url"] = _without_filters(params)
        context["suggestion_url"] = _with(params, q=result.suggestion) if result.suggestion else ""
        context["ill_url"] = ill_request_url(None)
    # htmx swaps the results alone (and, out of band, the query box and the title, so that the
    # page it keeps for the back button matches its URL); restoring history the browser no
    # longer holds asks for the whole page.
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "catalogue/_results_swap.html" if partial else "catalogue/search.html"
    response = render(request, template, context, status=status)
    # One URL, two bodies: a cache (the browser's, on the back button after leaving the page)
    # must not answer a full page load with the partial.
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


FACET_TITLES = {
    "library": gettext_lazy("Holding library"),
    "province": gettext_lazy("Province or territory"),
    "format": gettext_lazy("Format"),
    "language": gettext_lazy("Language"),
    "decade": gettext_lazy("Publication year"),
    "subject": gettext_lazy("Subject"),
}


def _active_filters(params: QueryDict, facet_groups) -> list[dict]:
    """Each chosen facet value with the URL of this search without it (back on page 1)."""
    chosen = []
    for name, title, values in facet_groups:
        for value in values:
            if value.selected:
                copy = params.copy()
                copy.pop("page", None)
                copy.setlist(name, [v for v in params.getlist(name) if v != value.value])
                chosen.append({"title": title, "label": value.label, "url": "?" + copy.urlencode()})
    return chosen


def _without_filters(params: QueryDict) -> str:
    """This search's URL with every facet cleared (query and sort kept, back on page 1)."""
    copy = params.copy()
    for name in (*FACETS, "page"):
        copy.pop(name, None)
    return "?" + copy.urlencode()


def _page_links(params: QueryDict, result) -> dict:
    def url(page: int) -> str:
        copy = params.copy()
        copy["page"] = str(page)
        return "?" + copy.urlencode()

    first = max(1, result.page - 3)
    last = min(result.pages, result.page + 3)
    return {
        "previous": url(result.page - 1) if result.page > 1 else "",
        "next": url(result.page + 1) if result.page < result.pages else "",
        "numbers": [(n, url(n), n == result.page) for n in range(first, last + 1)],
    }


@access(PUBLIC)
def advanced_search(request: HttpRequest) -> HttpResponse:
    """Fielded search form; it submits to the results page."""
    return render(
        request,
        "catalogue/advanced.html",
        {
            "formats": Format.choices,
            "languages": common_language_choices(),
            "provinces": Province.choices,
            "sorts": SORTS,
        },
    )


@access(PUBLIC)
def record_page(request: HttpRequest, record_id: int) -> HttpResponse:
    """One merged record: description, holdings library by library, request, cite, export."""
    detail = record_detail(record_id=record_id)
    return render(
        request,
        "catalogue/record.html",
        {
            "detail": detail,
            "record": detail.record,
            "citation": citation_text(detail.record),
            "ill_url": ill_request_url(detail.record.pk),
            "export_formats": [
                (fmt, EXPORT_LABELS.get(fmt) or fmt.upper()) for fmt in export_formats(detail.record)
            ],
        },
    )


# Export buttons' labels: the format names librarians know (MARCXML, BibTeX), the source's
# in the reader's language.
EXPORT_LABELS = {
    "marc": "MARC",
    "marcxml": "MARCXML",
    "ris": "RIS",
    "bibtex": "BibTeX",
    "source": gettext_lazy("MARC as received"),
}


@access(PUBLIC)
def record_export(request: HttpRequest, record_id: int, fmt: str) -> HttpResponse:
    """Download one record as MARC, MARCXML, RIS, BibTeX or MARC as the library sent it."""
    detail = record_detail(record_id=record_id)
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(
            _("Unknown export format %(fmt)s: choose one of %(choices)s.")
            % {"fmt": fmt[:20], "choices": ", ".join(EXPORT_FORMATS)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    body, content_type, filename = export(detail.record, fmt)
    if body is None:
        return HttpResponse(str(MSG_NO_SOURCE), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
