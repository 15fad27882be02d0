"""Template helpers for catalogue text in either script."""

import hashlib
from html import escape  # Django's escape() less its lazy-string wrapper: the same text

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from catalogue.normalize import has_arabic_script
from consortium.text import contain_bidi
from members.templatetags.library_names import library_name

register = template.Library()


def _bidi(text, tag: str = "bdi", attributes: str = "") -> str:
    """bidi() as a plain string (text escaped here): the results page's tags call it a few
    hundred times a page, where format_html's lazy-string checks cost more than the rest."""
    text = contain_bidi("" if text is None else str(text))
    body = text if hasattr(text, "__html__") else escape(text)  # as conditional_escape
    if has_arabic_script(text):
        return f'<{tag} dir="auto" lang="ur" class="urdu"{attributes}>{body}</{tag}>'
    return f'<{tag} dir="auto"{attributes}>{body}</{tag}>'


@register.simple_tag
def bidi(text, tag="bdi", testid=""):
    """Text isolated from its surroundings' direction; Urdu script gets lang, dir and font.

    <bdi dir="auto"> keeps a mixed-script title from reordering the page around it, and
    contain_bidi (the same as in <title>, emails and files) removes override controls that
    would reorder the title itself; lang="ur" selects the Nastaliq font, which the browser
    downloads only for Arabic-script characters (unicode-range in portal.css).
    """
    attributes = f' data-testid="{escape(testid)}"' if testid else ""
    return mark_safe(_bidi(text, escape(tag), attributes))  # escaped in _bidi


@register.simple_tag
def facet_input_id(name, value):
    """An id for a facet value's checkbox that follows the value, not its place in the list:
    htmx gives the focus back to the element of the same id after a swap, and a facet's values
    change places as their counts change (a keyboard user's next Space must tick the same one)."""
    digest = hashlib.blake2s(str(value).encode(), digest_size=6).hexdigest()
    return f"f-{name}-{digest}"


# The results page's two loops, written here rather than in the template: a page holds up
# to 180 facet values and 20 hits, and the template's loops over them were about half of a
# results page's rendering (docs/search.md, "Where an API search's time goes").
FACET_VALUES_SHOWN = 30


@register.simple_tag
def facet_checkboxes(name, values):
    """The first FACET_VALUES_SHOWN values of a facet as checkboxes, each with its count."""
    html = []
    for facet in values[:FACET_VALUES_SHOWN]:
        input_id = escape(facet_input_id(name, facet.value))
        html.append(
            '<div class="form-check"><input class="form-check-input facet-input" type="checkbox"'
            f' data-submit-on-change name="{escape(name)}" value="{escape(facet.value)}" id="{input_id}"'
            f'{" checked" if facet.selected else ""}><label class="form-check-label" for="{input_id}">'
            f'{_bidi(facet.label)} <span class="badge text-bg-light">{int(facet.count)}</span></label></div>'
        )
    return mark_safe("".join(html))  # every text escaped


@register.simple_tag
def hit_item(hit, record_url):
    """One hit of a results page: title, authors, year, format, edition and holding libraries.
    ``record_url`` is the record page's URL for the id 0, ending "0/" (one reverse a page)."""
    title = f"{hit.title}: {hit.subtitle}" if hit.subtitle else hit.title
    url = escape(f"{record_url.removesuffix('0/')}{int(hit.id)}/")
    vernacular = f"<div>{_bidi(hit.title_vernacular)}</div>" if hit.title_vernacular else ""
    details = ""
    if hit.authors:
        details += "; ".join(_bidi(author) for author in hit.authors[:3]) + " · "
    if hit.year:
        details += f"{int(hit.year)} · "
    details += escape(str(hit.format_label))
    if hit.edition:
        details += f" · {_bidi(hit.edition)}"
    n = len(hit.libraries)
    held = escape(ngettext("Held by %(n)s library", "Held by %(n)s libraries", n) % {"n": n})
    if hit.libraries:
        names = ", ".join(
            f"{_bidi(library_name(lib))} ({escape(lib.local_city)})" for lib in hit.libraries[:4]
        )
        held += f": {names}{', …' if n > 4 else ''}"
    return mark_safe(  # every text escaped
        f'<li class="border-bottom py-2" data-testid="hit"><h2 class="h6 mb-0"><a class="hit-link" href="{url}">'
        f'{_bidi(title)}</a></h2>{vernacular}<div class="small text-muted">{details}</div>'
        f'<div class="small">{held}</div></li>'
    )
