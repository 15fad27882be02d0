"""Union catalogue search benchmark (issue #4): API, bare SQL and tantivy over the same records.

    .venv/bin/python benchmarks/search_bench.py --records 200000

Loads a synthetic catalogue (default 1,000,000 records; 200 libraries in 7 provinces,
about 2.6 holding libraries a record, 10% Urdu-script titles, Zipf-distributed words) by
COPY into its own database (ish_bench on DATABASE_URL's server, or --db-url), unless it
already holds that many records. Holdings are loaded as the denormalised library/province
arrays that catalogue.indexing.refresh_holding_arrays writes: search reads nothing else.
Then runs a fixed query mix (one word, several words, phrase, author, ISBN, Urdu; each with
and without facet filters) and prints p50/p95/p99 of:
  * the API search (GET /api/v1/records/ in-process: parse, one SQL statement with facet
    counts, serialization, and suggestions when results are few),
  * the bare SQL statement of the same searches,
  * tantivy (Lucene-class, PyPI tantivy==0.27.0, in requirements.txt) over the same
    records with the same facets (terms aggregations),
and the results page throughput with 16 concurrent clients against gunicorn (loopback).

Browsing (no query; no query + one facet; no query + two facets, the values a user would
click in the facet lists) is timed twice per browse: "first after a change" (a record
carrying the chosen values changed, so the filtered counts are counted afresh) and
"remembered" (the same browse again, nothing it counts changed). Then one import-like
batch of 1,000 records for one library shows how many remembered browses it makes stale.
"""

from __future__ import annotations

import argparse
import atexit
import io
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run_all import ensure_database  # noqa: E402

SEED = 20261122
N_LIBRARIES = 200
PROVINCES = ["PB", "SD", "KP", "BA", "IS", "GB", "AJK"]
PROVINCE_WEIGHTS = [40, 25, 15, 5, 8, 4, 3]
FORMATS = ["book"] * 80 + ["thesis"] * 8 + ["serial"] * 5 + ["ebook"] * 4 + ["map", "score", "audio"]
URDU_WORDS = [
    "اردو",
    "ادب",
    "تاریخ",
    "پاکستان",
    "شاعری",
    "افسانہ",
    "ناول",
    "غزل",
    "نظم",
    "کلیات",
    "دیوان",
    "مجموعہ",
    "تنقید",
    "تحقیق",
    "اسلام",
    "قرآن",
    "حدیث",
    "سیرت",
    "فقہ",
    "تصوف",
    "فلسفہ",
    "سیاست",
    "معیشت",
    "تعلیم",
    "سائنس",
    "ریاضی",
    "طب",
    "قانون",
    "آئین",
    "جمہوریت",
    "زبان",
    "لغت",
    "قواعد",
    "ترجمہ",
    "سفرنامہ",
    "خودنوشت",
    "سوانح",
    "مکتوبات",
    "خطوط",
    "مضامین",
    "مقالات",
    "انتخاب",
    "جدید",
    "قدیم",
    "اقبال",
    "غالب",
    "میر",
    "فیض",
    "منٹو",
    "لاہور",
    "کراچی",
    "پشاور",
    "کوئٹہ",
    "سندھ",
    "پنجاب",
    "بلوچستان",
    "سرحد",
    "کشمیر",
    "عورت",
    "بچے",
    "نوجوان",
    "معاشرہ",
    "ثقافت",
    "تہذیب",
    "فن",
    "موسیقی",
]
SYLLABLES = [
    "ka",
    "ra",
    "ma",
    "na",
    "ta",
    "la",
    "sa",
    "pa",
    "da",
    "ba",
    "ha",
    "ga",
    "ja",
    "fa",
    "za",
    "sha",
    "cha",
    "qa",
    "wa",
    "ya",
    "ri",
    "mi",
    "ni",
    "ti",
    "li",
    "si",
    "di",
    "bi",
    "ko",
    "ro",
    "mo",
    "no",
    "to",
    "lo",
    "so",
    "do",
    "bo",
    "un",
    "an",
    "in",
    "on",
    "er",
    "ar",
    "ol",
    "el",
    "is",
    "us",
    "ist",
    "ism",
    "ion",
    "ent",
    "al",
    "ic",
    "ory",
    "ure",
]
COMMON = [
    "the",
    "of",
    "and",
    "in",
    "a",
    "to",
    "for",
    "on",
    "history",
    "pakistan",
    "study",
    "studies",
    "introduction",
    "analysis",
    "development",
    "policy",
    "economic",
    "social",
    "law",
    "islam",
    "education",
    "science",
    "theory",
    "practice",
    "management",
    "public",
    "health",
    "modern",
    "new",
    "world",
    "national",
    "research",
    "language",
    "literature",
    "culture",
    "political",
    "university",
]


