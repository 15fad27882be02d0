"""The shell in Urdu: right-to-left, translated, and a complete catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
PO = Path(__file__).resolve().parents[2] / "locale" / "ur" / "LC_MESSAGES" / "django.po"


def _urdu_client() -> Client:
    client = Client()
    client.post("/i18n/setlang/", {"language": "ur", "next": "/"})
    return client


def test_urdu_home_page_is_rtl_with_translated_navigation(db):
    html = _urdu_client().get("/").content.decode()
    assert '<html lang="ur" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    for urdu in ("لائبریریاں", "لاگ ان", "رجسٹر کریں", "مواد پر جائیں"):
        assert urdu in html
    for english in (">Libraries<", ">Log in<", ">Register<", "Skip to content"):
        assert english not in html


def test_urdu_login_page_labels_are_translated(db):
    html = _urdu_client().get("/accounts/login/").content.decode()
    assert "صارف نام یا ای میل" in html and "پاس ورڈ" in html


def test_every_string_of_the_catalogue_is_translated_and_compiled():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    mo = PO.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= PO.stat().st_mtime - 5
    assert len(polib.mofile(str(mo))) == len(po.translated_entries())


# What a translation must carry over unchanged: printf-style fields (%(name)s, %(count)d;
# blocktranslate's {{ var }} is %(var)s in the catalogue and a literal % is %%), str.format
# fields ({action}, {field}: the ill app's errors) and HTML tags.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\w+\}|</?\w+[^>]*>")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize(
    ("msgid", "msgstr", "same"),
    [
        ("“{action}” needs {field}.", "“{action}” کے لیے {field} درکار ہے۔", True),
        ("“{action}” needs {field}.", "“{action}” کے لیے {فیلڈ} درکار ہے۔", False),
        ("“{action}” needs {field}.", "“{action}” کے لیے درکار ہے۔", False),
        ("Link works until %(d)s.", "یہ لنک %(d)s تک کام کرے گا۔", True),
        ("Link works until %(d)s.", "یہ لنک {{ d }} تک کام کرے گا۔", False),
        ("%(d)s days", "%(days)s دن", False),
        ("At most %(days)d days.", "زیادہ سے زیادہ %(days)s دن۔", False),
        ("Use 'Token <key>'.", "'Token <key>' استعمال کریں۔", True),
        ('JSON, e.g. {"title": "Book Name"}', 'JSON، مثلاً {"title": "Book Name"}', True),
    ],
)
def test_placeholder_check_tells_a_broken_translation(msgid, msgstr, same):
    assert (_placeholders(msgstr) == _placeholders(msgid)) is same


def test_placeholders_survive_translation():
    seen = {"format": 0, "blocktranslate": 0}
    for entry in polib.pofile(str(PO)).translated_entries():
        wanted = _placeholders(entry.msgid_plural or entry.msgid)
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for msgstr in forms:
            assert _placeholders(msgstr) == wanted, entry.msgid
            assert "{{" not in msgstr and "{%" not in msgstr, entry.msgid
        seen["format"] += any(p.startswith("{") for p in wanted)
        from_templates = any(path.startswith("templates/") for path, _line in entry.occurrences)
        seen["blocktranslate"] += from_templates and any(p.startswith("%(") for p in wanted)
    # the check did meet both kinds (the ill app's errors, the report's blocktranslate text)
    assert seen["format"] >= 10 and seen["blocktranslate"] >= 50, seen
