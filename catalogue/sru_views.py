"""The union catalogue's public SRU endpoint (/sru): parse, call catalogue.sru, reply."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from catalogue.sru import srw
from catalogue.sru.protocol import handle
from members.permissions import PUBLIC, access


# SRU takes its parameters by GET or by a form-encoded POST, SRW as a SOAP envelope POSTed
# as text/xml; a POST only searches, so it needs no CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@access(PUBLIC)
def sru_endpoint(request: HttpRequest) -> HttpResponse:
    """SRU 1.1/1.2 and SRW: explain and searchRetrieve with CQL, records as MARCXML or DC."""
    if request.method == "POST" and srw.is_srw(request.content_type or ""):
        body, status = srw.answer(request.body)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    params = request.POST if request.method == "POST" else request.GET
    body = handle({name: params.getlist(name) for name in params})
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
