"""Cross-script keys: one phonetic key for a word whether it is written in Urdu, Arabic or
Persian script or romanized (ALA-LC with diacritics, or the informal spellings people type).

Urdu books are catalogued in romanization ("Pākistānī ʻaurat dorāhe par", "Aag ka darya"),
in Urdu script, or in both (245 and 880); a patron types either. The two spellings share
little but their consonants, since Arabic script writes long vowels only and romanization
writes every vowel, differently in each scheme. So a word is reduced to:

* its consonant skeleton, each letter mapped to a class of sounds that Urdu and the
  romanization schemes confuse or write alike (ق and q with k, خ and kh with k, ث ص س
  and sh with s, ذ ز ض ظ with z, ط and ٹ with t); h (ح ہ ھ), the semivowels w/v (و) and
  y (ی), hamza and ʻayn, and every vowel are dropped, because one script writes them and
  the other does not;
* one mark, "a", when the word starts with a vowel (Latin a e i o u, Arabic ا آ ع), the
  one vowel both scripts always write;
* the same class twice in a row counted once (shadda is not written; "Muhammad" = محمد).

A word of one consonant also gets the class of its final vowel, which both scripts write
(کا kā = "ka", کی kī = "ki", سیاہ siyāh = "sa"); a key of one letter would match a word in
almost every Urdu title, so a word whose key is still one letter (ہے hai) has none.

Where a romanization digraph stands for different letters in different schemes (th is
ث in Arabic ALA-LC and aspirated ت in Urdu; dh is ذ or aspirated د; ph is aspirated پ or
f), the word gets one key for each reading. The Arabic article is keyed
without it (الحرب = "harb"); a romanized article standing alone ("al-",
"ul-", "el-") and keys that are only the vowel mark (Persian ezafe "-i", "e") carry no
key: they would match almost everything.

Keys are a fallback with their own weight in the search document; exact-script matches
rank above them (catalogue.search).
"""

from __future__ import annotations

import functools
import re
from itertools import product

from catalogue.normalize import fold

VOWEL_MARK = "a"
# A key in the search document is "0" and the key: folded words never start with a digit
# followed by letters only, so a key is never taken for a word, nor a word for a key.
KEY_PREFIX = "0"
# Every record with keys also carries this term (never a key: keys have no vowel but the
# leading mark). A query word too short for a key ("ka", "e") matches it in such records,
# so "Aag ka darya" finds آگ کا دریا, while in other records it must match as written.
KEYED_MARK = KEY_PREFIX + "e"
KEY_TERM_PATTERN = "^0[a-z]+$"  # a key among the search document's terms (PostgreSQL regex)
# MARC language codes (008/35-37) of languages written in Arabic script in Pakistan and
# its neighbours: a romanized record in one of them gets keys (catalogue.indexing).
KEYED_LANGUAGES = frozenset(
    {"urd", "ara", "per", "pus", "snd", "pan", "bal", "kas", "lah", "ota", "uig", "kur"}
)

