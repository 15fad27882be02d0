"""Mutation fuzzing of the MARC21 reader (catalogue.marc) over the shared real records.

Thousands of files, each a few real records around one damaged in a known way (bit
flips, truncation, wrong lengths in the leader, random directory bytes, damaged, missing
or stray end-of-record bytes, garbage), and whole shared files damaged at random places.
Read at the parsing layer (iter_items, process_item), as parser processes do, with the
lean UTF-8 decoder and with pymarc alone: no traceback, no hang, and every undamaged record
around a damaged one comes out as it does on its own. Fixed seeds: a failure is replayed
by its case number.
"""

from __future__ import annotations

import contextlib
import random
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalogue import marc
from catalogue.marc import FileRejected, iter_items, process_item
from tests.catalogue.conftest import SHARED

pytestmark = pytest.mark.shared_data

SEED = 20_261_205
# Seconds one file may take (a few records: milliseconds); past it the file hangs the reader.
TIME_BOUND = 5


def _shared_binary_files() -> list[Path]:
    return sorted(p for p in SHARED.rglob("*") if p.suffix in (".mrc", ".marc"))


def _shared_records() -> list[bytes]:
    records = []
    for path in _shared_binary_files():
        for part in path.read_bytes().split(b"\x1d")[:-1]:
            part = part.lstrip(b"\r\n\x00 ")
            if part:
                records.append(part + b"\x1d")
    return records


def _base(record: bytes) -> int:
    """Where the directory ends (its leader's base address), or the record's end."""
    head = record[12:17]
    return int(head) if head.isdigit() and 24 < int(head) < len(record) else len(record)


def _bit_flips(rng: random.Random, record: bytes) -> bytes:
    data = bytearray(record)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _truncated(rng: random.Random, record: bytes) -> bytes:
    cut = record[: rng.randrange(len(record))]
    return cut + b"\x1d" if rng.random() < 0.5 else cut


def _record_length(rng: random.Random, record: bytes) -> bytes:
    length = rng.choice(
        [f"{rng.randrange(100_000):05d}", f"{len(record) + rng.randint(-30, 30):05d}", "0000x"]
    )
    return length.encode() + record[5:]


def _base_address(rng: random.Random, record: bytes) -> bytes:
    return record[:12] + f"{rng.randrange(100_000):05d}".encode() + record[17:]


def _directory_bytes(rng: random.Random, record: bytes) -> bytes:
    data = bytearray(record)
    end = _base(record)
    start = 24 if end > 24 else 0
    for _ in range(rng.randint(1, 6)):
        data[rng.randrange(start, end)] = rng.randrange(256)
    return bytes(data)


def _terminator_damaged(rng: random.Random, record: bytes) -> bytes:
    return record[:-1] + bytes([rng.choice([b for b in range(256) if b != 0x1D])])


def _terminator_missing(rng: random.Random, record: bytes) -> bytes:
    return record[:-1]


def _stray_terminator(rng: random.Random, record: bytes) -> bytes:
    at = rng.randrange(len(record))
    return record[:at] + b"\x1d" + record[at + rng.randint(0, 1) :]


def _field_terminators(rng: random.Random, record: bytes) -> bytes:
    data = bytearray(record)
    ends = [n for n, byte in enumerate(data) if byte == 0x1E]
    for n in rng.sample(ends, min(len(ends), rng.randint(1, 3))):
        data[n] = rng.randrange(256)
    return bytes(data)


def _garbage(rng: random.Random, record: bytes) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))


def _spliced(rng: random.Random, record: bytes) -> bytes:
    """A piece of the record repeated inside it (a botched copy)."""
    a, b = sorted(rng.randrange(len(record)) for _ in range(2))
    at = rng.randrange(len(record))
    return record[:at] + record[a:b] + record[at:]


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _bit_flips,
    _truncated,
    _record_length,
    _base_address,
    _directory_bytes,
    _terminator_damaged,
    _terminator_missing,
    _stray_terminator,
    _field_terminators,
    _garbage,
    _spliced,
]


