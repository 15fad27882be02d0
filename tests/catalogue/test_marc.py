"""Reading MARC21 binary (UTF-8 and MARC-8), MARCXML and CSV, and extracting fields."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pymarc
import pytest

from catalogue import marc
from catalogue.marc import (
    MSG_CSV_COLUMNS,
    MSG_LEADER_LENGTH,
    FileRejected,
    edition_key,
    iter_items,
    process_item,
    volume_key,
)
from tests.catalogue.conftest import SHARED, TRAJECT, TRLN

pytestmark = pytest.mark.shared_data


def read(path: Path, fmt: str, options=None) -> list[dict]:
    return [process_item(item) for item in iter_items(path, fmt, options)]


def test_binary_and_xml_serialisations_give_the_same_fields():
    binary = read(TRAJECT / "test_data.utf8.mrc", "marc")
    xml = read(TRAJECT / "test_data.utf8.marc.xml", "marcxml")
    assert len(binary) == len(xml) == 30
    assert [r["fields"] for r in binary] == [r["fields"] for r in xml]
    assert [r["local_id"] for r in binary] == [r["local_id"] for r in xml]


def test_persian_880_title_is_linked_to_its_romanized_245():
    records = {r["local_id"]: r["fields"] for r in read(TRAJECT / "test_data.utf8.mrc", "marc")}
    persian = {
        k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v
        for k, v in records["00313831"].items()
    }
    assert persian["title"].startswith("Naqdī barā-yi tamām-i fuṣūl")
    assert persian["title_vernacular"].startswith("نقدى براى تمام فصول")
    assert persian["language"] == "per"
    assert persian["year"] == 2000
    assert persian["isbns"] == ["9789645625960"]
    assert "گنجى، اكبر" in persian["authors"]


def test_marc8_record_is_converted_to_utf8_and_marked_so():
    (record,) = read(TRAJECT / "one-marc8.mrc", "marc")
    assert "globalização" in record["fields"]["title"]
    assert record["marc"][9:10] == b"a"
    assert "globalização".encode() in record["marc"]


def test_bad_utf8_byte_is_rejected_with_reason():
    (record,) = read(TRAJECT / "bad_utf_byte.utf8.marc", "marc")
    assert "Invalid UTF-8" in record["error"] and "0xc0" in record["error"]


def test_bad_subfield_code_and_emptyish_records_still_import():
    (bad_code,) = read(TRAJECT / "bad_subfield_code.marc", "marc")
    (emptyish,) = read(TRAJECT / "emptyish_record.marc", "marc")
    assert bad_code["fields"]["title"] == "Les corps étrangers, roman"
    assert emptyish["fields"]["title"] == "Collection la philosophie en effet"


def test_wrong_leader_length_and_truncation_are_reported_per_record(tmp_path):
    good = (TRAJECT / "george_eliot.marc").read_bytes()
    liar = b"99999" + good[5:]
    truncated = good[: len(good) // 2]
    path = tmp_path / "mixed.mrc"
    path.write_bytes(good + liar + good.replace(b"\x1d", b"")[:0] + truncated)
    results = read(path, "marc")
    assert "error" not in results[0]
    reason = MSG_LEADER_LENGTH.format(declared=99999, actual=len(good))
    assert results[1]["error"] == str(marc.MSG_DAMAGED).format(offset=len(good), reason=reason)
    assert results[2]["number"] == 3 and "Truncated record" in results[2]["error"]
    assert f"at byte {2 * len(good)} " in results[2]["error"]


@pytest.mark.parametrize("decoder", ["lean", "pymarc"])
@pytest.mark.parametrize("damage", [b"", b"x", b"0", b"\x1e"])
def test_a_damaged_end_of_record_byte_costs_only_its_own_record(tmp_path, monkeypatch, decoder, damage):
    # given three good records, the middle one's end-of-record byte damaged (or missing)
    first, middle, last = (TRAJECT / "test_data.utf8.mrc").read_bytes().split(b"\x1d")[:3]
    path = tmp_path / "damaged.mrc"
    path.write_bytes(first + b"\x1d" + middle + damage + last + b"\x1d")
    if decoder == "pymarc":
        monkeypatch.setattr(marc, "_decode_utf8", lambda data: None)
    # when the file is read
    results = read(path, "marc")
    # then the record after it is read as if nothing happened
    assert [r["number"] for r in results] == [1, 2, 3]
    assert "error" not in results[0] and "error" not in results[2]
    assert results[2] == {**process_item(("marc", 3, last + b"\x1d")), "number": 3}
    # and the damaged one is reported with where it starts and its local id
    assert results[1]["error"].startswith(f"Damaged record at byte {len(first) + 1} of the file")
    assert results[1]["local_id"] == process_item(("marc", 2, middle + b"\x1d"))["local_id"]


def test_garbage_instead_of_a_leader(tmp_path):
    path = tmp_path / "junk.mrc"
    path.write_bytes(b"hello world, not MARC at all\x1d")
    (result,) = read(path, "marc")
    assert "Invalid leader" in result["error"]


def test_invalid_xml_names_line_and_keeps_earlier_records(tmp_path):
    text = (TRAJECT / "test_data.utf8.marc.xml").read_text()
    cut = text.index("</record>", text.index("</record>") + 1) + len("</record>")
    path = tmp_path / "broken.xml"
    path.write_text(text[:cut] + "\n<record><leader>broken")
    items = iter_items(path, "marcxml")
    first, second = next(items), next(items)
    assert first[1] == 1 and second[1] == 2
    with pytest.raises(FileRejected, match=r"Invalid XML at line \d+, column \d+"):
        next(items)


@pytest.mark.parametrize(
    ("encoding", "message"),
    [("UVF-8", marc.MSG_XML_ENCODING), ("Shift_JIS", marc.MSG_XML_ENCODING_UNREADABLE)],
)
def test_xml_declaring_an_unreadable_encoding_is_refused_before_any_record(tmp_path, encoding, message):
    path = tmp_path / "odd.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="{encoding}"?>\n<collection xmlns="{marc.MARC_NS}"><record>'
        '<leader>00000nam a2200000 a 4500</leader><controlfield tag="001">x</controlfield></record></collection>'
    )
    with pytest.raises(FileRejected) as refused:
        next(iter_items(path, "marcxml"))
    assert str(refused.value) == str(message).format(line=1, encoding=encoding)


def test_xml_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        "<collection><record><leader>&lol2;</leader></record></collection>"
    )
    with pytest.raises(FileRejected, match="XML refused"):
        list(iter_items(path, "marcxml"))


def test_oai_pmh_with_dublin_core_is_not_marc():
    with pytest.raises(FileRejected, match="No MARC records"):
        list(iter_items(TRAJECT / "sample-oai-pmh.xml", "marcxml"))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mrc"
    path.write_bytes(b"")
    with pytest.raises(FileRejected, match="empty"):
        list(iter_items(path, "marc"))


def test_csv_rows_become_marc_with_holdings(tmp_path):
    path = tmp_path / "books.csv"
    path.write_text(
        "ID,Title,Author,ISBN,Year,Publisher,Call Number,Barcode,Edition\n"
        "U1,Aag ka darya,Qurratulain Hyder,969-35-0000-X,1959,Maktaba Jadid,PK6199 .H9,B-001,2nd ed.\n"
        "U2,,Nobody,,,,,,\n",
        encoding="utf-8",
    )
    good, bad = read(path, "csv")
    assert good["local_id"] == "U1"
    assert good["fields"]["authors"] == ["Qurratulain Hyder"]
    assert good["fields"]["year"] == 1959 and good["fields"]["edition"] == "2nd ed"
    assert good["holdings"][0]["barcode"] == "B-001"
    assert good["holdings"][0]["call_number"] == "PK6199 .H9"
    assert bad["number"] == 2 and "no title" in bad["error"]


def test_csv_with_wrong_columns_names_them(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("name,writer\nx,y\n")
    with pytest.raises(FileRejected) as exc:
        list(iter_items(path, "csv"))
    assert str(exc.value) == MSG_CSV_COLUMNS.format(missing="local_id, title", found="name, writer")


def test_csv_column_mapping(tmp_path):
    path = tmp_path / "mapped.csv"
    path.write_text("Acc No,Book Name\n77,Tarikh\n")
    (row,) = read(path, "csv", {"mapping": {"local_id": "Acc No", "title": "Book Name"}})
    assert row["local_id"] == "77" and row["fields"]["title"] == "Tarikh"


def test_formats_from_leader_008_502_and_007():
    assert read(TRLN / "unc" / "thesis1.mrc", "marc")[0]["fields"]["format"] == "thesis"
    assert read(TRLN / "unc" / "thesis2.mrc", "marc")[0]["fields"]["format"] == "thesis"
    assert read(TRAJECT / "online_only.marc", "marc")[0]["fields"]["format"] == "ebook"
    assert read(TRAJECT / "musical_cage.marc", "marc")[0]["fields"]["format"] in ("score", "audio")


def test_holdings_from_koha_952(tmp_path):
    from pymarc import Field, Indicators, Record, Subfield

    record = Record(leader="00000nam a2200000 a 4500")
    record.add_field(Field(tag="001", data="K1"))
    record.add_field(Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "Tarikh")]))
    for barcode, lost in (("111", "0"), ("222", "1")):
        record.add_field(
            Field(
                tag="952",
                indicators=Indicators(" ", " "),
                subfields=[
                    Subfield("a", "MAIN"),
                    Subfield("o", "954.9 T"),
                    Subfield("p", barcode),
                    Subfield("1", lost),
                ],
            )
        )
    path = tmp_path / "koha.mrc"
    path.write_bytes(record.as_marc())
    (result,) = read(path, "marc")
    assert [(h["barcode"], h["status"]) for h in result["holdings"]] == [
        ("111", "available"),
        ("222", "missing"),
    ]
    assert result["holdings"][0]["call_number"] == "954.9 T"


def test_edition_and_volume_keys():
    assert edition_key("2nd ed.") == edition_key("Second edition") == edition_key("2. Aufl.") == "2"
    assert edition_key("") == ""
    assert volume_key("v. 2") == volume_key("Vol. II") == volume_key("jild 2") == "2"


def test_utf8_binary_records_are_stored_byte_for_byte():
    data = (TRAJECT / "george_eliot.marc").read_bytes()
    (record,) = read(TRAJECT / "george_eliot.marc", "marc")
    assert record["marc"] == data


def test_marcxml_is_stored_as_equivalent_marc21():
    import pymarc

    xml = read(TRAJECT / "test_data.utf8.marc.xml", "marcxml")[0]
    stored = pymarc.Record(data=xml["marc"], to_unicode=True, force_utf8=True)
    original = pymarc.parse_xml_to_array(str(TRAJECT / "test_data.utf8.marc.xml"))[0]
    assert [str(f) for f in stored.fields] == [str(f) for f in original.fields]


def test_csv_in_a_legacy_encoding_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,title\n1,Ok\n2,Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(FileRejected, match=r"not UTF-8 text \(bad byte near line \d+\)"):
        list(iter_items(path, "csv"))


def _binary_items():
    for path in sorted(SHARED.rglob("*")):
        if path.suffix in (".mrc", ".marc"):
            try:
                items = list(iter_items(path, "marc"))
            except FileRejected:
                continue
            yield from ((path.name, item) for item in items if item[0] == "marc")


def _odd_records() -> list[bytes]:
    """Well-formed UTF-8 records but for one thing the lean decoder leaves to pymarc."""

    def record(indicators=("1", "0"), code="a") -> bytes:
        built = pymarc.Record(leader="00000nam a2200000 a 4500")
        built.add_field(pymarc.Field(tag="001", data="ODD1"))
        subfields = [pymarc.Subfield(code, "Odd")]
        built.add_field(
            pymarc.Field(tag="245", indicators=pymarc.Indicators(*indicators), subfields=subfields)
        )
        return built.as_marc()

    base = record()
    return [
        record(indicators=("", "")),  # no indicators
        record(indicators=("1", "")),  # one indicator
        record(code="\u00e9"),  # a subfield code that is not ASCII
        base.replace(b"\x1faOdd", b"\x1fa\xff\xfed"),  # a subfield that is not UTF-8
        base[:27] + b"00x5" + base[31:],  # a directory length that is not a number
        base[:36] + b"ABC" + base[39:],  # a data field tagged in letters: read by both
    ]


def test_the_lean_utf8_decoder_reads_every_record_as_pymarc_does(monkeypatch):
    # Given every UTF-8 binary record in the shared data and some odd ones
    items = list(_binary_items())
    items += [(f"odd-{n}", ("marc", n, raw)) for n, raw in enumerate(_odd_records())]
    utf8 = [(name, item) for name, item in items if item[2][9:10] == b"a"]
    assert len(utf8) > 100
    # When each is processed by the lean decoder and by pymarc alone
    lean = [process_item(item) for _name, item in utf8]
    monkeypatch.setattr(marc, "_decode_utf8", lambda data: None)
    by_pymarc = [process_item(item) for _name, item in utf8]
    # Then the results (fields, holdings, richness, or the error) are the same
    for (name, item), a, b in zip(utf8, lean, by_pymarc, strict=True):
        assert a == b, (name, item[1])
    # and the lean decoder read the usual records itself, leaving the odd ones to pymarc
    monkeypatch.undo()
    declined = [name for name, item in utf8 if marc._decode_utf8(item[2]) is None]
    assert {f"odd-{n}" for n in range(5)} <= set(declined) and "odd-5" not in declined
    assert len(declined) < len(utf8) / 10
