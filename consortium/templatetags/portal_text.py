"""Template side of consortium.text: containing bidirectional controls where <bdi> cannot."""

from django import template

from consortium.text import contain_bidi as _contain_bidi

register = template.Library()


@register.filter(is_safe=True)
def contain_bidi(value):
    """For text outside the page body (the <title>): removing characters adds no markup."""
    return _contain_bidi("" if value is None else str(value))
