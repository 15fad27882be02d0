"""Reading one merged record for its public page and API, and citing / exporting it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pymarc
from django.http import Http404

from catalogue.languages import language_label
from catalogue.models import BibRecord, Format, Holding, SourceRecord
from catalogue.normalize import has_arabic_script
from catalogue.xml_formats import marcxml_document
from consortium.text import contain_bidi
from members.models import Province, library_name_in

# --- reading ---------------------------------------------------------------------


@dataclass
class HoldingRow:
    library_code: str
    library_name: str
    library_name_ur: str
    city: str
    city_ur: str
    province: str
    province_label: str
    call_number: str
    location: str
    status: str
    status_label: str
    lendable: bool
    item_count: int

    @property
    def available(self) -> bool:
        return self.status == Holding.Status.AVAILABLE

    @property
    def local_library_name(self) -> str:
        """The holding library's name in the reader's language."""
        return library_name_in(self.library_name, self.library_name_ur)

    @property
    def local_city(self) -> str:
        """The holding library's city in the reader's language."""
        return library_name_in(self.city, self.city_ur)


@dataclass
class RecordDetail:
    record: BibRecord
    holdings: list[HoldingRow] = field(default_factory=list)

    @property
    def format_label(self) -> str:
        return str(Format(self.record.format).label) if self.record.format in Format.values else ""

    @property
    def language_label(self) -> str:

        return language_label(self.record.language) if self.record.language else ""

    @property
    def available_count(self) -> int:
        return sum(1 for h in self.holdings if h.available and h.lendable)

    @property
    def title_is_arabic_script(self) -> bool:
        return has_arabic_script(self.record.title)


def record_detail(*, record_id: int) -> RecordDetail:
    """The merged record with every holding (withdrawn ones left out), library by library."""
    try:
        record = BibRecord.objects.get(pk=record_id)
    except BibRecord.DoesNotExist:
        raise Http404("No such record") from None
    holdings = (
        Holding.objects.filter(bib_record=record)
        .exclude(status=Holding.Status.WITHDRAWN)
        .select_related("library")
        .order_by("library__province", "library__name", "call_number")
    )
    rows = [
        HoldingRow(
            library_code=h.library.code,
            library_name=h.library.name,
            library_name_ur=getattr(h.library, "name_ur", "") or "",
            city=h.library.city,
            city_ur=h.library.city_ur,
            province=h.library.province,
            province_label=str(Province(h.library.province).label),
            call_number=h.call_number,
            location=h.location,
            status=h.status,
            status_label=h.get_status_display(),
            lendable=h.lendable,
            item_count=h.item_count,
        )
        for h in holdings
    ]
    return RecordDetail(record=record, holdings=rows)


def record_for_local_id(*, library_code: str, local_id: str) -> BibRecord | None:
    """The merged record a library's own record (by its local id) went into."""
    source = (
        SourceRecord.objects.filter(library__code=library_code, local_id=local_id, bib_record__isnull=False)
        .select_related("bib_record")
        .first()
    )
    return source.bib_record if source else None


# --- exports -----------------------------------------------------------------------

