"""Every document the code cites is in the repository, with the section it names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "static", "locale", "__pycache__", "test-artifacts"}
TEXT_SUFFIXES = {".py", ".html", ".js", ".txt", ".toml", ".yml", ".yaml", ".cfg", ".md", ".example"}
TEXT_NAMES = {"Makefile", "Dockerfile"}
# A cited document (a path ending in .md), and the section it names when one follows:
# `docs/performance.md, "Import"`.
CITATION = re.compile(r"(?<![\w/.-])([\w./-]*[\w-]\.md)\b(?:,\s*\"([^\"]+)\")?")
# Files whose citations wait for another change; the test fails once an entry is no longer
# needed, so the list cannot rot.
PENDING: set[str] = set()


def _text_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(relative.parts[:-1]) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            yield relative


def _broken_citations(relative: Path) -> list[str]:
    text = (ROOT / relative).read_text(encoding="utf-8", errors="replace")
    broken = []
    for match in CITATION.finditer(text):
        cited, section = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        document = next(
            (p for p in (ROOT / cited, ROOT / relative.parent / cited) if p.is_file()),
            None,
        )
        if document is None:
            broken.append(f"{relative}:{line}: {cited} is not in the repository")
        elif section and not _has_heading(document, section):
            broken.append(f"{relative}:{line}: {cited} has no section “{section}”")
    return broken


def _has_heading(document: Path, section: str) -> bool:
    headings = [
        line.lstrip("#").strip() for line in document.read_text().splitlines() if line.startswith("#")
    ]
    return any(heading.startswith(section) for heading in headings)


def test_every_cited_document_and_section_is_in_the_repository():
    # given every text file of the repository (code, templates, settings, docs; not this
    # test's own examples)
    broken = []
    for relative in _text_files():
        if relative.as_posix() not in PENDING and ROOT / relative != Path(__file__).resolve():
            broken += _broken_citations(relative)
    # then each document it cites exists (from the root or beside it), with the section named
    assert not broken, "\n".join(broken)


def test_pending_citations_are_still_pending():
    # an entry of PENDING whose file is gone or cites only what exists must be removed
    for name in PENDING:
        assert (ROOT / name).is_file() and _broken_citations(Path(name)), f"remove {name} from PENDING"


def test_a_citation_of_a_missing_document_or_section_is_found(tmp_path, monkeypatch):
    # given a module citing a document that is not there, and a real one with a wrong section
    monkeypatch.setattr("tests.consortium.test_docs.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "performance.md").write_text("# Performance\n\n## Import\n")
    (tmp_path / "module.py").write_text(
        '"""Fast (PERFORMANCE.md); see docs/performance.md, "Import" and docs/performance.md, "Search"."""\n'
    )
    # then both are reported, and the good citation is not
    assert _broken_citations(Path("module.py")) == [
        "module.py:1: PERFORMANCE.md is not in the repository",
        "module.py:1: docs/performance.md has no section “Search”",
    ]
