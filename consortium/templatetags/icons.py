"""{% icon "printer" %}: one icon from the portal's SVG sprite (static/img/icons.svg).

The sprite holds only the icons templates name, built by `make icons`
(frontend/build_icons.py) from the npm bootstrap-icons package; the whole icon font was
87 KB on every page. Icons are decoration next to a text label, hence aria-hidden.
"""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

SPRITE = "img/icons.svg"


@register.simple_tag
def icon(name: str):
    return format_html(
        '<svg class="icon" aria-hidden="true"><use href="{}#{}"></use></svg>', static(SPRITE), name
    )
