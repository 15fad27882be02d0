"""Before you buy: each line of a library's purchase list (an ISBN, an ISSN or a title)
looked up in the union catalogue as the catalogue matches citations
(catalogue.selectors.bib_records_by_identifiers), with the members that hold it and
whether they lend it. Identifiers are looked up together; titles one by one."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from catalogue.models import BibRecord, Holding
from catalogue.normalize import normalize_isbn, normalize_issn
from catalogue.selectors import bib_records_by_identifiers
from members.models import Library

MAX_LINES = 1000
MAX_LINE_CHARS = 300
# What looks like an ISBN (10 or 13 characters with hyphens or spaces) or an ISSN; anything
# else is a title ("Title / Author": the part before " / ").
_ISBN_SHAPE = re.compile(r"^(?:97[89][- ]?)?[0-9][0-9- ]{7,15}[0-9Xx]$")
_ISSN_SHAPE = re.compile(r"^[0-9]{4}-?[0-9]{3}[0-9Xx]$")

BAD_ISBN = _("“%(value)s” looks like an ISBN but its check digit is wrong.")
BAD_ISSN = _("“%(value)s” looks like an ISSN but its check digit is wrong.")
TOO_LONG = _("Longer than %(limit)s characters.")


@dataclass(frozen=True)
class Holder:
    library: Library
    lends: bool  # a lendable copy, and the library lends now


@dataclass
class Found:
    record: BibRecord
    holders: list[Holder] = field(default_factory=list)


@dataclass
class Line:
    number: int
    text: str
    kind: str = "title"  # isbn, issn, title; "" when the line could not be read
    error: str = ""
    found: list[Found] = field(default_factory=list)

    def held_by(self, library_id: int) -> bool:
        return any(h.library.pk == library_id for f in self.found for h in f.holders)

    def lent_by_others(self, library_id: int) -> bool:
        return any(h.lends and h.library.pk != library_id for f in self.found for h in f.holders)


class ListTooLong(ValueError):
    pass


def read_lines(text: str) -> list[Line]:
    """The list's lines, numbered as the librarian sees them (blank ones skipped)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip().strip('"').strip()
        if not value:
            continue
        if len(lines) == MAX_LINES:
            raise ListTooLong(MAX_LINES)
        line = Line(number, value[:MAX_LINE_CHARS])
        if len(value) > MAX_LINE_CHARS:
            line.kind, line.error = "", str(TOO_LONG % {"limit": MAX_LINE_CHARS})
        elif _ISSN_SHAPE.match(value):
            line.kind = "issn"
            if normalize_issn(value) is None:
                line.kind, line.error = "", str(BAD_ISSN % {"value": value})
        elif _ISBN_SHAPE.match(value):
            line.kind = "isbn"
            if normalize_isbn(value) is None:
                line.kind, line.error = "", str(BAD_ISBN % {"value": value})
        lines.append(line)
    return lines


def check(lines: list[Line]) -> list[Line]:
    """Each readable line with the records it names and who holds them."""
    isbns = {line.number: normalize_isbn(line.text) for line in lines if line.kind == "isbn"}
    issns = {line.number: normalize_issn(line.text) for line in lines if line.kind == "issn"}
    by_isbn: dict[str, list[BibRecord]] = defaultdict(list)
    by_issn: dict[str, list[BibRecord]] = defaultdict(list)
    if isbns:
        for record in BibRecord.objects.filter(isbns__overlap=list(isbns.values())):
            for isbn in record.isbns:
                by_isbn[isbn].append(record)
    if issns:
        for record in BibRecord.objects.filter(issns__overlap=list(issns.values())):
            for issn in record.issns:
                by_issn[issn].append(record)
    for line in lines:
        if line.kind == "isbn":
            records = by_isbn.get(isbns[line.number], [])
        elif line.kind == "issn":
            records = by_issn.get(issns[line.number], [])
        elif line.kind == "title":
            records = bib_records_by_identifiers(title=line.text.split(" / ")[0].strip())
        else:
            records = []
        line.found = [Found(record) for record in records[:5]]
    _add_holders([f for line in lines for f in line.found])
    return lines


def _add_holders(found: list[Found]) -> None:
    """Every member's copies of the records found, in one query, and whether it lends one."""
    if not found:
        return
    lending_now = set(Library.objects.lending().values_list("pk", flat=True))
    lendable = set(
        Holding.objects.lendable()
        .filter(bib_record__in=[f.record.pk for f in found])
        .values_list("bib_record_id", "library_id")
    )
    holdings = (
        Holding.objects.filter(bib_record__in=[f.record.pk for f in found])
        .exclude(status=Holding.Status.WITHDRAWN)
        .select_related("library")
        .order_by("library__code")
    )
    holders: dict[int, dict[int, Holder]] = defaultdict(dict)
    for holding in holdings:
        lends = (holding.bib_record_id, holding.library_id) in lendable and holding.library_id in lending_now
        holders[holding.bib_record_id][holding.library_id] = Holder(holding.library, lends)
    for f in found:
        f.holders = list(holders[f.record.pk].values())