EXPORT_FORMATS = {
    "marc": ("application/marc", "mrc"),
    "marcxml": ("application/marcxml+xml; charset=utf-8", "xml"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "source": ("application/marc", "mrc"),  # the preferred source's bytes as received
}
_RIS_TYPES = {"book": "BOOK", "ebook": "EBOOK", "thesis": "THES", "serial": "JOUR", "map": "MAP"}
_MARC_TYPE = {"book": "a", "ebook": "a", "thesis": "a", "serial": "a", "map": "e", "score": "c", "audio": "j"}


def _sub(code: str, value: str) -> pymarc.Subfield:
    return pymarc.Subfield(code=code, value=value)


def _parsed_marc(data: bytes | memoryview | None) -> pymarc.Record | None:
    if not data:
        return None
    reader = pymarc.MARCReader(bytes(data), to_unicode=True, force_utf8=True, utf8_handling="replace")
    for parsed in reader:
        if parsed is not None:
            return parsed
    return None


def record_marc(record: BibRecord) -> pymarc.Record:
    """The preferred source record as it arrived, or one built from the merged fields."""
    parsed = _parsed_marc(export_source(record))
    return parsed if parsed is not None else _built_marc(record)


def records_marc(records: list[BibRecord]) -> dict[int, pymarc.Record]:
    """record_marc of many records (a page of a harvest): their sources in one query."""
    source_ids = [r.preferred_source_id for r in records if r.preferred_source_id]
    marc_by_source = (
        dict(SourceRecord.objects.filter(pk__in=source_ids).values_list("pk", "marc")) if source_ids else {}
    )
    return {r.pk: _parsed_marc(marc_by_source.get(r.preferred_source_id)) or _built_marc(r) for r in records}


def _built_marc(record: BibRecord) -> pymarc.Record:
    marc = pymarc.Record(force_utf8=True)
    marc.leader = pymarc.Leader("00000n" + _MARC_TYPE.get(record.format, "a") + "m a22000007a 4500")
    marc.add_field(pymarc.Field(tag="001", data=f"ish{record.pk}"))
    lang = (record.language or "und")[:3].ljust(3)
    year = str(record.year) if record.year else "    "
    marc.add_field(pymarc.Field(tag="008", data=f"{'':6}s{year}    xx            000 0 {lang} d"))
    for isbn in record.isbns:
        marc.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[_sub("a", isbn)]))
    for issn in record.issns:
        marc.add_field(pymarc.Field(tag="022", indicators=[" ", " "], subfields=[_sub("a", issn)]))
    if record.lccn:
        marc.add_field(pymarc.Field(tag="010", indicators=[" ", " "], subfields=[_sub("a", record.lccn)]))
    for number in record.oclc_numbers:
        marc.add_field(
            pymarc.Field(tag="035", indicators=[" ", " "], subfields=[_sub("a", f"(OCoLC){number}")])
        )
    if record.authors:
        marc.add_field(
            pymarc.Field(tag="100", indicators=["1", " "], subfields=[_sub("a", record.authors[0])])
        )
    title = [_sub("a", record.title)]
    if record.subtitle:
        title.append(_sub("b", record.subtitle))
    marc.add_field(pymarc.Field(tag="245", indicators=["1" if record.authors else "0", "0"], subfields=title))
    if record.edition:
        marc.add_field(pymarc.Field(tag="250", indicators=[" ", " "], subfields=[_sub("a", record.edition)]))
    imprint = [
        _sub(code, value)
        for code, value in (("a", record.place), ("b", record.publisher), ("c", str(record.year or "")))
        if value
    ]
    if imprint:
        marc.add_field(pymarc.Field(tag="264", indicators=[" ", "1"], subfields=imprint))
    if record.summary:
        marc.add_field(pymarc.Field(tag="520", indicators=[" ", " "], subfields=[_sub("a", record.summary)]))
    for subject in record.subjects:
        marc.add_field(pymarc.Field(tag="650", indicators=[" ", "0"], subfields=[_sub("a", subject)]))
    for author in record.authors[1:]:
        marc.add_field(pymarc.Field(tag="700", indicators=["1", " "], subfields=[_sub("a", author)]))
    if record.title_vernacular:
        marc.add_field(
            pymarc.Field(
                tag="880",
                indicators=["1", "0"],
                subfields=[_sub("6", "245-01/(3/r"), _sub("a", record.title_vernacular)],
            )
        )
    return marc


def export_marc(record: BibRecord) -> bytes:
    return record_marc(record).as_marc()


def export_marcxml(record: BibRecord) -> bytes:
    """The record as a MARC21 slim <collection>, valid against the schema: leaders,
    indicators and subfield codes fitted as OAI-PMH and SRU fit them (xml_formats), so a
    source record with leader "01885cas a2200421 a 45 0" or indicator "-" still exports a
    document every MARCXML reader accepts. The bytes as received are the "source" export."""
    return marcxml_document(record_marc(record))


def export_source(record: BibRecord) -> bytes | None:
    """The preferred source record's ISO 2709 bytes exactly as the library sent them (None
    for a record with no live source)."""
    if not record.preferred_source_id:
        return None
    return SourceRecord.objects.filter(pk=record.preferred_source_id).values_list("marc", flat=True).first()


