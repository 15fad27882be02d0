from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.normalize import fold, normalize_isbn, normalize_issn, normalize_lccn, normalize_oclc


@pytest.mark.parametrize(
    ("arabic_form", "urdu_form"),
    [
        ("كتاب", "کتاب"),  # Arabic kaf vs keheh
        ("پاكستاني", "پاکستانی"),  # kaf and yeh
        ("اردو ادب كي تاريخ", "اردو ادب کی تاریخ"),
        ("مجلّه", "مجلہ"),  # shadda and Arabic heh vs heh goal
        ("بهارت", "بھارت"),  # do-chashmi heh written as Arabic heh
        ("كتـــاب", "کتاب"),  # tatweel
    ],
)
def test_arabic_and_urdu_spellings_fold_together(arabic_form, urdu_form):
    assert fold(arabic_form) == fold(urdu_form)


def test_arabic_indic_digits_and_latin_diacritics():
    assert fold("۱۹۴۷ ١٩٤٧") == "1947 1947"
    assert fold("Ṣaḥīḥ al-Bukhārī") == "sahih al bukhari"
    assert fold("Taʻlīm") == "talim"
    assert fold("  Pakistan:  a HISTORY/ ") == "pakistan a history"


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text() | st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_shortcut_folds_exactly_as_the_unicode_path(text):
    from catalogue.normalize import _NON_WORD, _fold_unicode

    assert fold(text) == " ".join(_NON_WORD.sub(" ", _fold_unicode(text)).split())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0-19-852663-6", "9780198526636"),
        ("019852663X (pbk.)", None),  # wrong check digit
        ("978-0-19-852663-6", "9780198526636"),
        ("9780198526637", None),
        ("0-8044-2957-X", "9780804429573"),
        ("", None),
        ("abc", None),
    ],
)
def test_isbn(raw, expected):
    assert normalize_isbn(raw) == expected


def test_issn_lccn_oclc():
    assert normalize_issn("0378-5955") == "0378-5955"
    assert normalize_issn("0378-5954") is None
    assert normalize_lccn("n78-890351") == "n78890351"
    assert normalize_lccn("85-2 ") == "85000002"
    assert normalize_oclc("(OCoLC)ocm00012345") == "12345"
    assert normalize_oclc("(DLC)12345") is None


def test_elision_variants_give_the_other_form_of_elided_and_prefixed_words():
    from catalogue.normalize import elision_variants

    assert elision_variants("Histoire d'Espagne") == ["espagne"]
    assert elision_variants("Storia dell’arte") == ["arte"]
    assert elision_variants("Mukhtaṣar al-Futūḥāt wa-al-Abḥāth") == ["alfutuhat", "waalabhath", "alabhath"]
    # an apostrophe inside a word is no elision, and other hyphens are no particles
    assert elision_variants("Aujourd'hui, self-help and Bang-e-Dra") == []