@contextlib.contextmanager
def _time_bound(case: str) -> Iterator[None]:
    """The block fails (instead of hanging the suite) when it runs past TIME_BOUND."""

    def expired(signum, frame):
        raise TimeoutError(f"{case}: reading took over {TIME_BOUND} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _read(path: Path, fmt: str, case: str) -> list[dict]:
    """Every record's result (without its number), or [] when the file is refused as a whole."""
    with _time_bound(case):
        try:
            results = [process_item(item) for item in iter_items(path, fmt)]
        except FileRejected:
            return []
    assert [r["number"] for r in results] == list(range(1, len(results) + 1)), case
    for result in results:
        del result["number"]
    return results


@pytest.fixture(scope="module")
def shared_records() -> list[tuple[bytes, dict]]:
    """Each shared binary record with its result when read on its own."""
    out = []
    for raw in _shared_records():
        result = process_item(("marc", 0, raw))
        del result["number"]
        out.append((raw, result))
    assert len(out) > 200
    return out


@pytest.mark.parametrize(("decoder", "files"), [("lean", 3000), ("pymarc", 1000)])
def test_a_damaged_record_costs_only_itself(tmp_path, monkeypatch, shared_records, decoder, files):
    # Given files of undamaged records around one damaged in one of MUTATIONS' ways
    if decoder == "pymarc":
        monkeypatch.setattr(marc, "_decode_utf8", lambda data: None)
    rng = random.Random(f"{SEED}-{decoder}")
    path = tmp_path / "sandwich.mrc"
    lost: list[str] = []
    for case in range(files):
        mutate = MUTATIONS[case % len(MUTATIONS)]
        damaged = mutate(rng, rng.choice(shared_records)[0])
        if case % 5 == 0:  # now and then two damaged records in a row
            damaged += rng.choice(MUTATIONS)(rng, rng.choice(shared_records)[0])
        before = [rng.choice(shared_records) for _ in range(rng.randint(0, 2))]
        after = [rng.choice(shared_records) for _ in range(rng.randint(1, 2))]
        path.write_bytes(b"".join(raw for raw, _ in before) + damaged + b"".join(raw for raw, _ in after))
        # When the file is read
        results = _read(path, "marc", f"{decoder} case {case} ({mutate.__name__})")
        # Then every undamaged record comes out as it does on its own, in its place (what
        # the damaged bytes give in between is theirs: errors, or a record that survived)
        expected_before = [result for _, result in before]
        expected_after = [result for _, result in after]
        if (
            len(results) < len(before) + len(after)
            or results[: len(before)] != expected_before
            or results[len(results) - len(after) :] != expected_after
        ):
            lost.append(f"case {case} ({mutate.__name__})")
    assert not lost, f"good records lost around {len(lost)} damaged ones: {lost[:10]}"


def test_damaged_shared_files_never_crash_or_hang_the_reader(tmp_path, shared_records):
    # Given each shared file (binary and MARCXML) damaged again and again at random places
    rng = random.Random(SEED)
    files = sorted(p for p in SHARED.rglob("*") if p.suffix in (".mrc", ".marc", ".xml"))
    cases = 0
    for path in files:
        original = path.read_bytes()
        for round_ in range(6):
            data = original
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(data))
                piece = data[at : at + rng.randint(1, 2000)]
                data = (
                    data[:at]
                    + MUTATIONS[rng.randrange(len(MUTATIONS))](rng, piece + b"\x1d")
                    + data[at + len(piece) :]
                )
            damaged = tmp_path / path.name
            damaged.write_bytes(data)
            # When it is read, then it gives results or is refused as a whole: no traceback, no hang
            _read(damaged, "marcxml" if path.suffix == ".xml" else "marc", f"{path.name} round {round_}")
            cases += 1
    assert cases > 1500


def test_a_record_ending_where_the_reader_reads_on_is_followed_by_the_rest(tmp_path, shared_records):
    # Given a file whose first block leaves exactly the reader's lookahead after a record
    # (it then read on forever instead of reading more of the file)
    first, rest = shared_records[0][0], [raw for raw, _ in shared_records[1:]] * 20
    padding = b"\n" * ((1 << 20) - marc._LOOKAHEAD - len(first))
    path = tmp_path / "edge.mrc"
    path.write_bytes(first + padding + b"".join(rest))
    # When it is split into records, then every record comes out
    with _time_bound("edge"):
        items = list(iter_items(path, "marc"))
    assert [item[2] for item in items] == [first, *rest]


def test_damaged_records_across_the_readers_blocks_cost_only_themselves(tmp_path, shared_records):
    # Given a file of some megabytes (read in several blocks) with a damaged end-of-record
    # byte here and there, some right at a block's edge
    rng = random.Random(SEED)
    raws = [rng.choice(shared_records)[0] for _ in range(4000)]
    damaged = set(rng.sample(range(len(raws)), 60))
    offset, edges = 0, []
    for n, raw in enumerate(raws):
        offset += len(raw)
        if offset // (1 << 20) != (offset - len(raw)) // (1 << 20):
            edges += [n - 1, n, n + 1]
    damaged |= {n for n in edges if 0 <= n < len(raws)}
    path = tmp_path / "large.mrc"
    path.write_bytes(b"".join(raw[:-1] + b"#" if n in damaged else raw for n, raw in enumerate(raws)))
    assert path.stat().st_size > 3 << 20
    # When it is split into records
    items = list(iter_items(path, "marc"))
    # Then each record is one item: the undamaged ones as they are, the damaged ones as such
    assert len(items) == len(raws)
    for n, (item, raw) in enumerate(zip(items, raws, strict=True)):
        if n in damaged:
            assert item[0] == "damaged" and item[2][1] == raw[:-1] + b"#", n
        else:
            assert item == ("marc", n + 1, raw), n


@pytest.mark.parametrize(
    "filling",
    [b"#" * 49 + b"\x1d", b"\n", b"00000nam a2200000 a 4500\x1d"],
    ids=["stray end-of-record bytes", "line breaks", "leaders"],
)
def test_megabytes_of_damage_are_read_in_time_and_the_record_after_them_kept(
    tmp_path, shared_records, filling
):
    # Given megabytes of damage (each piece of it needing a search for the next record)
    # before a good record
    good = shared_records[0][0]
    path = tmp_path / "damage.mrc"
    path.write_bytes(filling * ((4 << 20) // len(filling)) + good)
    # When the file is split into records, then it takes seconds and the record is kept
    with _time_bound("damage"):
        items = list(iter_items(path, "marc"))
    assert items[-1][0] == "marc" and items[-1][2] == good
