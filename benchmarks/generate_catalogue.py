"""Generate a realistic synthetic union catalogue: one MARC21 file per library.

Titles are held by several libraries (1 + a geometric number of extra holders, so most
titles are held by 2 or more), ~10% are Urdu (romanized 245 with an Arabic-script 880
partner, Urdu or Arabic code points for yeh/kaf/heh as real records mix them), and each
library's copy is catalogued a little differently: ISBNs missing, typos in titles,
different punctuation, a missing 008 date that 264 $c still gives. Some titles come in
a second edition or as an e-book (separate manifestations that must NOT merge).

Memory stays flat: title i is generated from its own seed and written at once to the
files of the libraries that hold it.

    .venv/bin/python benchmarks/generate_catalogue.py --records 100000 --libraries 50 --out /tmp/cat100k
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield

SYLLABLES = [
    "ka",
    "ra",
    "ma",
    "na",
    "ta",
    "sa",
    "la",
    "pa",
    "da",
    "ba",
    "ha",
    "ja",
    "za",
    "ya",
    "wa",
    "qa",
    "ga",
    "fa",
    "sha",
    "kha",
    "cha",
    "ri",
    "mi",
    "ni",
    "ti",
    "si",
    "li",
    "pi",
    "di",
    "bi",
    "hu",
    "ju",
    "zu",
    "yu",
]
ENGLISH = [
    "history",
    "of",
    "the",
    "economy",
    "law",
    "science",
    "introduction",
    "modern",
    "pakistan",
    "islamic",
    "society",
    "politics",
    "culture",
    "studies",
    "principles",
    "education",
    "management",
    "chemistry",
    "physics",
    "mathematics",
    "engineering",
    "agriculture",
    "medicine",
    "health",
    "development",
    "public",
    "policy",
    "theory",
    "practice",
    "literature",
    "language",
    "poetry",
    "philosophy",
    "religion",
    "state",
    "water",
    "energy",
    "climate",
    "women",
    "children",
    "rural",
    "urban",
    "industry",
    "trade",
    "finance",
    "banking",
    "accounting",
    "computer",
    "systems",
]
URDU = [
    ("tarikh", "تاریخ", "تاريخ"),
    ("adab", "ادب", "ادب"),
    ("kitab", "کتاب", "كتاب"),
    ("pakistan", "پاکستان", "پاكستان"),
    ("ki", "کی", "كي"),
    ("ka", "کا", "كا"),
    ("aur", "اور", "اور"),
    ("zaban", "زبان", "زبان"),
    ("shairi", "شاعری", "شاعري"),
    ("naya", "نیا", "نيا"),
    ("dunya", "دنیا", "دنيا"),
    ("islam", "اسلام", "اسلام"),
    ("ilm", "علم", "علم"),
    ("qanun", "قانون", "قانون"),
    ("mulk", "ملک", "ملك"),
    ("tahzib", "تہذیب", "تهذيب"),
    ("afsane", "افسانے", "افسانے"),
    ("ghazal", "غزل", "غزل"),
    ("safar", "سفر", "سفر"),
    ("zindagi", "زندگی", "زندگي"),
    ("hayat", "حیات", "حيات"),
    ("mazamin", "مضامین", "مضامين"),
    ("tanqid", "تنقید", "تنقيد"),
    ("nazm", "نظم", "نظم"),
]
PUBLISHERS = [
    "Oxford University Press",
    "Sang-e-Meel Publications",
    "Ferozsons",
    "Maktaba-yi Jadid",
    "Idarah-yi Saqafat-i Islamiyah",
    "Vanguard Books",
    "Routledge",
    "Anjuman-i Taraqqi-yi Urdu",
]
PLACES = ["Lahore", "Karachi", "Islamabad", "Peshawar", "Quetta", "London", "New York"]
SURNAMES = [
    "Khan",
    "Ahmad",
    "Hussain",
    "Qureshi",
    "Siddiqui",
    "Malik",
    "Chaudhry",
    "Rizvi",
    "Jafri",
    "Baig",
    "Hyder",
    "Faiz",
    "Iqbal",
    "Smith",
    "Jones",
    "Zaidi",
    "Naqvi",
    "Abbasi",
    "Shah",
    "Bukhari",
]
GIVEN = ["Muhammad", "Ali", "Fatima", "Ayesha", "Hasan", "Zainab", "Imran", "Sadia", "Bilal", "Amna", "Omar"]


def _isbn13(rng: random.Random) -> str:
    core = "978969" + "".join(str(rng.randint(0, 9)) for _ in range(6))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(core))
    return core + str((10 - total % 10) % 10)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 6:
        return text
    i = rng.randint(1, len(text) - 3)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def title_data(i: int) -> dict:
    """Everything about title i, from its own seed."""
    rng = random.Random(i * 7919 + 17)
    urdu = rng.random() < 0.10
    if urdu:
        words = [rng.choice(URDU) for _ in range(rng.randint(3, 5))]
        title = " ".join(w[0] for w in words).capitalize()
        vernacular = (" ".join(w[1] for w in words), " ".join(w[2] for w in words))
        lang = "urd"
    else:
        words = [rng.choice(ENGLISH) for _ in range(rng.randint(2, 4))]
        words += ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))]
        title = " ".join(words).capitalize()
        vernacular = None
        lang = "eng"
    variant = rng.random()
    return {
        "title": title,
        "subtitle": " ".join(rng.choice(ENGLISH) for _ in range(3)) if rng.random() < 0.4 else "",
        "vernacular": vernacular,
        "author": f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}{rng.randint(1, 999)}",
        "year": rng.randint(1950, 2024),
        "isbn": _isbn13(rng) if rng.random() < 0.7 else "",
        "publisher": rng.choice(PUBLISHERS),
        "place": rng.choice(PLACES),
        "edition": "2nd ed." if variant < 0.05 else "",
        "ebook": 0.05 <= variant < 0.08,
        "lang": lang,
        "holders": 1 + min(int(rng.expovariate(0.6)), 12),
        "rng_seed": rng.randint(0, 2**31),
    }


def marc_for(t: dict, library: int, copy_rng: random.Random, local_id: str) -> bytes:
    record = Record(leader="00000nam a2200000 a 4500")
    record.add_field(Field(tag="001", data=local_id))
    year = str(t["year"]) if copy_rng.random() > 0.05 else "    "
    form = "o" if t["ebook"] else " "
    record.add_field(
        Field(tag="008", data=f"240101s{year}    pk           {form}000 0 {t['lang']} d"[:40].ljust(40))
    )
    if t["ebook"]:
        record.add_field(Field(tag="007", data="cr |||||||||||"))
    if t["isbn"] and copy_rng.random() > 0.25:  # many libraries do not record the ISBN
        isbn = t["isbn"] if copy_rng.random() > 0.5 else f"{t['isbn'][3:]} (pbk.)"
        if len(isbn) > 13 and not isbn.startswith("978"):
            core = t["isbn"][3:12]
            check = sum((10 - i) * int(c) for i, c in enumerate(core)) % 11
            isbn = core + ("X" if (11 - check) % 11 == 10 else str((11 - check) % 11))
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    link = [Subfield("6", "880-01")] if t["vernacular"] else []
    record.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", t["author"] + ",")])
    )
    title = _typo(copy_rng, t["title"]) if copy_rng.random() < 0.03 else t["title"]
    subs = [*link, Subfield("a", title + (" :" if t["subtitle"] else " /"))]
    if t["subtitle"]:
        subs.append(Subfield("b", t["subtitle"] + " /"))
    subs.append(Subfield("c", t["author"].split(",")[0] + "."))
    record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=subs))
    if t["edition"]:
        record.add_field(
            Field(tag="250", indicators=Indicators(" ", " "), subfields=[Subfield("a", t["edition"])])
        )
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[
                Subfield("a", t["place"] + " :"),
                Subfield("b", t["publisher"] + ","),
                Subfield("c", f"{t['year']}."),
            ],
        )
    )
    record.add_field(
        Field(
            tag="650",
            indicators=Indicators(" ", "0"),
            subfields=[Subfield("a", "Pakistan"), Subfield("x", "History.")],
        )
    )
    if t["vernacular"]:
        script = t["vernacular"][copy_rng.random() < 0.5]
        record.add_field(
            Field(
                tag="880",
                indicators=Indicators("1", "0"),
                subfields=[Subfield("6", "245-01/(3/r"), Subfield("a", script)],
            )
        )
    for n in range(1 if copy_rng.random() < 0.8 else 2):
        record.add_field(
            Field(
                tag="852",
                indicators=Indicators(" ", " "),
                subfields=[
                    Subfield("b", "Main"),
                    Subfield("h", f"DS{copy_rng.randint(1, 999)}"),
                    Subfield("p", f"L{library}-{local_id}-{n}"),
                ],
            )
        )
    return record.as_marc()


def generate(records: int, libraries: int, out: Path, seed: int = 1) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    files = [open(out / f"library-{n:03d}.mrc", "wb") for n in range(libraries)]  # noqa: SIM115
    written = 0
    titles = 0
    try:
        while written < records:
            t = title_data(titles + seed * 10_000_000)
            rng = random.Random(t["rng_seed"])
            holders = rng.sample(range(libraries), min(t["holders"], libraries))
            for library in holders:
                if written >= records:
                    break
                files[library].write(marc_for(t, library, rng, f"T{titles:08d}"))
                written += 1
            titles += 1
    finally:
        for fh in files:
            fh.close()
    return {"records": written, "titles": titles, "libraries": libraries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--libraries", type=int, default=50, help="20 to 200")
    parser.add_argument("--out", type=Path, required=True, help="directory for the per-library files")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = generate(args.records, args.libraries, args.out, args.seed)
    print(
        f"{result['records']} records of {result['titles']} titles in {result['libraries']} files -> {args.out}"
    )


if __name__ == "__main__":
    main()
