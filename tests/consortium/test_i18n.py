"""The shell in Urdu: right-to-left, translated, and a complete catalogue."""

from __future__ import annotations

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


def test_placeholders_survive_translation():
    import re

    for entry in polib.pofile(str(PO)).translated_entries():
        wanted = sorted(re.findall(r"%\(\w+\)s", entry.msgid))
        got = sorted(re.findall(r"%\(\w+\)s", entry.msgstr or entry.msgstr_plural.get(1, "")))
        assert got == wanted, entry.msgid
