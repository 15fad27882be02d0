"""Library names in the reader's language, on every page and in emails: one filter."""

from django import template

from members.models import library_name_in

register = template.Library()


@register.filter
def library_name(library) -> str:
    """A library (model, search hit row or dict with name and name_ur) named in the active
    language: its Urdu name for an Urdu reader when it has one (members.models.library_name_in)."""
    if library is None or library == "":
        return ""
    if isinstance(library, dict):
        return library_name_in(library.get("name", ""), library.get("name_ur") or "")
    return library_name_in(getattr(library, "name", ""), getattr(library, "name_ur", "") or "")
