"""Language names for MARC language codes (008/35-37), in the reader's language.

MARC codes are ISO 639-2/B ("tib", "per", "chi"); CLDR (through Babel) names languages by
their shortest ISO 639 code ("bo", "fa", "zh"), so pycountry maps one to the other. CLDR
has Urdu names for about 600 languages; for the few MARC codes it lacks in a language
(Balochi in Urdu, obsolete MARC codes) the catalogue's own names and then ISO 639's
English name stand in, and last the code itself.
"""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

# The languages offered in the advanced search form: those of Pakistan's collections.
COMMON_LANGUAGES = (
    "eng", "urd", "ara", "per", "pan", "snd", "pus", "bal", "hin", "fre", "ger", "chi", "spa", "rus", "tur",
    "san", "mul", "und", "zxx",
)  # fmt: skip

# Names CLDR lacks in Urdu among the common languages (Babel 2.18); translated in our catalogue.
MISSING_FROM_CLDR = {
    "bal": _("Balochi"),
}


@functools.cache
def _cldr_code(marc_code: str) -> str:
    """The ISO 639 code CLDR uses for a MARC (ISO 639-2/B) code; "" when ISO 639 lacks it."""
    import pycountry

    language = pycountry.languages.get(bibliographic=marc_code) or pycountry.languages.get(alpha_3=marc_code)
    if language is None:
        return ""
    return getattr(language, "alpha_2", None) or language.alpha_3


@functools.cache
def _iso639_english(marc_code: str) -> str:
    import pycountry

    language = pycountry.languages.get(bibliographic=marc_code) or pycountry.languages.get(alpha_3=marc_code)
    return language.name if language is not None else ""


@functools.cache
def _cldr_names(locale: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(locale.replace("-", "_")).languages)
    except (UnknownLocaleError, ValueError):
        return dict(Locale("en").languages)


def language_label(marc_code: str) -> str:
    """A MARC language code as the reader calls the language, in the active UI language."""
    if not marc_code:
        return gettext("Unknown")
    cldr = _cldr_code(marc_code)
    name = _cldr_names(get_language() or "en").get(cldr) if cldr else None
    if name:
        return name
    if marc_code in MISSING_FROM_CLDR:
        return str(MISSING_FROM_CLDR[marc_code])
    return _iso639_english(marc_code) or marc_code


def common_language_choices() -> list[tuple[str, str]]:
    """The advanced search form's languages, named in the reader's language."""
    return [(code, language_label(code)) for code in COMMON_LANGUAGES]
