"""API for policies and agreements: reads for everyone entitled, writes through the services.

Policies are public to read; agreements are readable by member staff, library systems
(API tokens) and consortium admins. Writes are for consortium admins, except
``acknowledge`` and ``accept``, which a library admin does for their own library.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from consortium.filters import StrictBooleanFilter
from consortium.negotiation import FormatIsAParameter
from members.models import Library
from members.permissions import PUBLIC
from policies import selectors, services
from policies.models import (
    Agreement,
    AgreementKind,
    Policy,
    PolicyCategory,
    PolicyVersion,
    Service,
    ShippingPaidBy,
    VersionStatus,
    excludable_formats,
)
from policies.rendering import render_markdown
from policies.terms import terms_explain


class RuleByActionMixin:
    """Each action names its permission rule; the class's ``access_rule`` covers reads."""

    action_rules: dict[str, str] = {}

    def initial(self, request, *args, **kwargs):
        self.access_rule = self.action_rules.get(self.action, type(self).access_rule)
        super().initial(request, *args, **kwargs)


# --- policies ---------------------------------------------------------------------------


class PolicyVersionOutputSerializer(serializers.ModelSerializer):
    published_by = serializers.CharField(source="published_by.display_name", default=None, allow_null=True)
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = PolicyVersion
        fields = [
            "number",
            "effective_from",
            "published_at",
            "published_by",
            "change_note",
            "body_markdown",
            "body_html",
        ]

    def get_body_html(self, version: PolicyVersion) -> str:
        return str(render_markdown(version.body_markdown))


class PolicyVersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    effective_from = serializers.DateField()
    published_at = serializers.DateTimeField()
    change_note = serializers.CharField()


class PolicyOutputSerializer(serializers.ModelSerializer):
    in_force = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = ["slug", "title", "category", "retired", "retired_at", "in_force", "versions"]

    @extend_schema_field(PolicyVersionOutputSerializer(allow_null=True))
    def get_in_force(self, policy: Policy) -> dict | None:
        version = selectors.version_in_force(policy)
        return PolicyVersionOutputSerializer(version).data if version else None

    @extend_schema_field(PolicyVersionSummarySerializer(many=True))
    def get_versions(self, policy: Policy) -> list:
        return PolicyVersionSummarySerializer(policy.published_versions, many=True).data


class PolicyCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=80)
    category = serializers.ChoiceField(choices=PolicyCategory.choices)
    body_markdown = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")


class DraftInputSerializer(serializers.Serializer):
    body_markdown = serializers.CharField(allow_blank=True, trim_whitespace=False)
    change_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    revision = serializers.IntegerField(min_value=1, help_text="The draft revision the editor loaded.")


class DraftOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyVersion
        fields = ["number", "status", "revision", "body_markdown", "change_note", "updated_at"]


class PublishInputSerializer(serializers.Serializer):
    effective_from = serializers.DateField()
    revision = serializers.IntegerField(min_value=1)


class AcknowledgementOutputSerializer(serializers.Serializer):
    library = serializers.CharField(source="library.code")
    version = serializers.IntegerField(source="version.number")
    acknowledged_at = serializers.DateTimeField()


class PolicyFilter(django_filters.FilterSet):
    retired = StrictBooleanFilter()

    class Meta:
        model = Policy
        fields = ["category", "retired"]


