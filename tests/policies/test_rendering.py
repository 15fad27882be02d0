"""Policy text is rendered from Markdown and sanitized: no script survives, whatever the payload."""

from __future__ import annotations

import re

import pytest

from policies import exceptions as err
from policies.models import MAX_BODY_CHARS
from policies.rendering import render_diff, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onmouseover="alert(1)">hover</p>',
    "<object data=javascript:alert(1)></object>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<a href='vbscript:msgbox(1)'>vb</a>",
    '[a](https://example.pk "title" onclick=alert(1))',
    "<details open ontoggle=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload):
    html = render_markdown(f"Policy text.\n\n{payload}\n\nMore text.").lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "vbscript:" not in html
    assert "data:" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no event handler attribute in any tag
    assert "<iframe" not in html and "<object" not in html and "<svg" not in html
    assert "style=" not in html
    assert "policy text." in html and "more text." in html


def test_right_to_left_override_cannot_disguise_a_link_or_file_name():
    # U+202E reverses what follows: "gpj.exe" would display as "exe.jpg".
    html = render_markdown("Download [the form\u202egpj.exe](https://example.pk/form\u202egpj.exe)")
    assert "\u202e" not in html
    assert "gpj.exe" in html


def test_urdu_text_and_its_direction_marks_are_kept():
    text = "بین الکتب خانہ جاتی عاریت\u200f کی پالیسی"
    assert text in render_markdown(text)


def test_ordinary_policy_markdown_renders():
    html = render_markdown(
        "# Loans\n\n1. Ask\n2. Ship\n\n**Due** in *21* days. See [rules](https://ishtiraak.pk/rules).\n\n"
        "| Service | Days |\n|---|---|\n| Loan | 21 |\n"
    )
    assert "<h1>Loans</h1>" in html
    assert "<ol>" in html and "<strong>Due</strong>" in html and "<table>" in html
    assert 'href="https://ishtiraak.pk/rules"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_megabyte_markdown_is_refused_with_a_clear_message():
    huge = "# Policy\n\n" + ("lorem ipsum dolor sit amet " * 40_000)  # about 1 MB
    with pytest.raises(err.PoliciesError) as excinfo:
        render_markdown(huge)
    assert "limit is 200 KB" in str(excinfo.value.message)
    assert excinfo.value.details["field"] == "body_markdown"


def test_text_just_under_the_limit_renders():
    assert render_markdown("a" * MAX_BODY_CHARS)


def test_diff_shows_changes_and_escapes_markup():
    html = render_diff(
        old_text="Loan period: 14 days\nSame line",
        new_text="Loan period: 21 days\nSame line\n<script>alert(1)</script>",
        old_label="Version 1",
        new_label="Version 2",
    )
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'class="diff_add"' in html or 'class="diff_chg"' in html
    assert "Version 1" in html and "Version 2" in html
    assert "href" not in html and " id=" not in html