# Arabic-script letters (after normalize.fold, which already folds ي ك ه ة أ إ آ ؤ ئ ے
# to one form) to their sound class; "" drops the letter.
_ARABIC_CLASS = {
    "\u0627": "",  # ALEF (a long vowel, or the carrier of a word-initial one)
    "\u0628": "b",  # BEH
    "\u067e": "p",  # PEH
    "\u062a": "t",  # TEH
    "\u0679": "t",  # TTEH (retroflex, ALA-LC ṭ)
    "\u0637": "t",  # TAH (ALA-LC ṭ)
    "\u06c3": "t",  # TEH MARBUTA GOAL (Urdu: qurrat, mirʼāt)
    "\u062b": "s",  # THEH (Urdu s̲, Arabic th: see _LATIN_DIGRAPHS)
    "\u0633": "s",  # SEEN
    "\u0635": "s",  # SAD (ṣ)
    "\u0634": "s",  # SHEEN (sh)
    "\u062c": "j",  # JEEM
    "\u0686": "c",  # TCHEH (ch)
    "\u062d": "",  # HAH (ḥ): h is dropped everywhere
    "\u06c1": "",  # HEH GOAL (and every heh, ة and ھ folded to it)
    "\u062e": "k",  # KHAH (kh)
    "\u062f": "d",  # DAL
    "\u0688": "d",  # DDAL (ḍ)
    "\u0630": "z",  # THAL (Urdu z̲, Arabic dh)
    "\u0632": "z",  # ZAIN
    "\u0636": "z",  # DAD (Urdu ż, Arabic ḍ)
    "\u0638": "z",  # ZAH (ẓ)
    "\u0698": "z",  # JEH (zh)
    "\u0631": "r",  # REH
    "\u0691": "r",  # RREH (ṛ)
    "\u0639": "",  # AIN (ʻ): written in one script only
    "\u063a": "g",  # GHAIN (gh)
    "\u0641": "f",  # FEH
    "\u0642": "k",  # QAF (q)
    "\u06a9": "k",  # KEHEH (and Arabic kaf folded to it)
    "\u06af": "g",  # GAF
    "\u0644": "l",  # LAM
    "\u0645": "m",  # MEEM
    "\u0646": "n",  # NOON
    "\u06ba": "n",  # NOON GHUNNA (ALA-LC n̲)
    "\u0648": "",  # WAW (v/w, or the vowels o, u, au)
    "\u06cc": "",  # YEH (y, or the vowels i, e, ai)
    "\u0621": "",  # HAMZA
}
_ARABIC_INITIAL_VOWELS = {"\u0627", "\u0639"}  # ALEF (and آ folded to it), AIN
# A word of one consonant ends its key with the class of its final vowel, which both
# scripts write: ا and a final ہ (ة) are romanized a, ā, ah; ی and ے i, ī, e, y; و o, u.
_ARABIC_FINAL_VOWELS = {"\u0627": "a", "\u06c1": "a", "\u06cc": "i", "\u0648": "u"}
_LATIN_FINAL_VOWELS = {"a": "a", "i": "i", "e": "i", "y": "i", "o": "u", "u": "u"}

# Latin, after fold (lower case, no diacritics, no ʻ ʼ '): digraphs first, each with its
# readings (a tuple when the schemes disagree), then single letters.
_LATIN_DIGRAPHS = {
    "kh": ("k",),
    "gh": ("g",),
    "ch": ("c",),
    "sh": ("s",),
    "zh": ("z",),
    "th": ("t", "s"),  # Urdu aspirated t; Arabic ALA-LC ث
    "dh": ("d", "z"),  # Urdu aspirated d; Arabic ALA-LC ذ
    "ph": ("p", "f"),  # Urdu aspirated p; English and French f
    "bh": ("b",),
    "jh": ("j",),
    "rh": ("r",),
}
_LATIN_CLASS = {
    **{ch: ch for ch in "bdfgjklmnprstz"},
    "q": "k",
    "c": "k",  # a lone c (ch is a digraph above)
    "x": "ks",
    **dict.fromkeys("aeiouhwyv", ""),
}
_LATIN_INITIAL_VOWELS = set("aeiou")
# A romanized article or particle standing alone (after "al-", "ul-", "el-", "bi-"
# split from its word): no key of its own.
_ROMAN_ARTICLES = {"al", "ul", "el", "il", "ol"}
MIN_KEY_CHARS = 2
# More readings than this for one word (several ambiguous digraphs) are cut: each reading
# is a word of the search document.
MAX_READINGS = 4
_LATIN_WORD = re.compile(r"^[a-z]+$")
_REPEATS = re.compile(r"(.)\1+")
_ARABIC_LETTERS = re.compile(r"^[\u0621-\u064a\u0660-\u06ff]+$")


@functools.lru_cache(maxsize=100_000)
def _cached_keys(word: str) -> tuple[str, ...]:
    return tuple(key for key in _word_keys(word) if len(key) >= MIN_KEY_CHARS)


