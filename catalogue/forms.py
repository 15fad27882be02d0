"""Forms check shape; services enforce rules."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from catalogue.exceptions import MSG_MAPPING_NOT_OBJECT
from consortium.forms import BootstrapFormMixin
from members.forms import LibraryChoiceField
from members.models import Library


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    library = LibraryChoiceField(
        label=_("Library"), queryset=Library.objects.order_by("code"), to_field_name="code", required=False
    )
    file = forms.FileField(label=_("File"), help_text=_("MARC21 (.mrc), MARCXML (.xml) or CSV (.csv)."))
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("Detect from the file")), ("marc", "MARC21"), ("marcxml", "MARCXML"), ("csv", "CSV")],
    )
    replace = forms.BooleanField(
        label=_("Replace: withdraw our records that are not in this file"), required=False
    )
    mapping = forms.CharField(
        label=_("CSV column mapping (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('JSON, e.g. {"local_id": "Acc No", "title": "Book Name", "author": "Writer"}'),
    )

    def __init__(self, *args, choose_library: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not choose_library:
            del self.fields["library"]
        else:
            self.fields["library"].required = True

    def clean_mapping(self) -> dict:
        text = self.cleaned_data.get("mapping", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("The mapping is not valid JSON: %(error)s") % {"error": exc}
            ) from exc
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError(MSG_MAPPING_NOT_OBJECT)
        return value


class MergeForm(BootstrapFormMixin, forms.Form):
    other = forms.IntegerField(label=_("Number of the record to merge into this one"), min_value=1)
