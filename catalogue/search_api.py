"""Public search API: ranked, faceted search of the union catalogue and record details.

Decisions on bad input: a query the parser cannot run, an unknown sort key, a page that
is not a whole number from 1 or is past the first 1,000 results are answered 400 with
{code, detail}; unknown facet values are ignored and named in "notes" (a stale bookmark
of a library that left must not break a search); a page past the last result is an
empty page with the true count.
"""

from __future__ import annotations

import django_filters
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.exceptions import MSG_NO_SOURCE, ErrorCode
from catalogue.models import BibRecord
from catalogue.query import MAX_QUERY_CHARS
from catalogue.records import (
    EXPORT_FORMATS,
    citation_text,
    export,
    export_formats,
    record_detail,
    record_for_local_id,
)
from catalogue.search import FACETS, MAX_PAGE_SIZE, PAGE_SIZE, SORTS, SearchFilters, search_catalogue
from consortium.exceptions import NotFound
from consortium.negotiation import FormatIsAParameter
from consortium.schema import error_response
from members.permissions import PUBLIC


class RecordSearchFilter(django_filters.FilterSet):
    """The search's parameters; facet parameters repeat for OR (library=A&library=B)."""

    q = django_filters.CharFilter(
        max_length=MAX_QUERY_CHARS * 2, help_text="Search text (syntax as on /search/)."
    )
    sort = django_filters.CharFilter(help_text="relevance (default), year, year_asc, title")
    page = django_filters.CharFilter()
    page_size = django_filters.NumberFilter(min_value=1, max_value=MAX_PAGE_SIZE)
    local_id = django_filters.CharFilter(
        max_length=100, help_text="With one library=CODE: that library's record."
    )
    library = django_filters.CharFilter(help_text="Holding library code (repeatable).")
    province = django_filters.CharFilter(help_text="Province code PB SD KP BA IS GB AJK (repeatable).")
    format = django_filters.CharFilter(help_text="Format (repeatable).")
    language = django_filters.CharFilter(help_text="MARC language code (repeatable).")
    decade = django_filters.CharFilter(help_text="1990 for the 1990s, pre1900 (repeatable).")
    subject = django_filters.CharFilter(help_text="Exact subject heading (repeatable).")


# --- output shapes ---------------------------------------------------------------


