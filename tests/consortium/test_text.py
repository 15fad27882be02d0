"""Text other people open: spreadsheet cells are never formulas, and bidirectional controls
cannot reorder what follows them; one module (consortium.text) for every surface."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from consortium.text import contain_bidi, csv_cell

ROOT = Path(__file__).resolve().parents[2]
APPS = ("consortium", "members", "catalogue", "ill", "policies", "desk")


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")', "-", "+"],
)
def test_a_cell_a_spreadsheet_would_evaluate_is_text(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", [3, -3, 0.5, Decimal("-1.25"), None, True])
def test_numbers_stay_numbers(value):
    assert csv_cell(value) is value


@pytest.mark.parametrize("value", ["-3", "+3", "0.750", "-0.5", "12", "PK-HOME", "Al-Farabi", "a=b"])
def test_plain_text_and_numbers_written_as_text_are_unchanged(value):
    assert csv_cell(value) == value


def test_a_hidden_override_does_not_shield_a_formula():
    assert csv_cell("\u202e=1+1") == "'=1+1"


@pytest.mark.parametrize("control", [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]])
def test_every_embedding_override_and_isolate_is_removed(control):
    assert contain_bidi(f"report{control}fdp.exe") == "reportfdp.exe"


def test_marks_that_urdu_text_uses_are_kept():
    text = "اردو\u200f ABC\u200e \u061c"
    assert contain_bidi(text) == text


def test_every_csv_the_portal_writes_goes_through_the_one_writer():
    # catalogue/demo.py writes a file the portal imports itself, never one people download
    allowed = {"consortium/text.py", "catalogue/demo.py"}
    writers = {
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    }
    assert writers <= allowed, f"CSV written without consortium.text.csv_writer: {writers - allowed}"
