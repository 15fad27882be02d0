"""ILL API: create, list with filters, retrieve, and one endpoint per action.

What of a request each reader gets is ill.visibility's decision: the lender's shape has no
patron fields, the patron's none of the back office; an unavailable action answers 409
with the actions that are available.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ill import exceptions as err
from ill import ratings, selectors, services, states, visibility
from ill.exceptions import PATRON_NOT_APPROVED, REQUEST_NOT_FOUND, ErrorCode, IllNotFound, IllPermissionDenied
from ill.models import RATING_COMMENT_MAX, IllRequest, Rating, ServiceLevel, ServiceType
from ill.states import Role
from members.permissions import is_approved_patron, works_at

SEEN_AS_HELP = (
    "Whose view of the request this is: lender (no patron), borrower (everything), "
    "patron (no back office). See ill/visibility.py."
)


class PatronSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    card_number = serializers.CharField()


class RequestOutputSerializer(serializers.ModelSerializer):
    """A request as either library sees it (no patron fields)."""

    reference = serializers.CharField()
    borrower = serializers.CharField(source="borrower.code")
    supplier = serializers.CharField(source="supplier.code", allow_null=True, default=None)
    bib_record = serializers.IntegerField(source="bib_record_id", allow_null=True)
    available_actions = serializers.SerializerMethodField()
    seen_as = serializers.SerializerMethodField(help_text=SEEN_AS_HELP)

    class Meta:
        model = IllRequest
        fields = [
            "id", "reference", "borrower", "supplier", "bib_record", "title", "author", "publisher", "year",
            "isbn", "service_type", "article_title", "pages", "needed_by", "service_level", "status",
            "supplier_status", "rota_position", "due_date", "renewals_used", "renewals_allowed",
            "loan_condition", "fee_pkr", "created_at", "status_changed_at", "available_actions", "seen_as",
        ]  # fmt: skip

    def get_available_actions(self, req: IllRequest) -> list[str]:
        roles = services.actor_roles(self.context["request"].user, req)
        return [a.code for a in selectors.available_actions(req=req, roles=roles)]

    @extend_schema_field({"type": "string", "enum": [visibility.Reader.LENDER.value]})
    def get_seen_as(self, req: IllRequest) -> str:
        return visibility.Reader.LENDER


class BorrowerRequestOutputSerializer(RequestOutputSerializer):
    """The requesting library also sees its patron (its own data)."""

    patron = serializers.SerializerMethodField()
    patron_note = serializers.SerializerMethodField()
    patron_reference = serializers.SerializerMethodField()

    class Meta(RequestOutputSerializer.Meta):
        fields = [*RequestOutputSerializer.Meta.fields, "patron", "patron_note", "patron_reference"]

    @extend_schema_field({"type": "string", "enum": [visibility.Reader.BORROWER.value]})
    def get_seen_as(self, req: IllRequest) -> str:
        return visibility.Reader.BORROWER

    def _identity(self, req: IllRequest) -> visibility.PatronIdentity | None:
        return visibility.patron_identity(req=req, reader=visibility.Reader.BORROWER)

    @extend_schema_field(PatronSerializer(allow_null=True))
    def get_patron(self, req: IllRequest) -> dict | None:
        identity = self._identity(req)
        return identity.as_api(req.patron_id) if identity else None

    def get_patron_note(self, req: IllRequest) -> str:
        identity = self._identity(req)
        return identity.note if identity else ""

    def get_patron_reference(self, req: IllRequest) -> str:
        identity = self._identity(req)
        return identity.reference if identity else ""


class PatronRequestOutputSerializer(serializers.ModelSerializer):
    """A request as its patron sees it: no lender, rota, reasons or notes between libraries."""

    class PickupSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()

    class MessageSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        text = serializers.CharField()

    reference = serializers.CharField()
    status_label = serializers.SerializerMethodField()
    due_date = serializers.SerializerMethodField()
    dates = serializers.SerializerMethodField()
    pickup = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    seen_as = serializers.SerializerMethodField(help_text=SEEN_AS_HELP)

    class Meta:
        model = IllRequest
        fields = [
            *visibility.PATRON_API_FIELDS,
            "status_label", "due_date", "dates", "pickup", "messages", "available_actions", "seen_as",
        ]  # fmt: skip

    @extend_schema_field({"type": "string", "enum": [visibility.Reader.PATRON.value]})
    def get_seen_as(self, req: IllRequest) -> str:
        return visibility.Reader.PATRON

    def _view(self, req: IllRequest) -> visibility.PatronView:
        cache = self.context.setdefault("patron_views", {})
        if req.pk not in cache:
            cache[req.pk] = visibility.patron_view(req=req)
        return cache[req.pk]

    def get_status_label(self, req: IllRequest) -> str:
        return self._view(req).status

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_due_date(self, req: IllRequest):
        return self._view(req).date("due")

    @extend_schema_field(
        serializers.DictField(
            child=serializers.DateField(),
            help_text="requested, needed_by, shipped, ready, picked_up, returned, copy_ready, due: those that apply.",
        )
    )
    def get_dates(self, req: IllRequest) -> dict:
        return self._view(req).as_api()["dates"]

    @extend_schema_field(PickupSerializer)
    def get_pickup(self, req: IllRequest) -> dict:
        return self._view(req).as_api()["pickup"]

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, req: IllRequest) -> list[dict]:
        return self._view(req).as_api()["messages"]

    def get_available_actions(self, req: IllRequest) -> list[str]:
        return [a.code for a in selectors.available_actions(req=req, roles={Role.PATRON})]


# What ?status= filters on: "open", or a status of either side (the queue says which).
LIST_STATUSES = ["open", *sorted(s.code for s in states.STATUSES.values() if s.code)]


SERIALIZERS = {
    visibility.Reader.BORROWER: BorrowerRequestOutputSerializer,
    visibility.Reader.LENDER: RequestOutputSerializer,
    visibility.Reader.PATRON: PatronRequestOutputSerializer,
}

# The three shapes a request comes in, documented as one response (ill.visibility decides).
REQUEST_RESPONSE = PolymorphicProxySerializer(
    component_name="IllRequestAsSeen",
    serializers=[BorrowerRequestOutputSerializer, RequestOutputSerializer, PatronRequestOutputSerializer],
    resource_type_field_name=None,
)


def _serialize(request, req: IllRequest) -> dict:
    """The request as this reader may see it (ill.visibility: lender, borrower or patron)."""
    reader = visibility.reader_for(request.user, req)
    if reader is None:
        raise IllNotFound(REQUEST_NOT_FOUND, code=ErrorCode.REQUEST_NOT_FOUND)
    return SERIALIZERS[reader](req, context={"request": request}).data


class IllApi(APIView):
    """Refusals say which they are: a patron not approved yet is told so, with its code."""

    def permission_denied(self, request, message=None, code=None):
        user = request.user
        if getattr(user, "is_patron", False) and not is_approved_patron(user):
            raise IllPermissionDenied(PATRON_NOT_APPROVED, code=ErrorCode.PATRON_NOT_APPROVED)
        super().permission_denied(request, message=message, code=code)


class RequestListCreateApi(IllApi):
    """ILL requests of your library (as borrower, or as the lender asked)."""

    access_rule = "ill.request"
    pagination_class = PageNumberPagination

    class IllRequestCreateInputSerializer(serializers.Serializer):
        bib_record = serializers.IntegerField(required=False, allow_null=True)
        title = serializers.CharField(required=False, allow_blank=True, max_length=500)
        author = serializers.CharField(required=False, allow_blank=True, max_length=300)
        publisher = serializers.CharField(required=False, allow_blank=True, max_length=300)
        year = serializers.CharField(required=False, allow_blank=True, max_length=20)
        isbn = serializers.CharField(required=False, allow_blank=True, max_length=20)
        service_type = serializers.ChoiceField(choices=ServiceType.choices, default=ServiceType.LOAN)
        article_title = serializers.CharField(required=False, allow_blank=True, max_length=500)
        pages = serializers.CharField(required=False, allow_blank=True, max_length=50)
        needed_by = serializers.DateField(required=False, allow_null=True)
        service_level = serializers.ChoiceField(choices=ServiceLevel.choices, default=ServiceLevel.NORMAL)
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        patron = serializers.IntegerField(required=False, allow_null=True)

    class RequestListQuerySerializer(serializers.Serializer):
        role = serializers.ChoiceField(
            choices=[("borrower", _("borrower")), ("lender", _("lender"))],
            default="borrower",
            help_text=_(
                "Which queue of a library: its own requests (borrower) or those it is asked to supply."
            ),
        )
        status = serializers.ChoiceField(
            choices=LIST_STATUSES,
            required=False,
            allow_blank=True,
            help_text=_(
                "Requester status (borrower queue, patrons) or supplier status (lender queue); open: not finished."
            ),
        )
        attention = serializers.BooleanField(default=False, help_text=_("Only those needing your attention."))
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=200,
            help_text=_("Title, author, ISBN or ILL number."),
        )

    @extend_schema(parameters=[RequestListQuerySerializer], responses=PolymorphicProxySerializer(
        component_name="IllRequestAsSeen", serializers=list(SERIALIZERS.values()),
        resource_type_field_name=None, many=True,
    ))  # fmt: skip
    def get(self, request):
        query = self.RequestListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        user = request.user
        status_filter = params.get("status", "")
        if works_at(user, None):
            select = selectors.lending_queue if params["role"] == "lender" else selectors.borrowing_queue
            qs = select(
                library_id=user.library_id, status=status_filter, q=params["q"], attention=params["attention"]
            )
        else:
            qs = selectors.patron_requests(patron_id=user.pk).prefetch_related("events")
            if status_filter == "open":
                qs = qs.open()
            elif status_filter:
                qs = qs.filter(status=status_filter)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_serialize(request, r) for r in page])

    @extend_schema(request=IllRequestCreateInputSerializer, responses={201: REQUEST_RESPONSE})
    def post(self, request):
        data = self.IllRequestCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        req = services.ill_request_create(
            actor=request.user,
            bib_record_id=v.get("bib_record"),
            title=v.get("title", ""),
            author=v.get("author", ""),
            publisher=v.get("publisher", ""),
            year=v.get("year", ""),
            isbn=v.get("isbn", ""),
            service_type=v["service_type"],
            article_title=v.get("article_title", ""),
            pages=v.get("pages", ""),
            needed_by=v.get("needed_by"),
            service_level=v["service_level"],
            note=v.get("note", ""),
            patron_id=v.get("patron"),
        )
        return Response(_serialize(request, req), status=status.HTTP_201_CREATED)


class RequestDetailApi(IllApi):
    """One request, if your library (or you, its patron) take part in it."""

    access_rule = "ill.request"

    @extend_schema(responses=REQUEST_RESPONSE)
    def get(self, request, pk: int):
        req, _roles = selectors.request_for(request_id=pk, actor=request.user)
        return Response(_serialize(request, req))


class RequestActionApi(IllApi):
    """Take one action of the state machine (see ill/states.py for the table).

    409 with ``available`` when the action is not possible in the current state.
    """

    access_rule = "ill.request"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class IllActionInputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
        reason = serializers.ChoiceField(choices=list(states.REFUSAL_REASONS), required=False)
        reason_unfilled = serializers.ChoiceField(choices=list(states.REASONS_UNFILLED), required=False)
        reason_retry = serializers.ChoiceField(choices=list(states.REASONS_RETRY), required=False)
        condition = serializers.ChoiceField(choices=list(states.LOAN_CONDITIONS), required=False)
        override = serializers.BooleanField(required=False)
        lender = serializers.CharField(
            required=False, max_length=16, help_text="resource: library code to ask"
        )
        expected_status = serializers.CharField(required=False, max_length=24)
        file = serializers.FileField(required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "action", str, OpenApiParameter.PATH, enum=sorted(states.ACTIONS),
                description="An action of the state machine; which are available now is in available_actions.",
            )
        ],
        request=IllActionInputSerializer,
        responses={200: REQUEST_RESPONSE},
    )  # fmt: skip
    def post(self, request, pk: int, action: str):
        data = self.IllActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not IllRequest.objects.filter(pk=pk).exists():
            raise IllNotFound(REQUEST_NOT_FOUND, code=ErrorCode.REQUEST_NOT_FOUND)
        services.ill_request_transition(
            request_id=pk, action=action, actor=request.user, **data.validated_data
        )
        req = IllRequest.objects.select_related("borrower", "supplier", "patron").get(pk=pk)
        return Response(_serialize(request, req))


class RatingApi(IllApi):
    """The patron's rating of their request once it has ended (ill.ratings): GET it, PUT a
    score 1-5 and an optional comment; changeable for a week after the first answer. The
    patron and their library read it; a lender is never shown it (404, as for any request
    it cannot see the rating of)."""

    access_rule = "ill.request"

    class RatingSerializer(serializers.Serializer):
        invited_at = serializers.DateTimeField(read_only=True)
        score = serializers.IntegerField(
            min_value=1, max_value=5, allow_null=True, help_text="1 (very poor) to 5"
        )
        comment = serializers.CharField(allow_blank=True, required=False, max_length=RATING_COMMENT_MAX)
        answered_at = serializers.DateTimeField(read_only=True, allow_null=True)
        changeable_until = serializers.DateTimeField(read_only=True, allow_null=True)

    def _rating(self, request, pk: int) -> Rating:
        req = IllRequest.objects.filter(pk=pk).first()
        reader = visibility.reader_for(request.user, req) if req is not None else None
        if reader is None:
            raise IllNotFound(REQUEST_NOT_FOUND, code=ErrorCode.REQUEST_NOT_FOUND)
        found = visibility.rating(req=req, reader=reader)
        if found is None:
            raise IllNotFound(err.RATING_NOT_OPEN, code=ErrorCode.RATING_NOT_OPEN)
        return found

    @extend_schema(responses=RatingSerializer)
    def get(self, request, pk: int):
        return Response(self.RatingSerializer(self._rating(request, pk)).data)

    @extend_schema(request=RatingSerializer, responses=RatingSerializer)
    def put(self, request, pk: int):
        self._rating(request, pk)
        data = self.RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answered = ratings.rating_answer(
            request_id=pk,
            actor=request.user,
            score=data.validated_data["score"],
            comment=data.validated_data.get("comment", ""),
        )
        return Response(self.RatingSerializer(answered).data)
