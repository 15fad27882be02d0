"""Template helpers for catalogue text in either script."""

import hashlib

from django import template
from django.utils.html import format_html

from catalogue.normalize import has_arabic_script
from consortium.text import contain_bidi

register = template.Library()


@register.simple_tag
def bidi(text, tag="bdi", testid=""):
    """Text isolated from its surroundings' direction; Urdu script gets lang, dir and font.

    <bdi dir="auto"> keeps a mixed-script title from reordering the page around it, and
    contain_bidi (the same as in <title>, emails and files) removes override controls that
    would reorder the title itself; lang="ur" selects the Nastaliq font, which the browser
    downloads only for Arabic-script characters (unicode-range in portal.css).
    """
    text = contain_bidi("" if text is None else str(text))
    attributes = format_html(' data-testid="{}"', testid) if testid else ""
    if has_arabic_script(text):
        return format_html('<{} dir="auto" lang="ur" class="urdu"{}>{}</{}>', tag, attributes, text, tag)
    return format_html('<{} dir="auto"{}>{}</{}>', tag, attributes, text, tag)


@register.simple_tag
def facet_input_id(name, value):
    """An id for a facet value's checkbox that follows the value, not its place in the list:
    htmx gives the focus back to the element of the same id after a swap, and a facet's values
    change places as their counts change (a keyboard user's next Space must tick the same one)."""
    digest = hashlib.blake2s(str(value).encode(), digest_size=6).hexdigest()
    return f"f-{name}-{digest}"
