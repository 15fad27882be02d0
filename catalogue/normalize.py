"""Text and identifier normalization, identical at index time and at query time.

Urdu in library records: Library of Congress and OCLC records write Urdu with Arabic code
points (ي U+064A, ك U+0643, ه U+0647) where Urdu keyboards type Urdu ones (ی U+06CC,
ک U+06A9, ہ U+06C1, ھ U+06BE). Everything is folded to one form after NFC, so either
spelling finds the other. Latin diacritics are dropped (Ṣaḥīḥ = sahih) and the
romanization marks ʻ ʼ disappear.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-script letters folded to one form (after diacritics are removed).
_ARABIC_FOLD = {
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI/URDU YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> URDU YEH
    "\u06d2": "\u06cc",  # YEH BARREE (word-final in Urdu) -> YEH: LC romanizes both as y/e
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH (Urdu kaf)
    "\u0647": "\u06c1",  # ARABIC HEH -> HEH GOAL
    "\u06be": "\u06c1",  # HEH DOACHASHMEE -> HEH GOAL (Arabic records write both as ه)
    "\u06d5": "\u06c1",  # AE -> HEH GOAL
    "\u0629": "\u06c1",  # TEH MARBUTA -> HEH GOAL
    "\u0623": "\u0627",  # ALEF WITH HAMZA ABOVE -> ALEF
    "\u0625": "\u0627",  # ALEF WITH HAMZA BELOW -> ALEF
    "\u0622": "\u0627",  # ALEF WITH MADDA -> ALEF
    "\u0671": "\u0627",  # ALEF WASLA -> ALEF
    "\u0624": "\u0648",  # WAW WITH HAMZA -> WAW
    "\u0626": "\u06cc",  # YEH WITH HAMZA -> YEH
    "\u06c2": "\u06c1",  # HEH GOAL WITH HAMZA -> HEH GOAL
    "\u06d3": "\u06cc",  # YEH BARREE WITH HAMZA -> YEH
    "\u0640": "",  # TATWEEL (kashida): decoration only
    "\u200c": "",  # ZERO WIDTH NON-JOINER
    "\u200d": "",  # ZERO WIDTH JOINER
    "\u200f": "",  # RIGHT-TO-LEFT MARK
    "\u200e": "",  # LEFT-TO-RIGHT MARK
    "\u061c": "",  # ARABIC LETTER MARK
}
# Arabic-Indic (U+0660..) and Extended Arabic-Indic (Urdu/Persian, U+06F0..) digits.
_ARABIC_FOLD.update({chr(0x0660 + i): str(i) for i in range(10)})
_ARABIC_FOLD.update({chr(0x06F0 + i): str(i) for i in range(10)})
# Latin letters that do not decompose, and romanization marks.
_LATIN_FOLD = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
    "ʻ": "",
    "ʼ": "",
    "ʹ": "",
    "ʺ": "",
    "'": "",
    "’": "",
    "‘": "",
    "ʿ": "",
    "ʾ": "",
}
_FOLD_TABLE = str.maketrans({**_ARABIC_FOLD, **_LATIN_FOLD})
# Anything that is not a letter or digit separates words.
_NON_WORD = re.compile(r"[^\w]+|_+", re.UNICODE)
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


def fold(text: str) -> str:
    """Fold case, diacritics and script variants; punctuation becomes single spaces."""
    if not text:
        return ""
    # ASCII (most catalogue text) the same, much faster: it is in every normal form
    # already, has no combining marks, and casefold() is lower() on it.
    text = text.lower().translate(_FOLD_TABLE) if text.isascii() else _fold_unicode(text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _fold_unicode(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # Decompose, drop combining marks (Latin accents, Arabic harakat, hamza/madda marks).
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


# Elision (French, Italian, Catalan: d'Espagne, l'année, dell'arte) and the prefixed
# particles of romanized Arabic and Urdu (al-Afkār, wa-al-Abḥāth, Tafhīm-ul-Qurʼān): the
# index keeps a word both ways, so "Espagne", "d'Espagne" and "dEspagne" all find
# d'Espagne, and "afkar", "al-afkar" and "alafkar" all find al-Afkār. fold() joins an
# elided word (it drops the apostrophe) and splits a hyphenated one; the other form is
# added by elision_variants.
_ELIDED = re.compile(
    r"(?<![^\W\d_])(?:[a-z]{1,2}|dell|nell|sull|dall|all|quell|qu)['’](?=[^\W\d_])", re.IGNORECASE
)
_PARTICLE = r"(?:al|el|ul|il|bi|li|wa|fa|bil|lil|wal)-"
_PARTICLES = re.compile(rf"(?<![^\W\d_])((?:{_PARTICLE})+)([^\W\d_][\w'’ʻʼ]*)", re.IGNORECASE)
_VARIANT_CANDIDATE = re.compile(rf"['’]|\b{_PARTICLE}", re.IGNORECASE)


def elision_variants(text: str) -> list[str]:
    """The other form of each elided or particle-prefixed word (folded), to add to the
    index beside fold(text): the word without its elided article, and a particle chain
    joined to its word (with and without the first particles)."""
    if not text or ("'" not in text and "’" not in text and "-" not in text):
        return []
    if not _VARIANT_CANDIDATE.search(text):
        return []  # most texts: one scan (a hyphen alone, as in 1947-1971, is no candidate)
    found: list[str] = []
    for match in _ELIDED.finditer(text):
        rest = fold(text[match.end() :].split(maxsplit=1)[0])
        found.append(rest.split()[0] if rest else "")
    for match in _PARTICLES.finditer(text):
        particles = [p for p in match.group(1).split("-") if p]
        word = fold(match.group(2)).replace(" ", "")
        for i in range(len(particles)):
            found.append("".join(particles[i:]).lower() + word)
    return [v for v in dict.fromkeys(found) if len(v) > 1]


def tokens(text: str) -> list[str]:
    """Folded words of a text."""
    return fold(text).split()


def has_arabic_script(text: str) -> bool:
    return bool(_ARABIC_SCRIPT.search(text or ""))


# --- identifiers ---------------------------------------------------------------

_ISBN_CHARS = re.compile(r"[0-9Xx]")


def _isbn13_check(digits12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def normalize_isbn(raw: str) -> str | None:
    """ISBN-10 or -13 in any punctuation -> ISBN-13 digits, or None if the check digit fails.

    Only the leading run of ISBN characters counts, so '0-19-852663-6 (pbk.)' works.
    """
    if not raw:
        return None
    match = re.match(r"\s*([0-9Xx][0-9Xx\- ]{8,20})", raw)
    if not match:
        return None
    chars = "".join(_ISBN_CHARS.findall(match.group(1))).upper()
    if len(chars) == 10:
        if "X" in chars[:9]:
            return None
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(chars))
        if total % 11:
            return None
        core = "978" + chars[:9]
        return core + _isbn13_check(core)
    if len(chars) == 13 and chars.isdigit() and chars[:3] in ("978", "979"):
        return chars if _isbn13_check(chars[:12]) == chars[12] else None
    return None


def normalize_issn(raw: str) -> str | None:
    """ISSN as NNNN-NNNC with a valid check character, else None."""
    chars = "".join(re.findall(r"[0-9Xx]", raw or "")).upper()
    if len(chars) != 8 or "X" in chars[:7]:
        return None
    total = sum((8 - i) * int(c) for i, c in enumerate(chars[:7]))
    check = (11 - total % 11) % 11
    if ("X" if check == 10 else str(check)) != chars[7]:
        return None
    return f"{chars[:4]}-{chars[4:]}"


def normalize_lccn(raw: str) -> str | None:
    """LCCN normalized as the Library of Congress specifies (no spaces, hyphen expanded)."""
    value = "".join((raw or "").split()).split("/")[0]
    if not value:
        return None
    if "-" in value:
        prefix, _, suffix = value.partition("-")
        if suffix.isdigit():
            value = prefix + suffix.zfill(6)
    return value.lower() or None


def normalize_oclc(raw: str) -> str | None:
    """OCLC number from 035 '(OCoLC)ocm12345' style values: digits without leading zeros."""
    if not raw:
        return None
    text = raw.strip()
    if text.startswith("(") and not text.upper().startswith("(OCOLC)"):
        return None  # another agency's system number
    digits = re.sub(r"^\(OCoLC\)|^(ocm|ocn|on)", "", text, flags=re.IGNORECASE)
    digits = re.sub(r"^(ocm|ocn|on)", "", digits, flags=re.IGNORECASE).strip()
    if not digits.isdigit():
        return None
    return digits.lstrip("0") or None
