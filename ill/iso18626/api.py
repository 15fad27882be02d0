"""``POST /iso18626``: ISO 18626 messages from member libraries' own ILL systems.

HTTP status codes (ISO 18626 peers read the Confirmation, not the status line):

* 200 for every message that was read as far as its sender: an OK Confirmation, or an
  ERROR one for a message-level problem (badly formed, schema-invalid, unknown agency or
  request, an action out of turn), as ISO 18626 peers expect;
* 401 without a valid API token (``Authorization: Token <key>``, as the REST API), 403
  for a token of another library than the header's agency (or a signed-in person rather
  than a library system), 413 for a body over the size limit; each still carries an
  ERROR Confirmation saying why.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import BaseRenderer
from rest_framework.views import APIView

from ill import exceptions as err
from ill.iso18626.services import iso18626_message_receive, iso18626_refusal
from ill.iso18626.xml import UNRECOGNISED_VALUE
from members.authentication import LibraryTokenAuthentication

XML = "application/xml; charset=utf-8"


class XmlRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


_EXAMPLE = """<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"
    xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
  <requestingAgencyMessage>
    <header>...</header>
    <action>Received</action>
  </requestingAgencyMessage>
</ISO18626Message>"""


class Iso18626Api(APIView):
    """ISO 18626 v1.2 endpoint: request, supplyingAgencyMessage, requestingAgencyMessage.

    Each message is answered at once by its Confirmation (requestConfirmation,
    supplyingAgencyMessageConfirmation, requestingAgencyMessageConfirmation) with
    messageStatus OK, or ERROR with errorData (errorType and an errorValue naming the
    element path and the value). Agencies are identified by ISIL (the library code).
    """

    access_rule = "ill.iso18626"
    authentication_classes = [LibraryTokenAuthentication]
    parser_classes: list = []  # the body is read raw: ill.iso18626.xml parses it safely
    renderer_classes = [XmlRenderer]

    def perform_content_negotiation(self, request, force=False):
        # Whatever the peer's Accept header says, the answer is an ISO 18626 Confirmation.
        return XmlRenderer(), XmlRenderer.media_type

    @extend_schema(
        operation_id="iso18626_message",
        tags=["iso18626"],
        request={"application/xml": OpenApiTypes.STR},
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="Confirmation, messageStatus OK or ERROR"
            ),
            (401, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="No valid API token"),
            (403, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR, description="The header's agency is not the token's library"
            ),
            (413, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="Message too large"),
        },
        examples=[OpenApiExample("requestingAgencyMessage", value=_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        answer = iso18626_message_receive(actor=request.user, body=request.body)
        return HttpResponse(answer.body, status=answer.http_status, content_type=XML)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            error = err.Iso18626Error(UNRECOGNISED_VALUE, f"{err.ISO_NO_TOKEN} {exc.detail}", http_status=401)
        elif isinstance(exc, exceptions.PermissionDenied):
            error = err.Iso18626Error(UNRECOGNISED_VALUE, err.ISO_NOT_A_SYSTEM, http_status=403)
        else:
            return super().handle_exception(exc)
        response = HttpResponse(
            iso18626_refusal(body=self.request.body, error=error), status=error.http_status, content_type=XML
        )
        if error.http_status == 401:
            response["WWW-Authenticate"] = "Token"
        return response