def _clean(value: str) -> str:
    """One line of text: no control characters or line breaks (RIS and BibTeX are line-based),
    no bidirectional controls (a reference manager or a paper has no <bdi>)."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", contain_bidi(value or "")).split())


def export_ris(record: BibRecord) -> str:
    lines = [f"TY  - {_RIS_TYPES.get(record.format, 'GEN')}"]
    lines.append(f"TI  - {_clean(record.title)}")
    if record.subtitle:
        lines.append(f"T2  - {_clean(record.subtitle)}")
    if record.title_vernacular:
        lines.append(f"TT  - {_clean(record.title_vernacular)}")
    lines += [f"AU  - {_clean(a)}" for a in record.authors]
    if record.year:
        lines.append(f"PY  - {record.year}")
    if record.publisher:
        lines.append(f"PB  - {_clean(record.publisher)}")
    if record.place:
        lines.append(f"CY  - {_clean(record.place)}")
    if record.edition:
        lines.append(f"ET  - {_clean(record.edition)}")
    lines += [f"SN  - {i}" for i in [*record.isbns, *record.issns]]
    lines += [f"KW  - {_clean(s)}" for s in record.subjects]
    if record.language:
        lines.append(f"LA  - {record.language}")
    if record.summary:
        lines.append(f"AB  - {_clean(record.summary)}")
    lines.append(f"ID  - ishtiraak-{record.pk}")
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")


def _bibtex(value: str) -> str:
    return _BIBTEX_SPECIAL.sub(
        lambda m: "\\" + m.group(1) if m.group(1) not in "\\^~" else " ", _clean(value)
    )


def export_bibtex(record: BibRecord) -> str:
    kind = {"thesis": "phdthesis", "serial": "periodical"}.get(record.format, "book")
    fields = [("title", record.title + (f": {record.subtitle}" if record.subtitle else ""))]
    if record.authors:
        fields.append(("author", " and ".join(record.authors)))
    if record.year:
        fields.append(("year", str(record.year)))
    for name, value in (
        ("publisher", record.publisher),
        ("address", record.place),
        ("edition", record.edition),
        ("language", record.language),
        ("isbn", ", ".join(record.isbns)),
        ("issn", ", ".join(record.issns)),
    ):
        if value:
            fields.append((name, value))
    body = ",\n".join(f"  {name} = {{{_bibtex(value)}}}" for name, value in fields)
    return f"@{kind}{{ishtiraak{record.pk},\n{body}\n}}\n"


def citation_text(record: BibRecord) -> str:
    """A plain citation (author-date, as most Pakistani university guides ask)."""
    authors = "; ".join(record.authors)
    parts = [p for p in (authors, f"({record.year})" if record.year else "") if p]
    title = record.title + (f": {record.subtitle}" if record.subtitle else "")
    lead = " ".join(parts)
    text = f"{lead}. {title}." if lead else f"{title}."
    if record.edition:
        text += f" {record.edition}."
    imprint = ": ".join(p for p in (record.place, record.publisher) if p)
    if imprint:
        text += f" {imprint}."
    if record.isbns:
        text += f" ISBN {record.isbns[0]}."
    return _clean(text)


def export_formats(record: BibRecord) -> list[str]:
    """The EXPORT_FORMATS this record has: "source" only when a source as received is kept."""
    return [fmt for fmt in EXPORT_FORMATS if fmt != "source" or record.preferred_source_id]


def export(record: BibRecord, fmt: str) -> tuple[bytes | None, str, str]:
    """(content, content type, file name) of a record in one of EXPORT_FORMATS; no content
    for "source" when the record has no source as received."""
    content_type, extension = EXPORT_FORMATS[fmt]
    filename = f"record-{record.pk}{'-as-received' if fmt == 'source' else ''}.{extension}"
    if fmt == "marc":
        body = export_marc(record)
    elif fmt == "marcxml":
        body = export_marcxml(record)
    elif fmt == "source":
        body = export_source(record)
    elif fmt == "ris":
        body = export_ris(record).encode()
    else:
        body = export_bibtex(record).encode()
    return body, content_type, filename
