"""Write urdu-books.xml: MARCXML records of well-known Urdu books for the demo catalogue.

Pakistani and foreign catalogues record Urdu titles three ways, and the demo shows each:
in ALA-LC romanization with the Urdu-script title in a linked 880 ("both"), in
romanization only, and in Urdu script only. Titles, authors and first editions are of
the books themselves; romanization follows the ALA-LC Urdu table.

Run: .venv/bin/python catalogue/demo_data/build_urdu_books.py (the output is committed).
"""

from __future__ import annotations

from pathlib import Path

import pymarc

# (id, how catalogued, romanized title, Urdu title, romanized author, Urdu author, year, publisher, place)
BOOKS = [
    (
        "URDU-001",
        "both",
        "Āg kā daryā",
        "آگ کا دریا",
        "Ḥaidar, Qurratulʻain,",
        "حیدر، قرۃالعین",
        1959,
        "Maktabah-yi Jadīd",
        "Lāhaur",
    ),
    (
        "URDU-002",
        "both",
        "Udās nasleṉ",
        "اداس نسلیں",
        "Ḥusain, ʻAbdullāh,",
        "حسین، عبداللہ",
        1963,
        "Nayā Idārah",
        "Lāhaur",
    ),
    (
        "URDU-003",
        "script",
        "Rājah gidh",
        "راجہ گدھ",
        "Qudsiyah, Bāno,",
        "قدسیہ، بانو",
        1981,
        "Sang-i Mīl Pablīkeshanz",
        "Lāhaur",
    ),
    (
        "URDU-004",
        "both",
        "Bāng-i darā",
        "بانگ درا",
        "Iqbāl, Muḥammad,",
        "اقبال، محمد",
        1924,
        "Kapūr Āraṭ Printing Varks",
        "Lāhaur",
    ),
    (
        "URDU-005",
        "roman",
        "Dīvān-i Ghālib",
        "دیوان غالب",
        "Ghālib, Mirzā Asadullāh Khān,",
        "غالب، مرزا اسد اللہ خان",
        1841,
        "Maṭbaʻ-i Sayyid al-Akhbār",
        "Dihlī",
    ),
    (
        "URDU-006",
        "roman",
        "Khudā kī bastī",
        "خدا کی بستی",
        "Ṣiddīqī, Shaukat,",
        "صدیقی، شوکت",
        1958,
        "Maktabah-yi Jadīd",
        "Lāhaur",
    ),
    (
        "URDU-007",
        "script",
        "Bastī",
        "بستی",
        "Ḥusain, Intiẓār,",
        "حسین، انتظار",
        1979,
        "Sang-i Mīl Pablīkeshanz",
        "Lāhaur",
    ),
    (
        "URDU-008",
        "both",
        "Shahāb nāmah",
        "شہاب نامہ",
        "Shahāb, Qudratullāh,",
        "شہاب، قدرت اللہ",
        1987,
        "Sang-i Mīl Pablīkeshanz",
        "Lāhaur",
    ),
    (
        "URDU-009",
        "roman",
        "Umrāʼo Jān Adā",
        "امراؤ جان ادا",
        "Rusvā, Mirzā Muḥammad Hādī,",
        "رسوا، مرزا محمد ہادی",
        1899,
        "Gulzār-i Muḥammadī",
        "Lakhnaʼū",
    ),
    (
        "URDU-010",
        "script",
        "Siyāh ḥāshiye",
        "سیاہ حاشیے",
        "Manṭo, Saʻādat Ḥasan,",
        "منٹو، سعادت حسن",
        1948,
        "Maktabah-yi Jadīd",
        "Lāhaur",
    ),
    (
        "URDU-011",
        "both",
        "Naqsh-i faryādī",
        "نقش فریادی",
        "Faiẓ, Faiẓ Aḥmad,",
        "فیض، فیض احمد",
        1941,
        "Maktabah-yi Urdū",
        "Lāhaur",
    ),
    (
        "URDU-012",
        "script",
        "Ẓarb-i kalīm",
        "ضرب کلیم",
        "Iqbāl, Muḥammad,",
        "اقبال، محمد",
        1936,
        "Kapūr Āraṭ Printing Varks",
        "Lāhaur",
    ),
    (
        "URDU-013",
        "both",
        "Mirʼāt al-ʻarūs",
        "مرآۃ العروس",
        "Aḥmad, Naẕīr,",
        "احمد، نذیر",
        1869,
        "Maṭbaʻ-i Mujtabāʼī",
        "Dihlī",
    ),
    (
        "URDU-014",
        "roman",
        "ʻAlī Pūr kā Ailī",
        "علی پور کا ایلی",
        "Muftī, Mumtāz,",
        "مفتی، ممتاز",
        1961,
        "Nayā Idārah",
        "Lāhaur",
    ),
    (
        "URDU-015",
        "both",
        "Pākistān kī tārīkh",
        "پاکستان کی تاریخ",
        "Qureshī, Ishtiyāq Ḥusain,",
        "قریشی، اشتیاق حسین",
        1967,
        "Anjuman-i Taraqqī-yi Urdū",
        "Karācī",
    ),
    (
        "URDU-016",
        "script",
        "Jangal kī kahāniyāṉ",
        "جنگل کی کہانیاں",
        "Ḥusain, Intiẓār,",
        "حسین، انتظار",
        1985,
        "Sang-i Mīl Pablīkeshanz",
        "Lāhaur",
    ),
]


def _field(tag: str, ind: str, subfields: list[tuple[str, str]]) -> pymarc.Field:
    return pymarc.Field(
        tag=tag, indicators=list(ind), subfields=[pymarc.Subfield(code, value) for code, value in subfields]
    )


def record(book: tuple) -> pymarc.Record:
    ident, how, title, title_ur, author, author_ur, year, publisher, place = book
    rec = pymarc.Record(force_utf8=True, leader="00000cam a2200000 i 4500")
    rec.add_field(pymarc.Field(tag="001", data=ident))
    rec.add_field(pymarc.Field(tag="008", data=f"000000s{year}    pk            000 1 urd d"))
    script = how == "script"
    name = author_ur if script else author
    name_field = [("a", name)] + ([("6", "880-01")] if how == "both" else [])
    rec.add_field(_field("100", "1 ", name_field))
    title_field = [("a", (title_ur if script else title) + " /"), ("c", name.rstrip(","))]
    rec.add_field(_field("245", "10", title_field + ([("6", "880-02")] if how == "both" else [])))
    rec.add_field(_field("264", " 1", [("a", place + " :"), ("b", publisher + ","), ("c", str(year))]))
    rec.add_field(_field("650", " 0", [("a", "Urdu literature.")]))
    if how == "both":
        rec.add_field(_field("880", "1 ", [("6", "100-01/(3/r"), ("a", author_ur)]))
        rec.add_field(_field("880", "10", [("6", "245-02/(3/r"), ("a", title_ur)]))
    return rec


def main() -> None:
    out = Path(__file__).with_name("urdu-books.xml")
    with out.open("wb") as handle:
        writer = pymarc.XMLWriter(handle)
        for book in BOOKS:
            writer.write(record(book))
        writer.close()
    print(f"wrote {len(BOOKS)} records to {out}")  # noqa: T201


if __name__ == "__main__":
    main()