class LibraryBrief(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    province = serializers.CharField()


class HitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    title_vernacular = serializers.CharField()
    subtitle = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    year = serializers.IntegerField(allow_null=True)
    edition = serializers.CharField()
    publisher = serializers.CharField()
    format = serializers.CharField()
    language = serializers.CharField()
    isbns = serializers.ListField(child=serializers.CharField())
    libraries = LibraryBrief(many=True)
    rank = serializers.FloatField()
    url = serializers.SerializerMethodField()

    def get_url(self, hit) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-record-detail", args=[hit.id]))


class FacetValueOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class SearchOutput(serializers.Serializer):
    count = serializers.IntegerField(source="total")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    sort = serializers.CharField()
    query = serializers.CharField()
    browse = serializers.BooleanField()
    suggestion = serializers.CharField(allow_null=True)
    spaces_ignored = serializers.BooleanField()
    facets_approximate = serializers.SerializerMethodField(
        help_text="Always false: facet counts are exact, also when browsing. Kept for existing clients."
    )
    notes = serializers.ListField(child=serializers.CharField())
    facets = serializers.DictField(child=FacetValueOutput(many=True))
    results = HitOutput(many=True, source="hits")

    def get_facets_approximate(self, result) -> bool:
        return False

    def to_representation(self, result) -> dict:
        """What the fields above make of a search result (the schema is theirs), written out
        by hand: a page's hits and up to 200 library facet values through DRF's generic
        fields took a quarter of an API search's time at 3,000,000 records (docs/search.md,
        "Where an API search's time goes"). tests/catalogue/test_search_api.py compares
        this with the generic output."""
        url = self.context["request"].build_absolute_uri
        return {
            "count": int(result.total),
            "page": int(result.page),
            "pages": int(result.pages),
            "page_size": int(result.page_size),
            "sort": str(result.sort),
            "query": str(result.query),
            "browse": bool(result.browse),
            "suggestion": None if result.suggestion is None else str(result.suggestion),
            "spaces_ignored": bool(result.spaces_ignored),
            "facets_approximate": False,
            "notes": [str(note) for note in result.notes],
            "facets": {
                str(name): [
                    {
                        "value": str(v.value),
                        "label": str(v.label),
                        "count": int(v.count),
                        "selected": bool(v.selected),
                    }
                    for v in values
                ]
                for name, values in result.facets.items()
            },
            "results": [
                {
                    "id": int(hit.id),
                    "title": str(hit.title),
                    "title_vernacular": str(hit.title_vernacular),
                    "subtitle": str(hit.subtitle),
                    "authors": [str(a) for a in hit.authors],
                    "year": None if hit.year is None else int(hit.year),
                    "edition": str(hit.edition),
                    "publisher": str(hit.publisher),
                    "format": str(hit.format),
                    "language": str(hit.language),
                    "isbns": [str(i) for i in hit.isbns],
                    "libraries": [
                        {
                            "code": str(lib.code),
                            "name": str(lib.name),
                            "city": str(lib.city),
                            "province": str(lib.province),
                        }
                        for lib in hit.libraries
                    ],
                    "rank": float(hit.rank),
                    "url": url(reverse("api-record-detail", args=[hit.id])),
                }
                for hit in result.hits
            ],
        }


class HoldingOutput(serializers.Serializer):
    library_code = serializers.CharField()
    library_name = serializers.CharField()
    city = serializers.CharField()
    province = serializers.CharField()
    province_label = serializers.CharField()
    call_number = serializers.CharField()
    location = serializers.CharField()
    status = serializers.CharField()
    lendable = serializers.BooleanField()
    item_count = serializers.IntegerField()
    available = serializers.BooleanField()


class RecordOutput(serializers.ModelSerializer):
    holdings = serializers.SerializerMethodField()
    citation = serializers.SerializerMethodField()
    exports = serializers.SerializerMethodField()

    class Meta:
        model = BibRecord
        fields = [
            "id",
            "title",
            "title_vernacular",
            "subtitle",
            "authors",
            "publisher",
            "place",
            "year",
            "edition",
            "language",
            "format",
            "isbns",
            "issns",
            "lccn",
            "oclc_numbers",
            "subjects",
            "summary",
            "holdings",
            "citation",
            "exports",
        ]

    @extend_schema_field(HoldingOutput(many=True))
    def get_holdings(self, record) -> list[dict]:
        return HoldingOutput(self.context["holdings"], many=True).data

    def get_citation(self, record) -> str:
        return citation_text(record)

    def get_exports(self, record) -> dict[str, str]:
        request = self.context["request"]
        return {
            fmt: request.build_absolute_uri(reverse("api-record-export", args=[record.pk, fmt]))
            for fmt in export_formats(record)
        }


# --- views -------------------------------------------------------------------------


def _list_param(name: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, many=True, explode=True, description=f"{name} facet value"
    )


class RecordSearchApi(APIView):
    """Search the union catalogue: a page of ranked records, the exact count and facet counts."""

    access_rule = PUBLIC
    content_negotiation_class = FormatIsAParameter

    @extend_schema(
        operation_id="records_search",
        parameters=[
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Search text; empty browses newest additions."
            ),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(SORTS)),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1..{MAX_PAGE_SIZE}"),
            OpenApiParameter(
                "local_id",
                OpenApiTypes.STR,
                description="With library=CODE: the merged record that library's own record went into.",
            ),
            *[_list_param(name) for name in FACETS],
        ],
        responses={200: SearchOutput},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        form = RecordSearchFilter(params, queryset=BibRecord.objects.none()).form
        if not form.is_valid():
            raise ValidationError(form.errors)
        if params.get("local_id"):
            return self._by_local_id(request)
        try:
            page_size = int(params.get("page_size") or PAGE_SIZE)
        except ValueError:
            page_size = PAGE_SIZE
        result = search_catalogue(
            q=params.get("q", ""),
            filters=SearchFilters(**{name: params.getlist(name) for name in FACETS}),
            sort=params.get("sort"),
            page=params.get("page"),
            page_size=page_size,
        )
        return Response(SearchOutput(result, context={"request": request}).data)

    def _by_local_id(self, request: Request) -> Response:
        libraries = request.query_params.getlist("library")
        local_id = request.query_params["local_id"]
        if len(libraries) != 1:
            raise ValidationError({"library": [_("Give exactly one library code with local_id.")]})
        record = record_for_local_id(library_code=libraries[0], local_id=local_id)
        if record is None:
            raise Http404(
                _("No merged record for library %(library)s, local id %(local_id)s.")
                % {"library": libraries[0], "local_id": local_id}
            )
        return Response(_record_data(request, record.pk))


def _record_data(request: Request, record_id: int) -> dict:
    detail = record_detail(record_id=record_id)
    return RecordOutput(detail.record, context={"request": request, "holdings": detail.holdings}).data


class RecordDetailApi(APIView):
    """One merged record with every holding library, a citation and export links."""

    access_rule = PUBLIC

    @extend_schema(operation_id="records_detail", responses={200: RecordOutput})
    def get(self, request: Request, record_id: int) -> Response:
        return Response(_record_data(request, record_id))


class RecordExportApi(APIView):
    """One record as MARC (ISO 2709), MARCXML, RIS or BibTeX."""

    access_rule = PUBLIC

    @extend_schema(
        operation_id="records_export",
        parameters=[
            OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(EXPORT_FORMATS))
        ],
        responses={
            # One media type per format (without its charset parameter, as OpenAPI keys them).
            **{
                (200, kind.split(";")[0]): OpenApiTypes.BINARY for kind, _extension in EXPORT_FORMATS.values()
            },
            400: error_response(400),
        },
    )
    def get(self, request: Request, record_id: int, fmt: str) -> HttpResponse:
        if fmt not in EXPORT_FORMATS:
            raise ValidationError(
                {
                    "format": [
                        _("Unknown export format: choose one of %(c)s.") % {"c": ", ".join(EXPORT_FORMATS)}
                    ]
                }
            )
        detail = record_detail(record_id=record_id)
        body, content_type, filename = export(detail.record, fmt)
        if body is None:
            raise NotFound(MSG_NO_SOURCE, code=ErrorCode.NO_SOURCE_AS_RECEIVED)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
