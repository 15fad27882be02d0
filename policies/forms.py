"""Forms check shape only; the services enforce the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from consortium.forms import BootstrapFormMixin
from members.models import Library
from policies.models import (
    MAX_BODY_CHARS,
    AgreementKind,
    HolidayKind,
    PolicyCategory,
    PolicyVersion,
    Service,
    ShippingPaidBy,
    VersionStatus,
    excludable_formats,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class PolicyCreateForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Address (slug)"), max_length=80, help_text=_("Lower-case letters, digits, hyphens.")
    )
    category = forms.ChoiceField(label=_("Category"), choices=PolicyCategory.choices)


class DraftForm(BootstrapFormMixin, forms.Form):
    # No max_length here: the service refuses oversized text with the message that says
    # how large it is and what the limit is; the request size limit stops the absurd.
    body_markdown = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "class": "font-monospace", "dir": "auto"}),
        help_text=_("Headings (#), lists, tables, links. At most %(kb)s KB.")
        % {"kb": MAX_BODY_CHARS // 1000},
    )
    change_note = forms.CharField(label=_("What changed"), max_length=300, required=False)
    effective_from = forms.DateField(
        label=_("In force from (when publishing)"), required=False, widget=DATE_WIDGET
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReasonForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class AgreementForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKind.choices)
    parties = forms.ModelMultipleChoiceField(
        label=_("Parties"),
        queryset=Library.objects.active().order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Two for bilateral, three or more for multilateral; none for consortium-wide."),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE_WIDGET)
    valid_until = forms.DateField(label=_("Valid until (inclusive)"), required=False, widget=DATE_WIDGET)
    services_allowed = forms.MultipleChoiceField(
        label=_("Services allowed"), choices=Service.choices, widget=forms.CheckboxSelectMultiple
    )
    excluded_formats = forms.MultipleChoiceField(
        label=_("Formats excluded"),
        choices=excludable_formats,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    loan_period_days = forms.IntegerField(label=_("Loan period (days)"), initial=28)
    renewals_allowed = forms.IntegerField(label=_("Renewals allowed"), min_value=0, max_value=10, initial=1)
    response_deadline_days = forms.IntegerField(
        label=_("Response deadline (working days)"), min_value=1, max_value=30, initial=3
    )
    max_open_loans = forms.IntegerField(
        label=_("Maximum open loans between two parties"),
        min_value=1,
        required=False,
        help_text=_("Empty: no limit."),
    )
    fee_pkr = forms.IntegerField(label=_("Fee per request (PKR)"), min_value=0, initial=0)
    shipping_paid_by = forms.ChoiceField(label=_("Shipping paid by"), choices=ShippingPaidBy.choices)
    walk_in_borrowing = forms.BooleanField(label=_("Reciprocal walk-in borrowing"), required=False)
    policy_versions = forms.ModelMultipleChoiceField(
        label=_("Incorporated policies"),
        queryset=PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("policy")
        .order_by("policy__title", "-number"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class HolidayForm(BootstrapFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    kind = forms.ChoiceField(label=_("Kind"), choices=HolidayKind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
