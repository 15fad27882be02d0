"""The union catalogue's public OAI-PMH endpoint (/oai): parse, call catalogue.oai, reply."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from catalogue.oai.verbs import handle
from members.permissions import PUBLIC, access


# OAI-PMH takes its arguments by GET or by a form-encoded POST (spec 3.1.1); a POST here
# reads the catalogue and changes nothing, so it needs no CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@access(PUBLIC)
def oai_pmh(request: HttpRequest) -> HttpResponse:
    """OAI-PMH 2.0: Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords, GetRecord."""
    params = request.POST if request.method == "POST" else request.GET
    body = handle({name: params.getlist(name) for name in params})
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
