"""Forms check shape; services enforce rules."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from consortium.context_processors import consortium_name
from consortium.forms import BootstrapFormMixin
from members.models import Library, Role, User


class LibraryChoiceField(forms.ModelChoiceField):
    """A library chosen by its name in the reader's language, with its code."""

    def label_from_instance(self, obj: Library) -> str:
        return f"{obj.local_name} ({obj.code})"


class LibraryForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Library
        fields = [
            "code",
            "name",
            "name_ur",
            "kind",
            "city",
            "city_ur",
            "province",
            "address",
            "email",
            "language",
            "phone",
            "website",
            "joined_on",
        ]
        widgets = {
            "name_ur": forms.TextInput(attrs={"dir": "rtl", "lang": "ur"}),
            "city_ur": forms.TextInput(attrs={"dir": "rtl", "lang": "ur"}),
            "joined_on": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 2}),
        }


class PauseForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    until = forms.DateField(
        label=_("Paused until (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class Iso18626EndpointForm(BootstrapFormMixin, forms.Form):
    iso18626_url = forms.URLField(
        label=_("ISO 18626 endpoint of your ILL system"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("Blank: your staff work in the portal's queues only."),
    )


class Iso18626CredentialForm(BootstrapFormMixin, forms.Form):
    """The credential your ILL system wants on the portal's calls; never shown again."""

    header = forms.CharField(
        label=_("Header"),
        max_length=64,
        required=False,
        initial="Authorization",
        help_text=_("Authorization unless your system wants another, such as X-Api-Key."),
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=2000,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("For example: Bearer 3f9a…. Stored sealed, never shown again. Empty: remove it."),
    )


class InviteForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.LIBRARIAN, Role.LIBRARIAN.label), (Role.LIBRARY_ADMIN, Role.LIBRARY_ADMIN.label)],
    )


class AccountForm(BootstrapFormMixin, forms.Form):
    """Fields shared by self-registration and accepting an invitation."""

    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=_("Letters, digits and @/./+/-/_ only."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                password_validation.validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PatronRegistrationForm(AccountForm):
    email = forms.EmailField(label=_("Email address"))
    library = LibraryChoiceField(label=_("Home library"), queryset=Library.objects.active())
    card_number = forms.CharField(label=_("Library card number"), max_length=40)
    language = forms.ChoiceField(label=_("Preferred language"), choices=[("en", "English"), ("ur", "اردو")])

    field_order = [
        "library",
        "card_number",
        "first_name",
        "last_name",
        "email",
        "username",
        "password1",
        "password2",
        "language",
    ]


class AccountLanguageForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["language"]
        labels = {"language": _("Language of the emails the portal sends you")}


class PatronDecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    reason = forms.CharField(required=False, max_length=300)


class TokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("What will use this token?"), max_length=100)


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("Username or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class ResetForm(BootstrapFormMixin, PasswordResetForm):
    def save(self, *, extra_email_context: dict | None = None, **kwargs) -> None:
        """Send the reset link built from PORTAL_BASE_URL, never from the request's Host header.

        Django builds it from the request (host and port as the client sent them), so a
        forged Host header would mail the account's reset token to the forger's site."""
        base = urlsplit(settings.PORTAL_BASE_URL)
        kwargs.update(domain_override=base.netloc, use_https=base.scheme == "https")
        super().save(
            extra_email_context={
                "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
                **(extra_email_context or {}),
            },
            **kwargs,
        )

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs) -> None:
        """The email in the account's language, not the language of the page that asked."""
        with translation.override(context["user"].language or settings.LANGUAGE_CODE):
            context = {**context, "site_name": consortium_name()}
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class NewPasswordForm(BootstrapFormMixin, SetPasswordForm):
    pass


class ChangePasswordForm(BootstrapFormMixin, PasswordChangeForm):
    pass
