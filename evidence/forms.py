from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from consortium.forms import BootstrapFormMixin
from evidence.purchase_check import MAX_LINES
from members.models import Library, library_name_in

MAX_FILE_BYTES = 1_000_000
NOT_UTF8 = _("%(name)s is not UTF-8 text (line %(line)s cannot be read); save it as UTF-8 and try again.")
TOO_BIG = _("%(name)s is over %(limit)s bytes; a list has at most %(lines)s lines.")
NOTHING = _("Paste a list or choose a file.")


class PurchaseListForm(BootstrapFormMixin, forms.Form):
    lines = forms.CharField(
        label=_("ISBNs, ISSNs or titles, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "dir": "auto", "spellcheck": "false"}),
        # (lazy, so that each reader gets it in their language)
        help_text=format_lazy(
            _("At most {lines} lines. A title may be followed by “ / ” and its author."), lines=MAX_LINES
        ),
    )
    file = forms.FileField(
        label=_("Or a file (text or CSV, the first column)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,text/plain,text/csv"}),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    TOO_BIG % {"name": upload.name, "limit": MAX_FILE_BYTES, "lines": MAX_LINES}
                )
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                raise forms.ValidationError(NOT_UTF8 % {"name": upload.name, "line": line}) from exc
            # (a CSV's first column; a title with a comma keeps it when the line has no other)
            data["text"] = "\n".join(
                row.split(",")[0] if row.count(",") else row for row in text.splitlines()
            )
        else:
            data["text"] = data.get("lines") or ""
        if not data["text"].strip():
            raise forms.ValidationError(NOTHING)
        return data


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Library) -> str:
        return f"{obj.code} · {library_name_in(obj.name, obj.name_ur)}"


class OverlapMemberForm(BootstrapFormMixin, forms.Form):
    """The member whose collection overlap a consortium admin looks at (blank: the consortium)."""

    library = MemberChoiceField(
        label=_("Member"),
        queryset=Library.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("All members"),
        error_messages={
            "invalid_choice": _("No active member has the code “%(value)s”: choose a member from the list.")
        },
    )
