"""Forms for ILL screens: shape only; the services enforce the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from consortium.forms import BootstrapFormMixin
from ill import exceptions as err
from ill import states
from ill.models import RATING_COMMENT_MAX, ServiceLevel, ServiceType
from members.forms import LibraryChoiceField
from members.models import Library


class RequestForm(BootstrapFormMixin, forms.Form):
    service_type = forms.ChoiceField(label=_("What do you need?"), choices=ServiceType.choices)
    article_title = forms.CharField(
        label=_("Article or chapter (for a copy)"), max_length=500, required=False
    )
    pages = forms.CharField(label=_("Pages (for a copy)"), max_length=50, required=False)
    needed_by = forms.DateField(
        label=_("Needed by (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    service_level = forms.ChoiceField(label=_("Urgency"), choices=ServiceLevel.choices)
    note = forms.CharField(
        label=_("Note to your library"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CitationForm(RequestForm):
    """Staff may also request an item that is not in the catalogue, and for a patron."""

    title = forms.CharField(label=_("Title"), max_length=500, required=False)
    author = forms.CharField(label=_("Author"), max_length=300, required=False)
    publisher = forms.CharField(label=_("Publisher"), max_length=300, required=False)
    year = forms.CharField(label=_("Year"), max_length=20, required=False)
    isbn = forms.CharField(label=_("ISBN or ISSN"), max_length=20, required=False)
    patron_card = forms.CharField(label=_("Patron's card number (optional)"), max_length=40, required=False)


class ActionForm(forms.Form):
    """The payload an action may carry (each action uses the fields it needs)."""

    note = forms.CharField(required=False, max_length=2000)
    reason = forms.ChoiceField(required=False, choices=[("", ""), *list(states.REFUSAL_REASONS.items())])
    reason_unfilled = forms.ChoiceField(
        required=False, choices=[("", ""), *list(states.REASONS_UNFILLED.items())]
    )
    reason_retry = forms.ChoiceField(required=False, choices=[("", ""), *list(states.REASONS_RETRY.items())])
    condition = forms.ChoiceField(required=False, choices=[("", ""), *list(states.LOAN_CONDITIONS.items())])
    override = forms.BooleanField(required=False)
    lender = forms.CharField(required=False, max_length=16)
    forward_to = forms.CharField(required=False, max_length=40)
    expected_status = forms.CharField(required=False, max_length=24)
    file = forms.FileField(required=False)

    def payload(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if v not in ("", None, False)}
        return data


class MessageForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Message to the other library"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


RATING_CHOICES = [
    (1, _("1 · Very poor")),
    (2, _("2 · Poor")),
    (3, _("3 · Fair")),
    (4, _("4 · Good")),
    (5, _("5 · Very good")),
]


class RatingForm(BootstrapFormMixin, forms.Form):
    """A patron's rating of a request that ended (ill.ratings checks it again)."""

    score = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": err.RATING_SCORE, "invalid_choice": err.RATING_SCORE},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=RATING_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("The comment is %(show_value)d characters long; keep it to %(limit_value)d.")
        },
    )


# Longest period a report covers: a few years of requests stay a quick grouped scan.
REPORT_MAX_DAYS = 3 * 366


class ReportPeriodForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    library = LibraryChoiceField(
        label=_("Months and reasons of"),
        queryset=Library.objects.order_by("code"),
        required=False,
        empty_label=_("the whole consortium"),
        to_field_name="code",
    )

    def __init__(self, *args, staff_of: Library | None = None, **kwargs):
        """``staff_of``: a member's staff, who see their own library only (the field fixed)."""
        super().__init__(*args, **kwargs)
        if staff_of is not None:
            field = self.fields["library"]
            field.queryset = Library.objects.filter(pk=staff_of.pk)
            field.empty_label = None
            field.disabled = True  # the address's ?library= is ignored: always their own
            self.initial["library"] = staff_of

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("“From” must not be after “To”."))
            if (end - start).days > REPORT_MAX_DAYS:
                raise forms.ValidationError(
                    _("A report covers at most %(days)d days; choose a shorter period.")
                    % {"days": REPORT_MAX_DAYS}
                )
        return data