def word_keys(word: str) -> list[str]:
    """The keys of one folded word (several when its spelling reads several ways).

    Cached: an import keys the same words over and over (100,000 words, a few MB)."""
    return list(_cached_keys(word))


def _word_keys(word: str) -> list[str]:
    if _LATIN_WORD.match(word):
        return [] if word in _ROMAN_ARTICLES else _latin_keys(word)
    if _ARABIC_LETTERS.match(word):
        # The article al- is written joined and romanized apart ("al-Ḥarb"): keyed without
        # it. (Keyed with it too, الأمة read "alm" and found every ʻilm.)
        if word.startswith("\u0627\u0644") and len(word) > 3:
            rest = _arabic_keys(word[2:], final=False)
            if rest and len(rest[0]) >= MIN_KEY_CHARS:
                return _arabic_keys(word[2:])
        return _arabic_keys(word)  # (a word with only a letter after al-: اللہ, Allah)
    return []


def keys(text: str, *, folded: bool = False) -> list[str]:
    """Every key of a text's words, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in (text if folded else fold(text)).split():
        for key in word_keys(word):
            seen.setdefault(key, None)
    return list(seen)


def with_keys(folded: str, *, mark: bool = False) -> str:
    """A folded text followed by its words' keys as index terms ("0" + key), and with
    mark, the term that says the record has keys."""
    terms = [KEY_PREFIX + key for key in keys(folded, folded=True)]
    if mark:
        terms.append(KEYED_MARK)
    return " ".join([folded, *terms]) if terms else folded


def query_keys(text: str) -> list[list[str]]:
    """A query's words as alternatives of keys (a word matches if any of its keys does);
    words with no key (articles, lone vowels, other scripts, digits) are left out."""
    return [found for word in fold(text).split() if (found := word_keys(word))]


def _finish(classes: list[str], initial_vowel: bool, final_vowel: str) -> str:
    # The same class twice in a row is one (shadda is not written), also across dropped
    # letters: "Muhammad" = محمد, "Allah" = اللہ.
    key = _REPEATS.sub(r"\1", "".join(classes))
    if key and initial_vowel:
        key = VOWEL_MARK + key
    if len(key) == 1:
        key += final_vowel  # one consonant: its final vowel tells sa (سیاہ) from si (سے)
    return key


def _arabic_keys(word: str, *, final: bool = True) -> list[str]:
    classes = [_ARABIC_CLASS.get(ch, "") for ch in word]
    initial = word[0] in _ARABIC_INITIAL_VOWELS
    endings = [_ARABIC_FINAL_VOWELS.get(word[-1], "")] if final else [""]
    if final and len(word) > 2 and word[-1] == "\u06cc" and word[-2] in "\u0627\u0648":
        # Persian ezafe: گوى, برای are gū-yi, barā-yi, romanized with the ی apart
        endings.append(_ARABIC_FINAL_VOWELS[word[-2]])
    found = [key for ending in endings if (key := _finish(classes, initial, ending))]
    return list(dict.fromkeys(found))


def _latin_final_vowel(word: str) -> str:
    if len(word) > 2 and word[-1] == "h" and word[-2] in "aeiou":
        word = word[:-1]  # ALA-LC -ah, -ih for a final ہ
    return _LATIN_FINAL_VOWELS.get(word[-1], "")


def _latin_keys(word: str) -> list[str]:
    options: list[tuple[str, ...]] = []
    i = 0
    while i < len(word):
        pair = word[i : i + 2]
        if pair in _LATIN_DIGRAPHS:
            options.append(_LATIN_DIGRAPHS[pair])
            i += 2
        else:
            options.append((_LATIN_CLASS.get(word[i], ""),))
            i += 1
    initial_vowel = word[0] in _LATIN_INITIAL_VOWELS
    final_vowel = _latin_final_vowel(word)
    found: list[str] = []
    for reading in product(*options):
        key = _finish(list(reading), initial_vowel, final_vowel)
        if key and key not in found:
            found.append(key)
            if len(found) == MAX_READINGS:
                break
    return found