def make_vocabulary(rng: random.Random, size: int = 40_000) -> list[str]:
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_weights(n: int, s: float = 1.05) -> list[float]:
    total = 0.0
    cum = []
    for rank in range(1, n + 1):
        total += 1.0 / rank**s
        cum.append(total)
    return cum


def isbn13(rng: random.Random) -> str:
    digits = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def hyphenate(isbn: str) -> str:
    return f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"


# --- database ------------------------------------------------------------------------


def setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ["DJANGO_SETTINGS_MODULE"] = "consortium.settings.local"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "search-benchmark-only")
    import django

    django.setup()


def bench_libraries(n: int, rng: random.Random, *, code: str, name: str, name_ur: str = "") -> list:
    """The database's libraries in id order, made up to ``n`` first (universities in the
    provinces by PROVINCE_WEIGHTS, numbered from the ones already there)."""
    from members.models import Library

    libraries = list(Library.objects.order_by("id"))
    if len(libraries) < n:
        Library.objects.bulk_create(
            [
                Library(
                    code=f"{code}{i:03d}",
                    name=f"{name} {i:03d}",
                    name_ur=f"{name_ur} {i:03d}" if name_ur else "",
                    kind="university",
                    city=f"City {i % 40}",
                    province=rng.choices(PROVINCES, PROVINCE_WEIGHTS)[0],
                    email=f"lib{i}@bench.pk",
                )
                for i in range(len(libraries), n)
            ]
        )
        libraries = list(Library.objects.order_by("id"))
    return libraries


