"""Policy text: Markdown rendered to sanitized HTML, and readable diffs between versions.

Only what a policy needs survives: headings, paragraphs, lists, tables, emphasis, code,
quotes and http(s)/mailto links. nh3 (an allow-list sanitizer) removes scripts, event
handlers, styles and javascript:/data: URLs; bidirectional override characters are
removed first so a right-to-left override cannot disguise a link or a file name.
"""

from __future__ import annotations

import difflib

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from consortium.text import contain_bidi
from policies import exceptions as err
from policies.models import MAX_BODY_CHARS

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
    "em", "strong", "del", "sub", "sup", "abbr",
    "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

DIFF_TAGS = {"table", "colgroup", "thead", "tbody", "tr", "th", "td", "span", "br"}
DIFF_CLASSES = {"diff_header", "diff_next", "diff_add", "diff_chg", "diff_sub"}


def check_body_size(text: str) -> None:
    """Refuse text above the limit with a message naming both sizes."""
    if len(text) > MAX_BODY_CHARS:
        raise err.PoliciesError(
            err.BODY_TOO_LARGE % {"size": len(text.encode()) // 1024, "limit": MAX_BODY_CHARS // 1000},
            field="body_markdown",
            code=err.ErrorCode.BODY_TOO_LARGE,
        )


def render_markdown(text: str) -> SafeString:
    """Markdown to sanitized HTML, safe to put in a page."""
    check_body_size(text)
    html = markdown.markdown(contain_bidi(text), extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        clean_content_tags={"script", "style"},
    )
    return mark_safe(clean)  # sanitized by nh3 with the allow-list above


def render_diff(*, old_text: str, new_text: str, old_label: str, new_label: str) -> SafeString:
    """Side-by-side diff of two versions' Markdown, changed lines with context."""
    table = difflib.HtmlDiff(wrapcolumn=70).make_table(
        contain_bidi(old_text).splitlines(),
        contain_bidi(new_text).splitlines(),
        fromdesc=old_label,
        todesc=new_label,
        context=True,
        numlines=2,
    )
    clean = nh3.clean(
        table,
        tags=DIFF_TAGS,
        attributes={"th": {"colspan"}, "td": {"colspan"}},
        allowed_classes={"th": DIFF_CLASSES, "td": DIFF_CLASSES, "span": DIFF_CLASSES, "table": {"diff"}},
        clean_content_tags={"a", "script", "style"},
        url_schemes=set(),
    )
    return mark_safe(clean)  # difflib escapes text; nh3 keeps only table markup
