"""Template helpers for catalogue text in either script."""

import hashlib

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from catalogue.normalize import has_arabic_script
from consortium.text import contain_bidi
from members.templatetags.library_names import library_name

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


# The results page's two loops, written here rather than in the template: a page holds up
# to 180 facet values and 20 hits, and the template's loops over them were about half of a
# results page's rendering (docs/search.md, "Where an API search's time goes").
FACET_VALUES_SHOWN = 30


@register.simple_tag
def facet_checkboxes(name, values):
    """The first FACET_VALUES_SHOWN values of a facet as checkboxes, each with its count."""
    html = []
    for facet in values[:FACET_VALUES_SHOWN]:
        input_id = facet_input_id(name, facet.value)
        html.append(
            format_html(
                '<div class="form-check"><input class="form-check-input facet-input" type="checkbox"'
                ' data-submit-on-change name="{}" value="{}" id="{}"{}>'
                '<label class="form-check-label" for="{}">{} <span class="badge text-bg-light">{}</span></label></div>',
                name,
                facet.value,
                input_id,
                mark_safe(" checked") if facet.selected else "",
                input_id,
                bidi(facet.label),
                int(facet.count),
            )
        )
    return mark_safe("".join(html))  # each part built by format_html


@register.simple_tag
def hit_item(hit, record_url):
    """One hit of a results page: title, authors, year, format, edition and holding libraries.
    ``record_url`` is the record page's URL with 0 for the record's id (one reverse a page)."""
    title = f"{hit.title}: {hit.subtitle}" if hit.subtitle else hit.title
    url = record_url.replace("/0/", f"/{int(hit.id)}/")
    vernacular = format_html("<div>{}</div>", bidi(hit.title_vernacular)) if hit.title_vernacular else ""
    details = []
    if hit.authors:
        details.append(format_html("{} · ", mark_safe("; ".join(bidi(author) for author in hit.authors[:3]))))
    if hit.year:
        details.append(format_html("{} · ", hit.year))
    details.append(conditional_escape(hit.format_label))
    if hit.edition:
        details.append(format_html(" · {}", bidi(hit.edition)))
    n = len(hit.libraries)
    held = ngettext("Held by %(n)s library", "Held by %(n)s libraries", n) % {"n": n}
    if hit.libraries:
        names = ", ".join(
            format_html("{} ({})", bidi(library_name(lib)), lib.local_city) for lib in hit.libraries[:4]
        )
        held = format_html("{}: {}{}", held, mark_safe(names), ", …" if n > 4 else "")
    return format_html(
        '<li class="border-bottom py-2" data-testid="hit"><h2 class="h6 mb-0"><a class="hit-link" href="{}">{}</a></h2>'
        '{}<div class="small text-muted">{}</div><div class="small">{}</div></li>',
        url,
        bidi(title),
        vernacular,
        mark_safe("".join(details)),
        held,
    )
