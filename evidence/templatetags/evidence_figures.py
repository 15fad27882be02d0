"""A published figure (evidence.suppression.Figure) as the reader sees it: the number, or
why it is not there."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def shown_as(figure, kind: str = "count") -> str:
    """kind: "count" (held back: "fewer than 5"), "percent", "days" or "mean" (held back:
    too few requests or ratings behind it); "—" when there is nothing to measure."""
    if figure.hidden:
        text = _("fewer than 5") if kind == "count" else _("too few to show")
        return format_html('<span class="text-body-secondary suppressed" data-suppressed>{}</span>', text)
    if figure.value is None:
        return "—"
    if kind == "percent":
        return f"{figure.value}%"
    if kind == "count":
        return intcomma(figure.value)
    return str(figure.value)
