"""Reading libraries' files (MARC21 binary, MARCXML, CSV) and extracting normalized fields.

Reading is split in two so the costly half runs in worker processes:

* ``iter_items(path, fmt, options)`` (main process) streams a file into small picklable
  items, one per record: raw ISO 2709 bytes, a MARCXML record as tuples, or a CSV row.
  It never holds the whole file in memory. A problem that ends the file (invalid XML,
  wrong CSV columns, bad encoding) is raised as ``FileRejected`` naming the place.
* ``process_item(item)`` (any process) turns one item into a ``dict``: the lossless
  UTF-8 ISO 2709 bytes, the checksum, the local id, the extracted fields and holdings,
  or ``{"error": reason}``. It never raises for bad input.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymarc
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from pymarc import Field, Indicators, Record, Subfield

from catalogue.import_messages import MESSAGES, ImportMessage
from catalogue.normalize import fold, normalize_isbn, normalize_issn, normalize_lccn, normalize_oclc

MARC_NS = "http://www.loc.gov/MARC21/slim"
RECORD_TERMINATOR = b"\x1d"
FORMATS = ("marc", "marcxml", "csv")

# Messages (tests reuse them).
# Messages are catalogue.import_messages codes; these names stay for tests that build them.
MSG_EMPTY = MESSAGES["empty"]
MSG_NO_RECORDS = MESSAGES["no_records"]
MSG_XML_INVALID = MESSAGES["xml_invalid"]
MSG_XML_FORBIDDEN = MESSAGES["xml_forbidden"]
MSG_CSV_COLUMNS = MESSAGES["csv_columns"]
MSG_CSV_ENCODING = MESSAGES["csv_encoding"]
MSG_LEADER_LENGTH = MESSAGES["leader_length"]
MSG_TRUNCATED = MESSAGES["truncated"]
MSG_NO_ID = MESSAGES["no_id"]
MSG_NO_TITLE = MESSAGES["no_title"]
MSG_XML_ENCODING = MESSAGES["xml_encoding"]
MSG_XML_ENCODING_UNREADABLE = MESSAGES["xml_encoding_unreadable"]
MSG_DAMAGED = MESSAGES["damaged"]
MSG_TERMINATOR = MESSAGES["terminator"]


class FileRejected(Exception):
    """The rest of the file cannot be read; records before this point were read."""


# --- reading ---------------------------------------------------------------------


def detect_format(path: Path, head: bytes | None = None) -> str:
    """marc, marcxml or csv from the name, else from the first bytes."""
    name = path.name.lower()
    if name.endswith((".xml", ".marcxml")):
        return "marcxml"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".mrc", ".marc", ".dat", ".iso", ".bin")):
        return "marc"
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(64)
    stripped = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if stripped.startswith(b"<"):
        return "marcxml"
    if stripped[:5].isdigit():
        return "marc"
    return "csv"


class ReadPosition:
    """How far into its file a reader is, in bytes: the import's progress against the
    file's size (the number of records is known only at the end). ``offset()`` is exact
    to the record for ISO 2709; MARCXML and CSV are read in blocks (16 KiB, 8 KiB), so it
    is the end of the block read. The file's size once every item has been read."""

    __slots__ = ("_tell", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._tell: Callable[[], int] = lambda: 0

    def follow(self, tell: Callable[[], int]) -> None:
        self._tell = tell

    def done(self) -> None:
        size = self.size
        self._tell = lambda: size

    def offset(self) -> int:
        try:
            return min(self._tell(), self.size)
        except ValueError:  # the file is closed: a file error ended the reading
            return self.size


def iter_items(
    path: Path, fmt: str, options: dict | None = None, position: ReadPosition | None = None
) -> Iterator[tuple]:
    """Items (kind, number, payload) for process_item, numbered from 1; ``position``, if
    given, follows the bytes read."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejected(ImportMessage("empty"))
    position = position or ReadPosition(size)
    if fmt == "marc":
        yield from _iter_binary(path, position)
    elif fmt == "marcxml":
        yield from _iter_xml(path, position)
    elif fmt == "csv":
        yield from _iter_csv(path, (options or {}).get("mapping") or {}, position)
    else:
        raise FileRejected(ImportMessage("unknown_format", fmt=repr(fmt), formats=", ".join(FORMATS)))
    position.done()


# Bytes found between records (line breaks, NULs, a DOS end-of-file mark): skipped.
_FILLER = frozenset(b"\r\n\x00\x1a ")
_NOT_FILLER = re.compile(rb"[^\r\n\x00\x1a ]")
# ISO 2709 record length is five digits: a record is at most this long.
MAX_RECORD = 99_999
# A damaged record is resynchronised on the next well-formed one within this many bytes
# (read ahead of it); two records' worth, so the one after a damaged record is always seen.
_LOOKAHEAD = 2 * MAX_RECORD + 2
# Where a leader may start: record length, five characters, indicator and subfield-code
# counts, base address of data (ISO 2709 leader positions 0-16). Zero-width, so that
# overlapping candidates are all tried.
_LEADER_SHAPE = re.compile(rb"(?=\d{5}[\x20-\x7e]{7}\d{5})")


def _leader_at(buf: bytes, start: int) -> int:
    """The record length in a leader at ``start``, with letters or blanks where MARC21 has
    them (leader/05-09: status, type, level, control, coding scheme; so a directory's
    digits never pass for a leader) and a base address that falls on the end of its
    directory (a field terminator), or 0."""
    head = buf[start : start + 17]
    if len(head) < 17 or not (head[:5].isdigit() and head[12:17].isdigit()):
        return 0
    if not head[5:10].replace(b" ", b"").isalpha() and head[5:10] != b"     ":
        return 0
    length, base = int(head[:5]), int(head[12:17])
    if not 25 <= base < length or start + base > len(buf) or buf[start + base - 1] != 0x1E:
        return 0
    return length


def _record_at(buf: bytes, start: int) -> int:
    """The length of a well-formed record starting at ``start`` (a leader as _leader_at
    whose record length ends on an end-of-record byte followed by another record or the
    end of the data), or 0."""
    length = _leader_at(buf, start)
    end = start + length
    if not length or end > len(buf) or buf[end - 1] != 0x1D:
        return 0
    after = buf[end : end + 5].lstrip(b"\r\n\x00\x1a ")
    return length if not after or after[:1].isdigit() else 0


def _declared_end(buf: bytes, start: int, eof: bool) -> int:
    """Where the record at ``start`` ends by its leader's record length, if a leader starts
    there (_leader_at) or the file ends there: the record's own end-of-record byte is the
    damage (and the next one's may be too), or -1."""
    head = buf[start : start + 5]
    if not head.isdigit() or int(head) < 25:
        return -1
    end = start + int(head)
    if end > len(buf):
        return -1
    more = _NOT_FILLER.search(buf, end)
    if (more is None and eof) or (more is not None and _leader_at(buf, more.start())):
        return end
    return -1


def _next_record(buf: bytes, start: int) -> int:
    """Where the next well-formed record at or after ``start`` begins, or -1."""
    for match in _LEADER_SHAPE.finditer(buf, start):
        if _record_at(buf, match.start()):
            return match.start()
    return -1


def _iter_binary(path: Path, position: ReadPosition, block: int = 1 << 20) -> Iterator[tuple]:
    """Records split on their end-of-record byte (0x1D) where the leader's record length
    agrees (the usual case: one find and one comparison a record). Where it does not (the
    byte is damaged or missing, a stray one, a wrong length, garbage), the damaged bytes
    end where their leader's record length says if another leader starts there
    (_declared_end), else where the next well-formed record starts (_next_record), else
    at the next end-of-record byte: a damaged record costs only itself and is reported
    with its byte offset, the records around it are read as if it were not there."""
    number = 0
    buf = b""
    pos = 0  # in buf
    dropped = 0  # bytes of the file before buf
    eof = False
    # What the last search for a well-formed record found, in file offsets: where one
    # starts, up to where none does, and the end of the data it searched (none found: no
    # need to search again before more is read). A run of damaged records (garbage full
    # of stray end-of-record bytes) is then searched once, not once per piece of it.
    found, clear, exhausted = -1, 0, -1
    # (While an item is being handed out, pos is still at its start: the position is
    # exact to the record before it.)
    position.follow(lambda: dropped + pos)
    with open(path, "rb") as fh:
        while True:
            if not eof and len(buf) - pos <= _LOOKAHEAD:
                data = fh.read(max(block, _LOOKAHEAD))
                eof = not data
                dropped += pos
                buf, pos = buf[pos:] + data, 0
                continue
            size = len(buf)
            # Well-formed records, up to where the next one might need more of the file.
            limit = size if eof else size - _LOOKAHEAD
            find = buf.find
            while pos < limit:
                if buf[pos] in _FILLER:
                    more = _NOT_FILLER.search(buf, pos)
                    pos = more.start() if more else size
                    continue
                end = find(b"\x1d", pos)
                head = buf[pos : pos + 5]
                if end < 0 or not head.isdigit() or int(head) != end + 1 - pos:
                    break
                number += 1
                yield ("marc", number, buf[pos : end + 1])
                pos = end + 1
            else:
                if eof:
                    break
                continue
            if end < 0 and eof:
                number += 1
                reason = ImportMessage("truncated", length=len(buf[pos:].rstrip(b"\r\n\x00\x1a ")))
                yield (
                    "error",
                    number,
                    ImportMessage("damaged", offset=dropped + pos, reason=reason.as_data()),
                )
                break
            following = _declared_end(buf, pos, eof)
            if following < 0:
                if found > dropped + pos:
                    following = found - dropped
                elif exhausted != dropped + size:
                    following = _next_record(buf, max(pos + 1, clear - dropped))
                    if following >= 0:
                        found = dropped + following
                    else:  # (a record too near the end of what was read is not seen yet)
                        clear = dropped + (size if eof else size - MAX_RECORD - 17)
                        exhausted = dropped + size
            if following < 0:
                # None within the lookahead: up to the next end-of-record byte, or as far
                # as no record can start unseen (one that ends beyond the data read).
                following = end + 1 if end >= 0 else max(pos + 1, size - MAX_RECORD)
            number += 1
            yield ("damaged", number, (dropped + pos, buf[pos:following]))
            pos = following
    if number == 0:
        raise FileRejected(ImportMessage("no_records", expected="marc"))


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


# The encoding named in an XML declaration (<?xml version="1.0" encoding="..."?>).
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")


def _check_xml_encoding(path: Path) -> None:
    """Refuse a file whose XML declaration names an encoding that Python does not know, or
    a multi-byte one that expat cannot read, before any record is read: expat raised
    LookupError or ValueError from inside the parse, which ended the task as an internal
    error and told the library to run it again (which cannot help)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    found = _XML_ENCODING.search(head)
    if found is None:
        return
    name = found.group(1).decode("ascii", "replace")
    line = head.count(b"\n", 0, found.start()) + 1
    try:
        codecs.lookup(name)
    except LookupError:
        raise FileRejected(ImportMessage("xml_encoding", line=line, encoding=name)) from None
    try:
        SafeET.XMLParser(encoding=None).feed(head[: found.end()] + b"?><x/>")
    except ValueError:
        raise FileRejected(ImportMessage("xml_encoding_unreadable", line=line, encoding=name)) from None
    except SafeET.ParseError:
        pass  # the declaration itself is read; what the file holds is judged by the parse


def _iter_xml(path: Path, position: ReadPosition) -> Iterator[tuple]:
    number = 0
    _check_xml_encoding(path)
    with open(path, "rb") as fh:
        position.follow(fh.tell)
        try:
            for _event, elem in SafeET.iterparse(fh, events=("end",), forbid_dtd=True):
                ns, name = _local(elem.tag)
                if name != "record" or ns not in (MARC_NS, ""):
                    continue
                children = list(elem)
                if not any(_local(c.tag)[1] == "leader" for c in children):
                    continue
                number += 1
                yield ("xml", number, _xml_struct(children))
                elem.clear()
        except SafeET.ParseError as exc:
            line, column = getattr(exc, "position", (0, 0))
            reason = str(exc).split(":")[0]
            raise FileRejected(ImportMessage("xml_invalid", line=line, column=column, reason=reason)) from exc
        except DefusedXmlException as exc:
            raise FileRejected(ImportMessage("xml_forbidden", reason=type(exc).__name__)) from exc
    if number == 0:
        raise FileRejected(ImportMessage("no_records", expected="marcxml"))


def _xml_struct(children) -> tuple:
    leader = ""
    fields: list[tuple] = []
    for child in children:
        name = _local(child.tag)[1]
        if name == "leader":
            leader = child.text or ""
        elif name == "controlfield":
            fields.append((child.get("tag", ""), child.text or ""))
        elif name == "datafield":
            subs = [(s.get("code", ""), s.text or "") for s in child if _local(s.tag)[1] == "subfield"]
            fields.append((child.get("tag", ""), child.get("ind1", " "), child.get("ind2", " "), subs))
    return (leader, fields)


# CSV: our field -> accepted header names (case-insensitive); a mapping option overrides.
CSV_COLUMNS = {
    "local_id": ("id", "local_id", "record_id", "control_number", "accession_no"),
    "title": ("title",),
    "subtitle": ("subtitle",),
    "author": ("author", "authors", "creator"),
    "isbn": ("isbn",),
    "issn": ("issn",),
    "year": ("year", "date", "publication_year"),
    "publisher": ("publisher",),
    "place": ("place", "publication_place"),
    "edition": ("edition",),
    "volume": ("volume",),
    "language": ("language", "lang"),
    "format": ("format", "type"),
    "subjects": ("subjects", "subject"),
    "call_number": ("call_number", "callno", "call no", "call number"),
    "barcode": ("barcode",),
    "location": ("location", "branch"),
    "copies": ("copies", "items"),
}
CSV_REQUIRED = ("local_id", "title")


def _iter_csv(path: Path, mapping: dict[str, str], position: ReadPosition) -> Iterator[tuple]:
    with open(path, "rb") as raw:
        position.follow(raw.tell)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        line = 1
        try:
            header = next(reader, None)
            if not header:
                raise FileRejected(ImportMessage("empty"))
            lowered = {h.strip().lower(): i for i, h in enumerate(header)}
            columns: dict[str, int] = {}
            for field, names in CSV_COLUMNS.items():
                wanted = [mapping[field].strip().lower()] if mapping.get(field) else list(names)
                for name in wanted:
                    if name in lowered:
                        columns[field] = lowered[name]
                        break
            missing = [mapping.get(f) or f for f in CSV_REQUIRED if f not in columns]
            if missing:
                raise FileRejected(
                    ImportMessage("csv_columns", missing=", ".join(missing), found=", ".join(header))
                )
            number = 0
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                number += 1
                values = {f: (row[i].strip() if i < len(row) else "") for f, i in columns.items()}
                yield ("csv", number, values)
        except UnicodeDecodeError as exc:
            raise FileRejected(ImportMessage("csv_encoding", line=line + 1)) from exc
        except csv.Error as exc:
            raise FileRejected(ImportMessage("csv_error", line=line + 1, error=str(exc))) from exc
        if number == 0:
            raise FileRejected(ImportMessage("csv_no_rows"))


# --- one record -----------------------------------------------------------------


def process_item(item: tuple) -> dict[str, Any]:
    """Parse and extract one item; bad input comes back as {'number', 'error'}."""
    kind, number, payload = item
    try:
        if kind == "error":
            return {"number": number, "error": payload}
        if kind == "damaged":
            return _damaged(number, *payload)
        raw = None
        if kind == "marc":
            record = parse_binary(payload)
            fmt = "marc"
            if payload[9:10] == b"a":
                raw = payload  # UTF-8 already: keep the library's bytes exactly
        elif kind == "xml":
            record = record_from_struct(payload)
            fmt = "marcxml"
        else:
            record = record_from_csv(payload)
            fmt = "csv"
        return record_result(record, number=number, source_format=fmt, raw=raw)
    except RecordError as exc:
        return {"number": number, "error": exc.args[0], "local_id": exc.local_id}
    except Exception as exc:
        return {
            "number": number,
            "error": ImportMessage("unreadable", error=f"{type(exc).__name__}: {exc}"[:450]),
        }


def _damaged(number: int, offset: int, data: bytes) -> dict[str, Any]:
    """A damaged record's report: what is wrong with it, and its local id when readable."""
    local_id = ""
    try:
        control = _indexed(parse_binary(data)).get("001")
        local_id = (control.data or "").strip()[:100] if control is not None else ""
        reason = ImportMessage("terminator")
    except RecordError as exc:
        reason, local_id = exc.args[0], exc.local_id
    except Exception as exc:
        reason = ImportMessage("unreadable", error=f"{type(exc).__name__}: {exc}"[:450])
    if not isinstance(reason, ImportMessage):
        reason = ImportMessage("unreadable", error=str(reason)[:450])
    return {
        "number": number,
        "error": ImportMessage("damaged", offset=offset, reason=reason.as_data()),
        "local_id": local_id or _control_number(data),
    }


def _control_number(data: bytes) -> str:
    """The 001 of a record too damaged to read, found through its directory (so that the
    library can find the record in its own system), or ''."""
    try:
        base = int(data[12:17])
        for start in range(24, base - 1, 12):
            entry = data[start : start + 12]
            if entry[:3] == b"001":
                begin = base + int(entry[7:12])
                value = data[begin : begin + int(entry[3:7])].split(b"\x1e")[0]
                return value.decode("utf-8", "replace").strip()[:100]
    except ValueError:
        pass
    return ""


class RecordError(Exception):
    def __init__(self, message: str, local_id: str = "") -> None:
        super().__init__(message)
        self.local_id = local_id


def parse_binary(data: bytes) -> Record | _Fields:
    """One ISO 2709 record (UTF-8 or MARC-8 per leader/09): a well-formed UTF-8 record as
    its fields (_decode_utf8), any other as a pymarc Record."""
    head = data[:5]
    if not head.isdigit():
        raise RecordError(ImportMessage("leader_not_digits", head=repr(head)))
    if int(head) != len(data):
        raise RecordError(ImportMessage("leader_length", declared=int(head), actual=len(data)))
    if len(data) < 25:
        raise RecordError(ImportMessage("too_short"))
    utf8 = data[9:10] == b"a"
    if utf8:
        fields = _decode_utf8(data)
        if fields is not None:
            return fields
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            record = Record(data=data, to_unicode=True, force_utf8=utf8, utf8_handling="strict")
        except UnicodeDecodeError as exc:
            raise RecordError(
                ImportMessage("invalid_utf8", byte=f"{exc.object[exc.start]:02x}", offset=exc.start)
            ) from exc
        except pymarc.exceptions.PymarcException as exc:
            raise RecordError(ImportMessage("corrupt", error=f"{type(exc).__name__}: {exc}")) from exc
    if not utf8:
        record.leader = record.leader[:9] + "a" + record.leader[10:]
    return record


class _Field:
    """A field as the lean decoder reads it: the part of pymarc's Field that extraction
    uses (tag, data of a control field, indicators, subfields as (code, value), get)."""

    __slots__ = ("data", "indicator1", "indicator2", "subfields", "tag")

    def __init__(self, tag: str, data: str | None, ind1: str, ind2: str, subfields: list) -> None:
        self.tag = tag
        self.data = data
        self.indicator1 = ind1
        self.indicator2 = ind2
        self.subfields = subfields

    def get(self, code: str, default: str | None = None) -> str | None:
        for c, v in self.subfields:
            if c == code:
                return v
        return default


def _decode_utf8(data: bytes) -> _Fields | None:
    """A UTF-8 ISO 2709 record's fields, read as pymarc reads them (same tags, indicators,
    subfields and values), or None when anything in it is unusual (a directory or
    indicators out of shape, a subfield code or text that is not valid): pymarc then
    reads it, with its own repairs and errors. Written here because pymarc's decoding
    was a third of a parser process's time per record (a Field object, a namedtuple per
    subfield, a Leader object behind every leader lookup). On the benchmark's records
    it reads 55,000 records/s where pymarc reads 22,600 (benchmarks/import_bench.py
    prints both), and a parser process's whole work per record fell from 180 to 110 µs.
    tests/catalogue/test_marc.py checks it against pymarc on every shared record."""
    try:
        base = int(data[12:17])
        if not (0 < base < len(data)) or (base - 25) % 12:
            return None
        leader = data[:24].decode("ascii")
        directory = data[24 : base - 1]
        fields = []
        for start in range(0, len(directory), 12):
            entry = directory[start : start + 12]
            length, offset = entry[3:7], entry[7:12]
            if not (length.isdigit() and offset.isdigit()):
                return None
            tag = entry[:3].decode("ascii")
            begin = base + int(offset)
            body = data[begin : begin + int(length) - 1]
            if tag < "010" and tag.isdigit():
                fields.append(_Field(tag, body.decode("utf-8"), " ", " ", []))
                continue
            parts = body.split(b"\x1f")
            indicators = parts[0]
            if len(indicators) != 2 or not indicators.isascii():
                return None
            subfields = []
            for part in parts[1:]:
                if not part:
                    continue
                if part[0] >= 0x80:
                    return None
                subfields.append((chr(part[0]), part[1:].decode("utf-8")))
            ind = indicators.decode("ascii")
            fields.append(_Field(tag, None, ind[0], ind[1], subfields))
    except (ValueError, UnicodeDecodeError):
        return None
    if not fields:
        return None
    return _Fields.of(leader, fields)


def record_from_struct(struct: tuple) -> Record:
    leader, fields = struct
    leader = (leader or "").replace("\n", "").strip("\r")
    if len(leader) < 24:
        leader = leader.ljust(24)
    record = Record(leader=leader[:24])
    for field in fields:
        if len(field) == 2:
            tag, value = field
            if not re.fullmatch(r"[0-9A-Za-z]{3}", tag):
                raise RecordError(ImportMessage("control_tag", tag=repr(tag)))
            record.add_field(Field(tag=tag, data=value))
        else:
            tag, ind1, ind2, subs = field
            if not re.fullmatch(r"[0-9A-Za-z]{3}", tag):
                raise RecordError(ImportMessage("data_tag", tag=repr(tag)))
            record.add_field(
                Field(
                    tag=tag,
                    indicators=Indicators((ind1 or " ")[:1], (ind2 or " ")[:1]),
                    subfields=[Subfield(code=c or " ", value=v) for c, v in subs],
                )
            )
    record.leader = record.leader[:9] + "a" + record.leader[10:]
    return record


_CSV_FORMAT_LEADER = {"ebook": "am", "thesis": "am", "serial": "as", "book": "am", "manuscript": "tm"}


def record_from_csv(values: dict[str, str]) -> Record:
    """A spreadsheet row as a minimal MARC record (stored like any other source record)."""
    fmt = (values.get("format") or "book").strip().lower()
    types = _CSV_FORMAT_LEADER.get(fmt, "am")
    record = Record(leader=f"00000n{types} a2200000 a 4500")
    year = re.search(r"\d{4}", values.get("year") or "")
    lang = (values.get("language") or "").strip().lower()[:3]
    f008 = [" "] * 40
    if year:
        f008[6] = "s"
        f008[7:11] = year.group(0)
    if fmt == "ebook":
        f008[23] = "o"
    f008[35:38] = (lang or "   ").ljust(3)
    record.add_field(Field(tag="001", data=values.get("local_id", "")))
    record.add_field(Field(tag="008", data="".join(f008)))

    def add(tag: str, subs: list[tuple[str, str]], ind: tuple[str, str] = (" ", " ")) -> None:
        subs = [(c, v) for c, v in subs if v]
        if subs:
            record.add_field(
                Field(tag=tag, indicators=Indicators(*ind), subfields=[Subfield(c, v) for c, v in subs])
            )

    for isbn in re.split(r"[;|]", values.get("isbn") or ""):
        add("020", [("a", isbn.strip())])
    add("022", [("a", values.get("issn", ""))])
    authors = [a.strip() for a in re.split(r"[;|]", values.get("author") or "") if a.strip()]
    if authors:
        add("100", [("a", authors[0])], ("1", " "))
    add(
        "245",
        [("a", values.get("title", "")), ("b", values.get("subtitle", "")), ("n", values.get("volume", ""))],
        ("1" if authors else "0", "0"),
    )
    add("250", [("a", values.get("edition", ""))])
    add(
        "264",
        [("a", values.get("place", "")), ("b", values.get("publisher", "")), ("c", values.get("year", ""))],
        (" ", "1"),
    )
    if fmt == "thesis":
        add("502", [("a", "Thesis")])
    for subject in re.split(r"[;|]", values.get("subjects") or ""):
        add("650", [("a", subject.strip())], (" ", "4"))
    for author in authors[1:]:
        add("700", [("a", author)], ("1", " "))
    copies = values.get("copies") or ""
    add(
        "852",
        [
            ("b", values.get("location", "")),
            ("h", values.get("call_number", "")),
            ("p", values.get("barcode", "")),
            ("t", copies if copies.isdigit() else ""),
        ],
    )
    return record


def record_result(
    record: Record | _Fields, *, number: int, source_format: str, raw: bytes | None = None
) -> dict[str, Any]:
    indexed = _indexed(record)
    control = indexed.get("001")
    local_id = (control.data.strip() if control else "")[:100]
    if not local_id:
        raise RecordError(ImportMessage("no_id"))
    fields = extract(indexed)
    if not fields["title"]:
        raise RecordError(ImportMessage("no_title"), local_id)
    try:
        marc = raw if raw is not None else record.as_marc()
    except Exception as exc:
        raise RecordError(ImportMessage("not_storable", error=str(exc)), local_id) from exc
    return {
        "number": number,
        "local_id": local_id,
        "marc": marc,
        "checksum": hashlib.sha256(marc).hexdigest(),
        "source_format": source_format,
        "fields": fields,
        "holdings": extract_holdings(indexed),
        "richness": len(indexed.fields) * 1000 + len(marc),
    }


# --- extraction --------------------------------------------------------------------

_TRAIL = " /:;,.=+"


def _clean(text: str) -> str:
    text = " ".join((text or "").replace("\u200f", "").replace("\u200e", "").split())
    text = text.rstrip(_TRAIL).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text


def _subs(field: Field, codes: str) -> list[str]:
    return [v for c, v in field.subfields if c in codes and v]


class _Fields:
    """A record's fields looked up by tag through one index (extraction asks for some 40
    tags per record; pymarc's get_fields scans every field for each): the part of
    pymarc's Record API that extraction uses, with the same results."""

    __slots__ = ("_by_tag", "fields", "leader")

    def __init__(self, record: Record) -> None:
        self._index(record.leader, record.fields)

    @classmethod
    def of(cls, leader: str, fields: list) -> _Fields:
        indexed = cls.__new__(cls)
        indexed._index(leader, fields)
        return indexed

    def _index(self, leader, fields: list) -> None:
        self.leader = leader
        self.fields = fields
        by_tag: dict[str, list[Field]] = {}
        for field in fields:
            by_tag.setdefault(field.tag, []).append(field)
        self._by_tag = by_tag

    def get(self, tag: str) -> Field | None:
        fields = self._by_tag.get(tag)
        return fields[0] if fields else None

    def get_fields(self, *tags: str) -> list[Field]:
        if len(tags) == 1:
            return list(self._by_tag.get(tags[0], ()))
        wanted = set(tags)
        return [field for field in self.fields if field.tag in wanted]


def _indexed(record: Record | _Fields) -> _Fields:
    return record if isinstance(record, _Fields) else _Fields(record)


def _join(field: Field | None, codes: str, sep: str = " ") -> str:
    return _clean(sep.join(_subs(field, codes))) if field is not None else ""


def _vernacular(record: Record) -> dict[str, list[Field]]:
    """880 fields by the tag they stand for ($6 '245-01/(3/r')."""
    linked: dict[str, list[Field]] = {}
    for field in record.get_fields("880"):
        link = (field.get("6") or "")[:3]
        if link.isdigit():
            linked.setdefault(link, []).append(field)
    return linked


_ROMAN_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}


def edition_key(text: str) -> str:
    """'2nd ed.' = 'Second edition' = '2. Aufl.' -> '2'; 'Rev. ed.' -> 'rev'; '' when none."""
    words = fold(text).split()
    for word in words:
        if word in _ROMAN_WORDS:
            return str(_ROMAN_WORDS[word])
        digits = re.match(r"(\d+)", word)
        if digits:
            return str(int(digits.group(1)))
    if any(w.startswith("rev") for w in words):
        return "rev"
    return ""


def volume_key(text: str) -> str:
    """'v. 2' = 'Vol. II' = 'jild 2' -> '2'; other text folded."""
    folded = fold(text)
    digits = re.findall(r"\d+", folded)
    if digits:
        return ".".join(str(int(d)) for d in digits)
    roman = re.fullmatch(r"(?:v|vol|volume|pt|part|bk|book)?\s*([ivxlc]+)", folded)
    if roman:
        values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
        total, prev = 0, 0
        for ch in reversed(roman.group(1)):
            val = values[ch]
            total = total - val if val < prev else total + val
            prev = max(prev, val)
        return str(total)
    return folded


def record_format(record: Record) -> str:
    leader = record.leader or ""
    rtype = leader[6:7]
    blevel = leader[7:8]
    f008 = record.get("008").data if record.get("008") else ""
    f007 = [f.data[:1] for f in record.get_fields("007") if f.data]
    form = f008[23:24] if rtype in "acdijmopt" else f008[29:30] if rtype in "efgk" else ""
    carriers = " ".join(fold(" ".join(_subs(f, "ab"))) for f in record.get_fields("338"))
    if record.get_fields("502") or (rtype in ("a", "t") and "m" in f008[24:28]):
        return "thesis"  # dissertation note, or 008/24-27 nature of contents 'm'

    if blevel in ("s", "i") and rtype in ("a", ""):
        return "serial"
    if rtype in ("a", "t", "m") and (
        form in ("o", "s", "q")
        or "c" in f007
        or "online resource" in carriers
        or re.search(r"\bcr\b", carriers)
    ):
        return "ebook" if rtype != "m" else "other"
    if form in ("a", "b", "c") or "h" in f007:
        return "microform"
    return {
        "a": "book",
        "t": "manuscript",
        "c": "score",
        "d": "score",
        "e": "map",
        "f": "map",
        "g": "video",
        "i": "audio",
        "j": "audio",
        "p": "manuscript",
    }.get(rtype, "other")


def _year(record: Record) -> int | None:
    f008 = record.get("008").data if record.get("008") else ""
    date1 = f008[7:11]
    if len(date1) == 4 and date1.isdigit() and 1000 <= int(date1) <= 2100:
        return int(date1)
    for tag in ("264", "260"):
        for field in record.get_fields(tag):
            for value in _subs(field, "c"):
                match = re.search(r"(1[0-9]{3}|20[0-9]{2})", value)
                if match:
                    return int(match.group(1))
    return None


def _language(record: Record) -> str:
    f008 = record.get("008").data if record.get("008") else ""
    lang = f008[35:38].strip().lower()
    if re.fullmatch(r"[a-z]{3}", lang) and lang not in ("zxx", "und", "mul"):
        return lang
    for field in record.get_fields("041"):
        for value in _subs(field, "a"):
            if re.match(r"[a-zA-Z]{3}", value):
                return value[:3].lower()
    return lang if re.fullmatch(r"[a-z]{3}", lang) else ""


def extract(record: Record | _Fields) -> dict[str, Any]:
    """The BibRecord fields of one source record (also what matching compares)."""
    record = _indexed(record)
    vern = _vernacular(record)
    imprint = _imprint(record)
    summary = _join(record.get("520"), "a") if record.get("520") is not None else ""
    edition = _join(record.get("250"), "ab") if record.get("250") is not None else ""
    lccn = ""
    if record.get("010") is not None:
        lccn = normalize_lccn((_subs(record.get("010"), "a") or [""])[0]) or ""
    return {
        **_titles(record, vern),
        "authors": _authors(record, vern)[:20],
        "publisher": _join(imprint, "b")[:500] if imprint is not None else "",
        "place": _join(imprint, "a")[:500] if imprint is not None else "",
        "year": _year(record),
        "edition": edition[:200],
        "volume": _volume(record),
        "language": _language(record),
        "format": record_format(record),
        "isbns": _normalized(record, "020", normalize_isbn),
        "issns": _normalized(record, "022", normalize_issn),
        "lccn": lccn[:20],
        "oclc_numbers": [n[:20] for n in _normalized(record, "035", normalize_oclc)],
        "subjects": _subjects(record)[:50],
        "summary": summary[:4000],
    }


def _titles(record: _Fields, vern: dict[str, list[Field]]) -> dict[str, str]:
    """Title (the vernacular one when 245 has none), subtitle and vernacular title."""
    f245 = record.get("245")
    title = _join(f245, "a") or _join(f245, "knp") or " ".join(_join(f, "a") for f in vern.get("245", []))
    return {
        "title": title[:2000],
        "subtitle": _join(f245, "b")[:2000],
        "title_vernacular": " ".join(_join(f, "ab") for f in vern.get("245", []))[:2000],
    }


def _volume(record: _Fields) -> str:
    """The volume of a set: 245 $n (and series 490 $v) numbers, else 245 $n$p."""
    f245 = record.get("245")
    volume_parts = _subs(f245, "np") if f245 is not None else []
    number_parts = _subs(f245, "n") if f245 is not None else []
    for field in record.get_fields("490"):
        number_parts += _subs(field, "v")
    return _clean(" ".join(dict.fromkeys(number_parts)))[:100] or _clean(" ".join(volume_parts))[:100]


def _authors(record: _Fields, vern: dict[str, list[Field]]) -> list[str]:
    """Names of the main and added entries (persons, bodies, meetings), then their
    vernacular forms (880), each once."""
    authors: list[str] = []
    for tag in ("100", "110", "111", "700", "710", "711"):
        for field in record.get_fields(tag):
            name = _join(field, "abcq" if tag[1] == "0" else "ab")
            if name and name not in authors:
                authors.append(name)
    for tag in ("100", "110", "700", "710"):
        for field in vern.get(tag, []):
            name = _join(field, "ab")
            if name and name not in authors:
                authors.append(name)
    return authors


def _imprint(record: _Fields) -> Field | None:
    """The publication statement: 264 with second indicator 1, else 260, else any 264."""
    for field in record.get_fields("264"):
        if field.indicator2 == "1":
            return field
    return record.get("260") or record.get("264")


def _normalized(record: _Fields, tag: str, normalize: Callable[[str], str | None]) -> list[str]:
    """The normalized identifiers of these fields' $a (ISBN, ISSN, OCLC number), each once."""
    values: list[str] = []
    for field in record.get_fields(tag):
        for value in _subs(field, "a"):
            number = normalize(value)
            if number and number not in values:
                values.append(number)
    return values


def _subjects(record: _Fields) -> list[str]:
    """Subject headings (6XX) with their subdivisions joined by " -- ", each once."""
    subjects: list[str] = []
    for field in record.get_fields("600", "610", "611", "630", "650", "651", "655"):
        text = _clean(" -- ".join(_clean(v) for v in _subs(field, "abcdtvxyz")))
        if text and text not in subjects:
            subjects.append(text)
    return subjects


# --- holdings --------------------------------------------------------------------


def _holding(call_number="", location="", barcode="", count="", lendable=True, status="available") -> dict:
    try:
        items = max(1, min(int(count), 32767)) if str(count).strip() else 1
    except ValueError:
        items = 1
    return {
        "call_number": _clean(call_number)[:200],
        "location": _clean(location)[:200],
        "barcode": (barcode or "").strip()[:100],
        "item_count": items,
        "lendable": lendable,
        "status": status,
    }


def extract_holdings(record: Record | _Fields) -> list[dict]:
    """Holdings from 852, Koha 952, 949 or 999; one holding per record when none."""
    record = _indexed(record)
    holdings: list[dict] = []
    for field in record.get_fields("852"):
        call = " ".join(_subs(field, "khim"))
        holdings.append(
            _holding(call, " ".join(_subs(field, "bc")), (field.get("p") or ""), field.get("t") or "")
        )
    for field in record.get_fields("952"):  # Koha items
        status = "available"
        if (field.get("0") or "0") not in ("0", ""):
            status = "withdrawn"
        elif (field.get("1") or "0") not in ("0", ""):
            status = "missing"
        elif field.get("q"):
            status = "on_loan"
        lendable = (field.get("7") or "0") in ("0", "")
        holdings.append(
            _holding(
                field.get("o") or "",
                field.get("c") or field.get("a") or "",
                field.get("p") or "",
                "",
                lendable,
                status,
            )
        )
    if not holdings:
        for tag in ("949", "999"):
            for field in record.get_fields(tag):
                holdings.append(
                    _holding(
                        field.get("a") or "", field.get("l") or field.get("m") or "", field.get("i") or ""
                    )
                )
            if holdings:
                break
    if not holdings:
        call = ""
        for tag in ("090", "050", "082", "099"):
            if record.get(tag) is not None:
                call = " ".join(_subs(record.get(tag), "ab"))
                break
        holdings.append(_holding(call))
    return holdings[:500]