class PolicyViewSet(RuleByActionMixin, viewsets.ReadOnlyModelViewSet):
    """Cooperation policies with the version in force and their history."""

    access_rule = PUBLIC
    action_rules = {
        "create": "consortium.manage",
        "draft": "consortium.manage",
        "publish": "consortium.manage",
        "acknowledge": "policies.acknowledge",
    }
    serializer_class = PolicyOutputSerializer
    lookup_field = "slug"
    filterset_class = PolicyFilter

    def get_queryset(self):
        return selectors.policies_with_history(include_retired=True)

    @extend_schema(request=PolicyCreateInputSerializer, responses={201: PolicyOutputSerializer})
    def create(self, request: Request) -> Response:
        data = PolicyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.policy_create(actor=request.user, **data.validated_data)
        return Response(PolicyOutputSerializer(selectors.policy_get(slug=policy.slug)).data, status=201)

    def _policy(self, slug: str) -> Policy:
        try:
            return Policy.objects.get(slug=slug)
        except Policy.DoesNotExist as exc:
            raise Http404 from exc

    @extend_schema(
        request=DraftInputSerializer,
        responses={200: DraftOutputSerializer},
        description="Save the open draft (started from the latest version if none is open). "
        "A stale `revision` gets 409 `stale_draft`: someone else saved first; nothing is overwritten.",
    )
    @action(detail=True, methods=["post"])
    def draft(self, request: Request, slug: str) -> Response:
        data = DraftInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = services.policy_draft_start(actor=request.user, policy=self._policy(slug))
        draft = services.policy_draft_save(actor=request.user, version=draft, **data.validated_data)
        return Response(DraftOutputSerializer(draft).data)

    @extend_schema(request=PublishInputSerializer, responses={200: PolicyVersionOutputSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, slug: str) -> Response:
        data = PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = selectors.policy_draft(self._policy(slug))
        if draft is None:
            from policies import exceptions as err

            raise err.PoliciesConflict(err.NO_DRAFT, code=err.ErrorCode.NO_DRAFT)
        version = services.policy_version_publish(actor=request.user, version=draft, **data.validated_data)
        return Response(PolicyVersionOutputSerializer(version).data)

    @extend_schema(request=None, responses={201: AcknowledgementOutputSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, slug: str) -> Response:
        """The caller's library acknowledges the current version (library admins)."""
        version = services.current_version(self._policy(slug))
        if version is None:
            raise Http404
        ack = services.policy_acknowledge(actor=request.user, version=version)
        return Response(AcknowledgementOutputSerializer(ack).data, status=201)


# --- agreements -------------------------------------------------------------------------


class AcceptanceOutputSerializer(serializers.Serializer):
    library = serializers.CharField(source="library.code")
    accepted_at = serializers.DateTimeField()


class AgreementOutputSerializer(serializers.ModelSerializer):
    parties = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    acceptances = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id",
            "name",
            "kind",
            "all_members",
            "parties",
            "status",
            "status_reason",
            "valid_from",
            "valid_until",
            "services_allowed",
            "excluded_formats",
            "loan_period_days",
            "renewals_allowed",
            "response_deadline_days",
            "max_open_loans",
            "fee_pkr",
            "shipping_paid_by",
            "walk_in_borrowing",
            "acceptances",
            "proposed_at",
            "activated_at",
        ]

    @extend_schema_field(AcceptanceOutputSerializer(many=True))
    def get_acceptances(self, agreement: Agreement) -> list:
        # Prefetched acceptances; the library code comes from the prefetched parties.
        codes = {p.pk: p.code for p in agreement.parties.all()}
        return [
            {"library": codes.get(a.library_id), "accepted_at": a.accepted_at}
            for a in agreement.acceptances.all()
        ]


class AgreementCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    parties = serializers.SlugRelatedField(
        slug_field="code", queryset=Library.objects.all(), many=True, required=False, default=list
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)
    services_allowed = serializers.ListField(
        child=serializers.ChoiceField(choices=Service.choices), min_length=1
    )
    excluded_formats = serializers.ListField(
        child=serializers.ChoiceField(choices=excludable_formats()), required=False, default=list
    )
    # Ranges are checked by the service, whose messages name the limits.
    loan_period_days = serializers.IntegerField(required=False, default=28)
    renewals_allowed = serializers.IntegerField(min_value=0, max_value=10, required=False, default=1)
    response_deadline_days = serializers.IntegerField(min_value=1, max_value=30, required=False, default=3)
    max_open_loans = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    fee_pkr = serializers.IntegerField(min_value=0, required=False, default=0)
    shipping_paid_by = serializers.ChoiceField(
        choices=ShippingPaidBy.choices, required=False, default=ShippingPaidBy.BORROWER
    )
    walk_in_borrowing = serializers.BooleanField(required=False, default=False)
    policy_versions = serializers.PrimaryKeyRelatedField(
        queryset=PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED),
        many=True,
        required=False,
        default=list,
    )


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DecisionOutputSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField()
    explanation = serializers.CharField()
    agreement_id = serializers.IntegerField(allow_null=True)
    agreement_name = serializers.CharField()
    kind = serializers.CharField()
    terms = serializers.DictField(allow_null=True)


