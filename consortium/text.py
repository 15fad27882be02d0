"""Catalogue text on every surface people open: pages, tab titles, emails, files.

Two rules, one place, for every app (consortium/ is the base all apps may import):

- Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069,
  the "Trojan Source" characters) are removed from text the portal shows or writes for
  people. Pages also put such text in ``<bdi dir="auto">`` (catalogue's ``bidi`` tag),
  which stops it reordering the page around it; but a tab title, an email subject, a
  spreadsheet cell or a reference manager has no ``<bdi>``, and inside the value itself an
  unbalanced U+202E still reverses everything after it ("report<U+202E>fdp.exe" reads
  "reportexe.pdf"). Removing them is chosen over closing each open one at the end of the
  value because it also defeats that spoofing inside the value, survives truncation (a
  title cut at 80 characters loses closers appended after it) and concatenation (an email
  body is one paragraph of several values), and leaves nothing to a renderer's idea of
  where a paragraph ends. Display loses nothing that matters: digits and Latin letters
  keep their order inside Urdu text by the Unicode bidirectional algorithm, and the marks
  U+200E/U+200F/U+061C are kept.
  Interchange formats (MARC and MARCXML records, OAI-PMH, SRU, ISO 18626) carry records as
  catalogued: Library of Congress vernacular fields use balanced U+202A…U+202C around
  dates, and a harvesting system must get the record it was sent.
- A spreadsheet cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return
  is a formula to Excel and LibreOffice (CSV injection, OWASP); such a string cell gets a
  leading single quote so it shows as the text it is. Numbers, and strings that are only
  a number (``-3``, ``0.750``), stay numbers.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language_bidi

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def contain_bidi(text: str) -> str:
    """The text without bidirectional embedding, override or isolate controls."""
    return BIDI_CONTROLS.sub("", text)


def isolate(text: str) -> str:
    """A value (a name, a title) set apart inside a sentence of the active language: on a
    right-to-left page "Bilateral agreement “LUMS–UoK loan agreement” allows loans" in Urdu
    otherwise lets the English name take the quotes and the words around it into its own
    direction. The value is contained first, then wrapped in U+2068 FIRST STRONG ISOLATE …
    U+2069 POP DIRECTIONAL ISOLATE, the plain-text form of <bdi> (as ICU and Fluent isolate
    message arguments). Left-to-right languages get the value as it is."""
    text = contain_bidi(str(text))
    return f"\u2068{text}\u2069" if text and get_language_bidi() else text


def csv_cell(value: Any) -> Any:
    """One spreadsheet cell: numbers as they are, text contained and never a formula."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = contain_bidi(str(value))  # first: a hidden U+202E must not shield a leading "="
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class CsvWriter:
    """csv.writer whose every cell goes through csv_cell: the portal's only CSV writer."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Any) -> Any:
        return self._writer.writerow([csv_cell(cell) for cell in row])

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, **options: Any) -> CsvWriter:
    """A CSV writer for files people open in a spreadsheet (see csv_cell)."""
    return CsvWriter(stream, **options)
