"""Filters the API's query parameters share (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOT_A_BOOLEAN = _("“%(value)s” is not true or false.")


class StrictBooleanField(forms.NullBooleanField):
    """true/false (also 1/0); empty is no filter; anything else is refused, not read as empty."""

    widget = forms.TextInput  # NullBooleanSelect turns an unknown value into "no filter" unseen

    def to_python(self, value: object) -> bool | None:
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise ValidationError(NOT_A_BOOLEAN, code="invalid", params={"value": value})


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