class AgreementViewSet(RuleByActionMixin, viewsets.ReadOnlyModelViewSet):
    """Agreements between member libraries, their terms and signatures."""

    access_rule = "agreements.view"
    action_rules = {
        "create": "consortium.manage",
        "propose": "consortium.manage",
        "withdraw": "consortium.manage",
        "suspend": "consortium.manage",
        "resume": "consortium.manage",
        "terminate": "consortium.manage",
        "accept": "agreements.accept",
    }
    serializer_class = AgreementOutputSerializer
    filterset_fields = ["status", "kind"]
    content_negotiation_class = FormatIsAParameter  # terms' ?format= is a catalogue format

    def get_queryset(self):
        return selectors.agreements_visible(user=self.request.user)

    def _respond(self, agreement: Agreement, code: int = 200) -> Response:
        return Response(AgreementOutputSerializer(self.get_queryset().get(pk=agreement.pk)).data, status=code)

    @extend_schema(request=AgreementCreateInputSerializer, responses={201: AgreementOutputSerializer})
    def create(self, request: Request) -> Response:
        """Create a draft agreement (consortium admins)."""
        data = AgreementCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = services.agreement_create(actor=request.user, **data.validated_data)
        return self._respond(agreement, 201)

    @extend_schema(request=None, responses={200: AgreementOutputSerializer})
    @action(detail=True, methods=["post"])
    def propose(self, request: Request, pk: str) -> Response:
        return self._respond(services.agreement_propose(actor=request.user, agreement=self.get_object()))

    @extend_schema(request=None, responses={200: AgreementOutputSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._respond(services.agreement_withdraw(actor=request.user, agreement=self.get_object()))

    @extend_schema(request=ReasonInputSerializer, responses={200: AgreementOutputSerializer})
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = services.agreement_suspend(
            actor=request.user, agreement=self.get_object(), reason=data.validated_data["reason"]
        )
        return self._respond(agreement)

    @extend_schema(request=None, responses={200: AgreementOutputSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._respond(services.agreement_resume(actor=request.user, agreement=self.get_object()))

    @extend_schema(request=ReasonInputSerializer, responses={200: AgreementOutputSerializer})
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str) -> Response:
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = services.agreement_terminate(
            actor=request.user, agreement=self.get_object(), reason=data.validated_data["reason"]
        )
        return self._respond(agreement)

    @extend_schema(request=None, responses={200: AgreementOutputSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """The caller's library signs (its library admin); the last signature activates it."""
        agreement = services.agreement_accept(
            actor=request.user, agreement=self.get_object(), library=request.user.library
        )
        return self._respond(agreement)

    @extend_schema(
        parameters=[
            OpenApiParameter("borrower", str, required=True, description="Borrowing library code"),
            OpenApiParameter("lender", str, required=True, description="Lending library code"),
            OpenApiParameter("service", str, required=True, enum=Service.values),
            OpenApiParameter("format", str, required=False, description="Catalogue format, e.g. thesis"),
            OpenApiParameter(
                "on", str, required=False, description="Date (YYYY-MM-DD, Pakistan); today if absent"
            ),
        ],
        responses={200: DecisionOutputSerializer},
    )
    @action(detail=False, methods=["get"])
    def terms(self, request: Request) -> Response:
        """Which terms apply between two libraries for a service, and which agreement decided."""
        query = TermsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        decision = terms_explain(
            borrower=q["borrower"],
            lender=q["lender"],
            service=q["service"],
            record_format=q.get("format"),
            on=q.get("on"),
        )
        terms = decision.terms.as_dict() if decision.terms is not None else None
        return Response(
            {
                "allowed": decision.allowed,
                "reason": decision.reason,
                "explanation": decision.explanation,
                "agreement_id": decision.agreement_id,
                "agreement_name": decision.agreement_name,
                "kind": decision.kind,
                "terms": terms,
            },
            status=status.HTTP_200_OK,
        )


class TermsQuerySerializer(serializers.Serializer):
    borrower = serializers.SlugRelatedField(slug_field="code", queryset=Library.objects.all())
    lender = serializers.SlugRelatedField(slug_field="code", queryset=Library.objects.all())
    service = serializers.ChoiceField(choices=Service.choices)
    format = serializers.ChoiceField(choices=excludable_formats(), required=False)
    on = serializers.DateField(required=False)