def load_catalogue(n_records: int, rng: random.Random) -> dict:
    """COPY a synthetic catalogue in; returns samples for the query mix."""
    from django.core.management import call_command
    from django.db import connection

    from catalogue.indexing import document_parts
    from members.models import PROVINCE_NUMBERS

    call_command("migrate", verbosity=0)
    libraries = bench_libraries(N_LIBRARIES, rng, code="PK-B", name="Bench Library")
    lib_province = {lib.pk: PROVINCE_NUMBERS[lib.province] for lib in libraries}
    lib_ids = list(lib_province)
    lib_weights = zipf_weights(len(lib_ids), 0.8)  # big libraries hold more

    vocab = make_vocabulary(random.Random(SEED))
    cum = zipf_weights(len(vocab))
    authors_last = [w.capitalize() for w in make_vocabulary(random.Random(7), 5000)]
    subjects_pool = [" ".join(rng.choices(vocab[:3000], k=2)).title() for _ in range(3000)]
    samples: dict = {"titles": [], "urdu": [], "authors": [], "isbns": [], "libraries": [], "vocab": vocab}

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM catalogue_bibrecord")
        existing = cur.fetchone()[0]
    if existing == n_records:
        print(f"Reusing the {existing:,} records already loaded.")
    else:
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("TRUNCATE catalogue_bibrecord, catalogue_matchkey CASCADE")
            for index in ("bib_search_gin", "bib_library_ids_gin", "bib_isbns_gin"):
                cur.execute(f"DROP INDEX IF EXISTS {index}")
            cur.execute(
                "CREATE TEMP TABLE stage (title text, title_vernacular text, authors text[], publisher text, "
                "place text, year smallint, language varchar(3), format varchar(12), isbns varchar(13)[], "
                "subjects text[], library_ids int[], province_ids smallint[], created_at timestamptz, "
                "a text, b text, c text, d text)"
            )
        batch = 50_000
        for start in range(0, n_records, batch):
            buf = io.StringIO()
            for _i in range(start, min(start + batch, n_records)):
                urdu = rng.random() < 0.10
                if urdu:
                    words = rng.sample(URDU_WORDS, rng.randint(2, 5))
                    title_vernacular = " ".join(words)
                    title = " ".join(rng.choices(vocab[:200], k=len(words))).capitalize()
                    language = "urd"
                else:
                    k = rng.randint(2, 9)
                    title = " ".join(rng.choices(vocab, cum_weights=cum, k=k)).capitalize()
                    title_vernacular = ""
                    language = rng.choice(["eng"] * 9 + ["ara"])
                authors = [f"{rng.choice(authors_last)}, {rng.choice(authors_last)}"]
                if rng.random() < 0.3:
                    authors.append(f"{rng.choice(authors_last)}, {rng.choice(authors_last)}")
                subjects = rng.sample(subjects_pool, rng.randint(0, 3))
                publisher = rng.choice(["Oxford University Press", "Sang-e-Meel", "Ferozsons", "Routledge"])
                place = rng.choice(["Karachi", "Lahore", "Islamabad", "London", "New York"])
                year = rng.randint(1900, 2025) if rng.random() < 0.97 else rng.randint(1800, 1899)
                isbn = isbn13(rng)
                holders = sorted(
                    set(rng.choices(lib_ids, cum_weights=lib_weights, k=rng.choice((1, 2, 2, 3, 3, 4, 5))))
                )
                provinces = sorted({lib_province[h] for h in holders})
                a, b, c, d = document_parts(
                    {
                        "title": title,
                        "title_vernacular": title_vernacular,
                        "authors": authors,
                        "subjects": subjects,
                        "publisher": publisher,
                        "place": place,
                    }
                )
                created = "2026-01-01 00:00:00+00"
                row = [
                    title,
                    title_vernacular,
                    _arr(authors),
                    publisher,
                    place,
                    str(year),
                    language,
                    rng.choice(FORMATS),
                    _arr([isbn]),
                    _arr(subjects),
                    "{" + ",".join(map(str, holders)) + "}",
                    "{" + ",".join(map(str, provinces)) + "}",
                    created,
                    a,
                    b,
                    c,
                    d,
                ]
                buf.write("\t".join(row) + "\n")
            buf.seek(0)
            with connection.cursor() as cur:
                cur.copy_expert("COPY stage FROM STDIN", buf)
            print(f"  generated and copied {min(start + batch, n_records):,} records", flush=True)
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO catalogue_bibrecord (title, title_vernacular, subtitle, authors, publisher, place,
                  year, edition, language, format, isbns, issns, lccn, oclc_numbers, subjects, summary,
                  match_key, match_keys, volume, search_document, library_ids, province_ids, created_at,
                  updated_at)
                SELECT title, title_vernacular, '', authors, publisher, place, year, '', language, format,
                  isbns, '{}', '', '{}', subjects, '', '', '{}', '',
                  setweight(to_tsvector('simple', a), 'A') || setweight(to_tsvector('simple', b), 'B')
                  || setweight(to_tsvector('simple', c), 'C') || setweight(to_tsvector('simple', d), 'D'),
                  library_ids, province_ids, created_at + (row_number() OVER () * interval '1 second'), now()
                FROM stage
                """
            )
            cur.execute("DROP TABLE stage")
            cur.execute("CREATE INDEX bib_search_gin ON catalogue_bibrecord USING gin (search_document)")
            cur.execute("CREATE INDEX bib_library_ids_gin ON catalogue_bibrecord USING gin (library_ids)")
            cur.execute("CREATE INDEX bib_isbns_gin ON catalogue_bibrecord USING gin (isbns)")
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE catalogue_bibrecord")
        from catalogue.search import refresh_vocabulary

        words = refresh_vocabulary()
        print(
            f"Loaded {n_records:,} records in {time.perf_counter() - t0:.0f} s; vocabulary {words:,} words."
        )
    # Samples come from the stored records (repeatable), so a reused load runs the same mix.
    samples.update(titles=[], urdu=[], authors=[], isbns=[])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT title, title_vernacular, authors[1], isbns[1] FROM catalogue_bibrecord "
            "TABLESAMPLE SYSTEM (2) REPEATABLE (7) ORDER BY id LIMIT 5000"
        )
        for title, vern, author, isbn in cur.fetchall():
            samples["titles"].append(title)
            samples["authors"].append((author or "x,").split(",")[0])
            samples["isbns"].append(isbn)
            if vern:
                samples["urdu"].append(vern)
    samples["libraries"] = [lib.code for lib in libraries]
    with connection.cursor() as cur:  # the subjects the browse page lists first
        cur.execute(
            "SELECT s FROM catalogue_bibrecord, unnest(subjects) AS s GROUP BY s ORDER BY count(*) DESC, s LIMIT 50"
        )
        samples["subjects"] = [row[0] for row in cur.fetchall()]
    return samples


def _arr(values: list[str]) -> str:
    return "{" + ",".join('"' + v.replace('"', "") + '"' for v in values) + "}"


# --- the query mix ------------------------------------------------------------------


def query_mix(samples: dict, rng: random.Random) -> list[tuple[str, str, dict]]:
    """(kind, q, filters): realistic searches, each also with a facet filter."""
    vocab = samples["vocab"]
    base: list[tuple[str, str]] = []
    for rank in (
        rng.sample(range(15, 120), 6) + rng.sample(range(120, 3000), 8) + rng.sample(range(3000, 30000), 8)
    ):
        base.append(("one word", vocab[rank]))
    for title in rng.sample(samples["titles"], 20):
        words = title.lower().split()
        base.append(("several words", " ".join(rng.sample(words, min(len(words), rng.choice((2, 3)))))))
    for title in rng.sample(samples["titles"], 15):
        words = title.lower().split()
        if len(words) >= 2:
            i = rng.randrange(len(words) - 1)
            base.append(("phrase", f'"{words[i]} {words[i + 1]}"'))
    for author in rng.sample(samples["authors"], 15):
        base.append(("author", f"author:{author}"))
    for isbn in rng.sample(samples["isbns"], 10):
        base.append(("ISBN", hyphenate(isbn)))
    for title in rng.sample(samples["urdu"], min(15, len(samples["urdu"]))):
        words = title.split()
        base.append(("Urdu", " ".join(words[: rng.choice((1, 2))])))
    mix = []
    for kind, q in base:
        mix.append((kind, q, {}))
        choice = rng.randrange(3)
        if choice == 0:
            filters = {"library": [rng.choice(samples["libraries"][:40])]}
        elif choice == 1:
            filters = {"province": [rng.choice(PROVINCES[:3])], "format": ["book"]}
        else:
            filters = {"decade": ["2000", "2010"]}
        mix.append((kind + " + facets", q, filters))
    return mix


def browse_mix(samples: dict, rng: random.Random) -> list[tuple[str, dict, str]]:
    """(group, filters, sort) for browsing without a query: facet values users click."""
    libraries = samples["libraries"][:40]
    subjects = samples["subjects"]
    one = [{"library": [code]} for code in rng.sample(libraries, 6)]
    one += [{"province": [p]} for p in PROVINCES[:3]]
    one += [{"format": ["book"]}, {"format": ["thesis"]}, {"format": ["thesis", "serial"]}]
    one += [{"language": ["urd"]}, {"language": ["eng"]}, {"decade": ["2000", "2010"]}, {"decade": ["1950"]}]
    one += [{"subject": [s]} for s in rng.sample(subjects, 3)]
    one += [{"library": rng.sample(libraries, 2)}]
    two = [
        {"province": ["PB"], "format": ["book"]},
        {"province": ["SD"], "language": ["urd"]},
        {"format": ["thesis"], "decade": ["2000", "2010"]},
        {"language": ["eng"], "format": ["book"]},
        {"subject": [rng.choice(subjects)], "format": ["book"]},
    ]
    two += [{"library": [code], "format": ["book"]} for code in rng.sample(libraries, 4)]
    two += [{"library": [code], "decade": ["2010"]} for code in rng.sample(libraries, 4)]
    two += [{"library": rng.sample(libraries, 2), "language": ["urd"]} for _ in range(3)]
    two += [{"province": ["KP"], "subject": [rng.choice(subjects)]}]
    mix = [("browse", {}, "relevance")]
    mix += [("browse sorted", {}, sort) for sort in ("year", "year_asc", "title")]
    mix += [("browse + one facet", f, "relevance") for f in one]
    mix += [("browse + two facets", f, "relevance") for f in two]
    return mix


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fmt(values: list[float]) -> str:
    return f"p50 {pct(values, 50):7.1f}  p95 {pct(values, 95):7.1f}  p99 {pct(values, 99):7.1f}  max {max(values):7.1f} ms"


# --- tantivy ------------------------------------------------------------------------


def build_tantivy(path: str):
    import tantivy
    from django.db import connection

    from catalogue.indexing import document_parts

    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    for name in ("title", "authors", "subjects", "other"):
        sb.add_text_field(name, tokenizer_name="whitespace")
    sb.add_text_field("isbn", tokenizer_name="raw")
    sb.add_unsigned_field("library", indexed=True, fast=True)
    sb.add_unsigned_field("province", indexed=True, fast=True)
    sb.add_text_field("format", tokenizer_name="raw", fast=True)
    sb.add_text_field("language", tokenizer_name="raw", fast=True)
    sb.add_text_field("decade", tokenizer_name="raw", fast=True)
    sb.add_text_field("subject", tokenizer_name="raw", fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    schema = sb.build()
    index = tantivy.Index(schema, path=path)
    writer = index.writer(heap_size=200_000_000, num_threads=2)
    t0 = time.perf_counter()
    from django.db import transaction

    connection.ensure_connection()
    with transaction.atomic(), connection.connection.cursor(name="tantivy_feed") as cur:
        cur.itersize = 20_000
        cur.execute(
            "SELECT id, title, title_vernacular, authors, subjects, publisher, place, isbns, library_ids, "
            "province_ids, format, language, year FROM catalogue_bibrecord"
        )
        for (
            rid,
            title,
            vern,
            authors,
            subjects,
            publisher,
            place,
            isbns,
            libs,
            provs,
            fmt_,
            lang,
            year,
        ) in cur:
            a, b, c, d = document_parts(
                {
                    "title": title,
                    "title_vernacular": vern,
                    "authors": authors,
                    "subjects": subjects,
                    "publisher": publisher,
                    "place": place,
                }
            )
            doc = tantivy.Document()
            doc.add_unsigned("id", rid)
            doc.add_text("title", a)
            doc.add_text("authors", b)
            doc.add_text("subjects", c)
            doc.add_text("other", d)
            for isbn in isbns:
                doc.add_text("isbn", isbn)
            for lib in libs:
                doc.add_unsigned("library", lib)
            for prov in provs:
                doc.add_unsigned("province", prov)
            doc.add_text("format", fmt_)
            doc.add_text("language", lang or "und")
            if year:
                doc.add_text("decade", "pre1900" if year < 1900 else str(year // 10 * 10))
                doc.add_integer("year", year)
            for subject in subjects:
                doc.add_text("subject", subject)
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    print(f"tantivy index built in {time.perf_counter() - t0:.0f} s")
    return index


def tantivy_search(index, q: str, filters: dict, lib_ids: dict, province_numbers: dict):
    import tantivy

    from catalogue.query import Identifier, Words, parse_query

    parsed = parse_query(q)
    schema = index.schema
    node = parsed.tree
    boosts = {"title": 4.0, "authors": 2.0, "subjects": 1.5, "other": 1.0}
    fields_by_weight = {"A": ["title"], "B": ["authors"], "C": ["subjects"], "D": ["other"], "": list(boosts)}

    def words_query(n: Words):
        per_field = []
        for name in fields_by_weight[n.weight]:
            if len(n.words) == 1:
                sub = tantivy.Query.term_query(schema, name, n.words[0])
            else:
                sub = tantivy.Query.phrase_query(schema, name, list(n.words))
            per_field.append((tantivy.Occur.Should, tantivy.Query.boost_query(sub, boosts[name])))
        return tantivy.Query.boolean_query(per_field)

    def convert(n):
        from catalogue.query import And, Not, Or

        if isinstance(n, Words):
            return words_query(n)
        if isinstance(n, Identifier):
            return tantivy.Query.term_query(schema, "isbn", n.value)
        if isinstance(n, And):
            return tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.MustNot, convert(c.child))
                    if isinstance(c, Not)
                    else (tantivy.Occur.Must, convert(c))
                    for c in n.children
                ]
            )
        if isinstance(n, Or):
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, convert(c)) for c in n.children])
        raise TypeError(n)

    clauses = [(tantivy.Occur.Must, convert(node))]
    for name, values in filters.items():
        if name == "library":
            ors = [tantivy.Query.term_query(schema, "library", lib_ids[v]) for v in values]
        elif name == "province":
            ors = [tantivy.Query.term_query(schema, "province", province_numbers[v]) for v in values]
        else:
            ors = [tantivy.Query.term_query(schema, name, v) for v in values]
        clauses.append(
            (tantivy.Occur.Must, tantivy.Query.boolean_query([(tantivy.Occur.Should, o) for o in ors]))
        )
    query = tantivy.Query.boolean_query(clauses)
    searcher = index.searcher()
    result = searcher.search(query, limit=20, count=True)
    aggs = searcher.aggregate(
        query,
        {
            name: {"terms": {"field": name, "size": size}}
            for name, size in (
                ("library", 300),
                ("province", 10),
                ("format", 20),
                ("language", 30),
                ("decade", 30),
                ("subject", 15),
            )
        },
    )
    return result.count, aggs


# --- gunicorn throughput -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throughput(db_url: str, mix: list, seconds: float, clients: int = 16, **extra_env: str) -> None:
    port = free_port()
    env = dict(
        os.environ,
        **extra_env,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="consortium.settings.local",
        DEBUG="false",
        SECRET_KEY="search-benchmark-only",  # noqa: S106 - loopback benchmark server
        LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "consortium.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/v1/records/?q=x", timeout=5).read()  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.2)
        urls = [
            f"{base}/search/?" + urllib.parse.urlencode({"q": q, **filters}, doseq=True)
            for _, q, filters in mix
        ]
        latencies: list[float] = []
        errors = [0]
        deadline = time.perf_counter() + seconds
        lock = threading.Lock()

        def client(n: int) -> None:
            rng = random.Random(n)
            while time.perf_counter() < deadline:
                url = rng.choice(urls)
                t = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - loopback only
                        r.read()
                        ok = r.status == 200
                except Exception:
                    ok = False
                with lock:
                    if ok:
                        latencies.append((time.perf_counter() - t) * 1000)
                    else:
                        errors[0] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
        print(
            f"Results page under {clients} concurrent clients, gunicorn 2 workers, {elapsed:.0f} s"
            f" ({extra_env.get('SEARCH_BACKEND', 'postgres')}): "
            f"{len(latencies) / elapsed:.1f} pages/s, {errors[0]} errors; latency {fmt(latencies)}"
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


# --- main ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432/ish_bench")
    parser.add_argument("--passes", type=int, default=2, help="measured passes over the mix")
    parser.add_argument("--throughput-seconds", type=float, default=20)
    parser.add_argument("--skip-tantivy", action="store_true")
    parser.add_argument("--browse-only", action="store_true", help="only the browse cases (no query)")
    parser.add_argument(
        "--backend", choices=["postgres", "tantivy", "both"], default="both",
        help="which search backend(s) the API runs through (tantivy: manage.py reindex first, timed)",
    )  # fmt: skip
    parser.add_argument("--lag-batches", type=int, default=10, help="import-like batches timed to the index")
    parser.add_argument(
        "--skip-postgres", action="store_true",
        help="time neither the PostgreSQL backend's browses nor its searches (the yardstick still runs)",
    )  # fmt: skip
    parser.add_argument(
        "--reuse-index", action="store_true",
        help="search the tantivy backend's current build if this code can (no reindex timed)",
    )  # fmt: skip
    args = parser.parse_args()

    print(
        f"Search benchmark: {args.records:,} records, {N_LIBRARIES} libraries, 7 provinces, 10% Urdu titles"
    )
    ensure_database(args.db_url)
    setup_django(args.db_url)
    rng = random.Random(SEED)
    samples = load_catalogue(args.records, rng)
    mix = query_mix(samples, random.Random(SEED + 1))
    print(f"Query mix: {len(mix)} searches ({len(mix) // 2} queries, each without and with facet filters)")

    from django.db import connection
    from django.test import Client

    from catalogue.query import parse_query
    from catalogue.search import SearchFilters, clean_filters
    from catalogue.search.backends.postgres import _statement
    from members.models import PROVINCE_NUMBERS, Library

    client = Client(HTTP_HOST="localhost")
    lib_ids = dict(Library.objects.values_list("code", "id"))

    def api(q, filters, sort="relevance"):
        response = client.get("/api/v1/records/", {"q": q, "sort": sort, **filters})
        if response.status_code != 200:
            raise RuntimeError(f"API answered {response.status_code}: {response.content[:300]!r}")
        return response

    def bare_sql(q, filters):
        parsed = parse_query(q)
        cleaned = clean_filters(SearchFilters(**filters), [])
        text, params = _statement(parsed, cleaned, sort="relevance", offset=0, limit=20)
        with connection.cursor() as cur:
            cur.execute(text, params)
            return cur.fetchall()

    if not args.skip_postgres:
        run_browse(samples, args.passes, api)
    if args.browse_only:
        return 0

    index = None
    tmp = None
    if not args.skip_tantivy:
        tmp = tempfile.mkdtemp(prefix="ish-tantivy-")
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        index = build_tantivy(tmp)

    for _kind, q, filters in mix:  # warm caches
        if not args.skip_postgres:
            bare_sql(q, filters)
        if index is not None:
            tantivy_search(index, q, filters, lib_ids, PROVINCE_NUMBERS)

    timings: dict[str, dict[str, list[float]]] = {"api": {}, "sql": {}, "tantivy": {}}
    hits_seen: list[int] = []
    for _ in range(args.passes):
        for kind, q, filters in mix:
            group = kind.split(" + ")[0] + (" + facets" if filters else "")
            if not args.skip_postgres:
                t = time.perf_counter()
                response = api(q, filters)
                timings["api"].setdefault(group, []).append((time.perf_counter() - t) * 1000)
                hits_seen.append(response.json()["count"])
                t = time.perf_counter()
                bare_sql(q, filters)
                timings["sql"].setdefault(group, []).append((time.perf_counter() - t) * 1000)
            if index is not None:
                t = time.perf_counter()
                tantivy_search(index, q, filters, lib_ids, PROVINCE_NUMBERS)
                timings["tantivy"].setdefault(group, []).append((time.perf_counter() - t) * 1000)

    if hits_seen:
        print(f"\nMatches per search: median {statistics.median(hits_seen):,.0f}, max {max(hits_seen):,}")
    for mode, label in (
        ("api", "API search with facet counts (GET /api/v1/records/)"),
        ("sql", "bare SQL statement (hits + count + facets)"),
        ("tantivy", "tantivy 0.27 (top 20 + count + terms aggregations)"),
    ):
        if not timings[mode]:
            continue
        every = [v for values in timings[mode].values() for v in values]
        print(f"\n{label}\n  ALL {len(every):4d} searches   {fmt(every)}")
        for group in sorted(timings[mode]):
            print(f"  {group:24s} {fmt(timings[mode][group])}")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.throughput_seconds > 0 and args.backend != "tantivy" and not args.skip_postgres:
        print()
        throughput(args.db_url, mix, args.throughput_seconds)
    if args.backend in ("tantivy", "both"):
        run_tantivy_backend(args, samples, mix, api)
    return 0


def run_tantivy_backend(args, samples: dict, mix: list, api) -> None:
    """The tantivy backend through the API: reindex timed, the query mix, the browse mix
    right after a change, the results page under 16 clients, and the index's lag after
    import-like batches (a writer applying the outbox every 2 s, as beat and the worker do)."""
    from django.conf import settings

    from catalogue.search import outbox
    from catalogue.search.backends import tantivy_index

    index_dir = ROOT / "var" / f"bench-search-index-{args.records}"
    settings.SEARCH_INDEX_DIR = index_dir
    tantivy_index.forget()
    if args.reuse_index and tantivy_index.state() == "ok":
        print(f"\nSearching the current build, {tantivy_index.current_path()} (no reindex)")
    else:
        t = time.perf_counter()
        built = outbox.reindex()
        print(f"\nmanage.py reindex: {built['documents']:,} records in {time.perf_counter() - t:.0f} s")
    settings.SEARCH_BACKEND = "tantivy"
    for _kind, q, filters in mix:  # warm
        api(q, filters)
    timings: dict[str, list[float]] = {}
    for _ in range(args.passes):
        for kind, q, filters in mix:
            group = kind.split(" + ")[0] + (" + facets" if filters else "")
            t = time.perf_counter()
            api(q, filters)
            timings.setdefault(group, []).append((time.perf_counter() - t) * 1000)
    every = [v for values in timings.values() for v in values]
    print(f"\nAPI search with facet counts, tantivy backend\n  ALL {len(every):4d} searches   {fmt(every)}")
    for group in sorted(timings):
        print(f"  {group:24s} {fmt(timings[group])}")
    browses: dict[str, list[float]] = {}
    for _ in range(args.passes):
        for group, filters, sort in browse_mix(samples, random.Random(SEED + 2)):
            t = time.perf_counter()
            api("", filters, sort)
            browses.setdefault(group, []).append((time.perf_counter() - t) * 1000)
    every = [v for values in browses.values() for v in values]
    print("\nAPI browse with facet counts, tantivy backend (no counts remembered: none needed)")
    print(f"  ALL {len(every):4d} browses    {fmt(every)}")
    for group in sorted(browses):
        print(f"  {group:24s} {fmt(browses[group])}")
    if args.throughput_seconds > 0:
        print()
        throughput(
            args.db_url,
            mix,
            args.throughput_seconds,
            SEARCH_BACKEND="tantivy",
            SEARCH_INDEX_DIR=str(index_dir),
        )
    index_lag(args.lag_batches)
    settings.SEARCH_BACKEND = "postgres"


def index_lag(batches: int) -> None:
    """Seconds from an import-like batch's commit (1,000 records) until a search finds it,
    with a writer applying the outbox every 2 s in another thread (as beat and the worker)."""
    from django.db import connection, connections

    from catalogue.search import outbox, search_catalogue

    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            outbox.apply(wait=True)
            stop.wait(2)
        connections.close_all()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    lags: list[float] = []
    try:
        for n in range(batches):
            marker = f"lagmarker{n}x{random.randrange(10**6)}"
            with connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO catalogue_bibrecord (title, title_vernacular, subtitle, authors, publisher, place,"
                    " year, edition, volume, language, format, isbns, issns, lccn, oclc_numbers, subjects, summary,"
                    " match_key, match_keys, search_document, library_ids, province_ids, created_at, updated_at)"
                    " SELECT title, title_vernacular, subtitle, authors, publisher, place, year, edition, volume,"
                    " language, format, isbns, issns, lccn, oclc_numbers, subjects, summary, 'bench-lag', match_keys,"
                    " search_document || setweight(to_tsvector('simple', %s), 'D'), library_ids, province_ids,"
                    " now(), now() FROM catalogue_bibrecord b ORDER BY b.id LIMIT 1000",
                    [marker],
                )
            committed = time.perf_counter()
            while search_catalogue(q=marker).total < 1000:
                time.sleep(0.05)
            lags.append(time.perf_counter() - committed)
            time.sleep(random.random() * 2)  # batches do not arrive in step with the writer
    finally:
        stop.set()
        thread.join(timeout=60)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM catalogue_bibrecord WHERE match_key = 'bench-lag'")
        outbox.apply(wait=True)
    print(
        f"\nIndex lag after an import-like batch of 1,000 records commits, {batches} batches: "
        f"p50 {pct(lags, 50):.1f} s, p95 {pct(lags, 95):.1f} s, max {max(lags):.1f} s"
    )


def run_browse(samples: dict, passes: int, api) -> None:
    """Time browsing without a query, first after a catalogue change and remembered."""
    from django.db import connection

    from catalogue import browse
    from catalogue.search import SearchFilters, clean_filters

    mix = browse_mix(samples, random.Random(SEED + 2))
    print(f"\nBrowse mix: {len(mix)} browses without a query ({', '.join(sorted({g for g, _, _ in mix}))})")

    def catalogue_changed() -> None:
        # as if records carrying every value had changed: all remembered counts are stale
        with connection.cursor() as cur:
            cur.execute(
                "WITH v AS (SELECT nextval('catalogue_facet_version') AS v) UPDATE catalogue_facetcount"
                " SET changed = v.v, n = CASE WHEN value = 'version' THEN v.v ELSE n END FROM v"
                " WHERE facet = '' AND value IN ('reset', 'version')"
            )

    def bare_sql(filters: dict, sort: str, cached) -> None:
        cleaned = clean_filters(SearchFilters(**filters), [])
        text, params = browse.browse_statement(cleaned, sort=sort, offset=0, limit=20, cached=cached)
        with connection.cursor() as cur:
            cur.execute(text, params)
            cur.fetchall()

    for _group, filters, sort in mix:  # warm the buffers
        api("", filters, sort)
    timings: dict[str, dict[str, list[float]]] = {}
    sizes: dict[str, list[int]] = {}

    def timed(mode: str, group: str, call) -> object:
        t = time.perf_counter()
        out = call()
        timings.setdefault(mode, {}).setdefault(group, []).append((time.perf_counter() - t) * 1000)
        return out

    for _ in range(passes):
        for group, filters, sort in mix:
            catalogue_changed()
            response = timed("api first after a change", group, lambda f=filters, s=sort: api("", f, s))
            sizes.setdefault(group, []).append(response.json()["count"])
            timed("api remembered", group, lambda f=filters, s=sort: api("", f, s))
            cached = browse.recall(clean_filters(SearchFilters(**filters), []))
            timed("sql remembered", group, lambda f=filters, s=sort, c=cached: bare_sql(f, s, c))
            catalogue_changed()
            timed("sql first after a change", group, lambda f=filters, s=sort, c=cached: bare_sql(f, s, c))
    for group in sorted(sizes):
        print(
            f"  {group:24s} records passing the filters: median {statistics.median(sizes[group]):,.0f},"
            f" max {max(sizes[group]):,}"
        )
    for mode, label in (
        ("api remembered", "API browse, counts remembered (nothing they count changed)"),
        ("api first after a change", "API browse, first after a change to records it counts (counted)"),
        ("sql remembered", "bare SQL browse statement, counts remembered"),
        ("sql first after a change", "bare SQL browse statement, first after a change to records it counts"),
    ):
        every = [v for values in timings[mode].values() for v in values]
        print(f"\n{label}\n  ALL {len(every):4d} browses    {fmt(every)}")
        for group in sorted(timings[mode]):
            print(f"  {group:24s} {fmt(timings[mode][group])}")
    stale_after_batch(mix, samples, api)


def stale_after_batch(mix: list, samples: dict, api) -> None:
    """How many remembered browses one import-like batch (1,000 new records of one
    library, copies of existing ones) makes stale, and what browsing costs right after."""
    from django.db import connection

    from catalogue import browse
    from members.models import PROVINCE_NUMBERS, Library

    for _group, filters, sort in mix:
        api("", filters, sort)  # everything remembered
    library = Library.objects.get(code=samples["libraries"][20])
    code = library.code
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO catalogue_bibrecord (title, title_vernacular, subtitle, authors, publisher, place, year,"
            " edition, volume, language, format, isbns, issns, lccn, oclc_numbers, subjects, summary, match_key,"
            " match_keys, search_document, library_ids, province_ids, created_at, updated_at)"
            " SELECT title, title_vernacular, subtitle, authors, publisher, place, year, edition, volume, language,"
            " format, isbns, issns, lccn, oclc_numbers, subjects, summary, 'bench-batch', match_keys,"
            " search_document, ARRAY[%s::int], ARRAY[%s::smallint], now(), now()"
            " FROM catalogue_bibrecord b ORDER BY b.id LIMIT 1000",
            [library.pk, PROVINCE_NUMBERS[library.province]],
        )
    counted = []
    remember = browse.remember
    browse.remember = lambda *args: counted.append(args[0]) or remember(*args)
    try:
        times = {}
        for _group, filters, sort in mix:
            before = len(counted)
            t = time.perf_counter()
            api("", filters, sort)
            times.setdefault("stale" if len(counted) > before else "still current", []).append(
                (time.perf_counter() - t) * 1000
            )
    finally:
        browse.remember = remember
        with connection.cursor() as cur:
            cur.execute("DELETE FROM catalogue_bibrecord WHERE match_key = 'bench-batch'")
    filtered = sum(1 for _g, f, _s in mix if f)
    print(
        f"\nAfter one batch of 1,000 new records held by {code}: {len(counted)} of the {filtered} filtered"
        " browses had to count again"
    )
    for kind in sorted(times):
        print(f"  {kind:24s} {fmt(times[kind])}")


if __name__ == "__main__":
    sys.exit(main())
