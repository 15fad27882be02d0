"""Browser: a librarian reads collection overlap on a phone (412 px), in English and Urdu; the
member x member matrix of 40 members scrolls sideways inside its box while the members'
codes in its first column stay in view, and the page itself never scrolls sideways."""

from __future__ import annotations

import pytest

from evidence import overlap
from tests.catalogue.factories_search import make_record
from tests.factories import LibrarianFactory, LibraryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBERS = 40

# The matrix box, the first row's code cell and the last cell of that row, after the box is
# scrolled to its far end (left in Urdu, right in English).
MEASURE = """
() => {
  const box = document.querySelector('[data-testid="matrix"]');
  box.scrollLeft = document.dir === "rtl" ? -box.scrollWidth : box.scrollWidth;
  const row = box.querySelector("tbody tr");
  const rect = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right}; };
  return {
    scrolls: box.scrollWidth > box.clientWidth + 100,
    pageWidth: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
    box: rect(box), code: rect(row.querySelector("th")), last: rect(row.querySelector("td:last-child")),
    scrolled: box.scrollLeft,
  };
}
"""


@pytest.fixture
def wide_consortium(db):
    libraries = [LibraryFactory(code=f"PK-M{n:02d}", name=f"Member {n:02d}") for n in range(MEMBERS)]
    for n, library in enumerate(libraries):  # each member shares a title with the next
        make_record(title=f"Shared title {n}", libraries=[library, libraries[(n + 1) % MEMBERS]])
        make_record(title=f"Own title {n}", libraries=[library], subjects=["Urdu poetry"], year=1960 + n)
    LibrarianFactory(username="matrix-reader", library=libraries[0])
    overlap.take_snapshot()


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_matrix_reads_on_a_phone_with_the_codes_in_view(chromium, live_server, wide_consortium, log_in, page,
                                                            language):  # fmt: skip
    page.set_viewport_size({"width": 412, "height": 900})
    log_in("matrix-reader")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto("/collection-overlap/")
    assert page.get_by_test_id("unique").inner_text().strip() == "1"
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.get_by_test_id("matrix-link").click()
    page.wait_for_load_state()
    m = page.evaluate(MEASURE)
    assert m["scrolls"] and m["scrolled"] != 0, m
    assert m["pageWidth"] <= m["viewport"], m  # the box scrolls, not the page
    # the code cell stays at the box's starting edge; the row's last cell has come into view
    if language == "ur":
        assert abs(m["code"]["right"] - m["box"]["right"]) < 3, m
        assert m["last"]["left"] >= m["box"]["left"] - 1, m
    else:
        assert abs(m["code"]["left"] - m["box"]["left"]) < 3, m
        assert m["last"]["right"] <= m["box"]["right"] + 1, m
    assert page.get_by_test_id("matrix").locator("tbody tr").count() == MEMBERS
