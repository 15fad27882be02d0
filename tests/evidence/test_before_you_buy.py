"""Before you buy: a librarian checks a purchase list (pasted or uploaded) against the union
catalogue and sees, per line, which members hold it and whether they lend it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.matching import block_keys
from catalogue.models import Holding
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

URL = "/before-you-buy/"
HELD_HERE = "9780198526636"  # as 0-19-852663-6 in the list (its ISBN-10)
LENT_AWAY = "9780262033848"
REFERENCE_ONLY = "9780141439518"
UNKNOWN = "9780306406157"


@pytest.fixture
def catalogue(library, other_library):
    """Records held here, lent by PK-AWAY, held by PK-AWAY for reference only, and one known by title."""
    make_record(title="Principles of Chemistry", isbns=[HELD_HERE], libraries=[library, other_library])
    make_record(title="Tarikh-e-Pakistan", isbns=[LENT_AWAY], libraries=[other_library])
    reference = make_record(title="Pride and Prejudice", isbns=[REFERENCE_ONLY], libraries=[other_library])
    Holding.objects.filter(bib_record=reference).update(lendable=False)
    titled = make_record(title="Ab-e-Hayat", libraries=[other_library])
    titled.match_keys = block_keys({"title": titled.title})
    titled.save(update_fields=["match_keys"])


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def _line(page: str, number: int) -> str:
    return page.split(f'data-testid="purchase-line-{number}">')[1].split("</tr>")[0]


def test_each_line_says_who_holds_it_and_whether_they_lend_it(catalogue, librarian, login):
    purchase_list = "\n".join(
        [
            "0-19-852663-6",  # 1: already here (and at PK-AWAY)
            LENT_AWAY,  # 2: PK-AWAY lends it
            "",
            REFERENCE_ONLY,  # 4: PK-AWAY holds it but does not lend it
            "AB-E-HAYAT / Muhammad Husain Azad",  # 5: by title, as the catalogue folds it
            UNKNOWN,  # 6: a good ISBN nobody holds
            "978-0-19-852663-7",  # 7: a wrong check digit
        ]
    )
    page = _text(login(librarian).post(URL, {"lines": purchase_list}))
    assert "your library" in _line(page, 1) and "PK-AWAY</bdi> · lends" in _line(page, 1)
    assert "Tarikh-e-Pakistan" in _line(page, 2) and "PK-AWAY</bdi> · lends" in _line(page, 2)
    assert "PK-AWAY</bdi> · does not lend" in _line(page, 4)
    assert "Ab-e-Hayat" in _line(page, 5) and "· lends" in _line(page, 5)
    assert "Not in the union catalogue." in _line(page, 6)
    assert "“978-0-19-852663-7” looks like an ISBN but its check digit is wrong." in _line(page, 7)
    # and the summary counts them (a line counts once, the first that fits)
    summary = page.split('data-testid="purchase-summary">')[1].split("</ul>")[0]
    for said in [
        "6 lines checked",
        "1 your library already holds",
        "2 other members lend",
        "1 not in the catalogue",
        "1 line could not be read",
    ]:
        assert said in summary, summary


def test_a_member_that_paused_lending_does_not_lend_for_now(catalogue, other_library, librarian, login):
    other_library.lending_paused, other_library.lending_paused_reason = True, "Stock-taking"
    other_library.save(update_fields=["lending_paused", "lending_paused_reason"])
    page = _text(login(librarian).post(URL, {"lines": LENT_AWAY}))
    assert "PK-AWAY</bdi> · does not lend" in _line(page, 1)


def test_an_uploaded_csv_is_read_by_its_first_column(catalogue, librarian, login):
    upload = SimpleUploadedFile("plan.csv", f"{LENT_AWAY},Tarikh,2 copies\n{UNKNOWN},X,1\n".encode())
    page = _text(login(librarian).post(URL, {"file": upload}))
    assert "PK-AWAY</bdi> · lends" in _line(page, 1) and "Not in the union catalogue." in _line(page, 2)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            {"file": SimpleUploadedFile("plan.txt", b"9780306406157\n\xff\xfeTitle\n")},
            "plan.txt is not UTF-8 text (line 2",
        ),
        ({"lines": "\n".join([UNKNOWN] * 1001)}, "The list has more than 1000 lines."),
        ({"lines": "  \n "}, "Paste a list or choose a file."),
    ],
)
def test_a_list_that_cannot_be_read_is_refused_saying_why(librarian, login, data, says):
    page = login(librarian).post(URL, data).content.decode().replace("&#x27;", "'")
    assert says in page and 'data-testid="purchase-result"' not in page


def test_identifiers_are_looked_up_together(catalogue, librarian, login, django_assert_max_num_queries):
    client = login(librarian)
    client.post(URL, {"lines": LENT_AWAY})  # (the session and the page's own queries, once)
    many = "\n".join([LENT_AWAY, REFERENCE_ONLY, HELD_HERE, UNKNOWN] * 50)
    with django_assert_max_num_queries(12):
        page = _text(client.post(URL, {"lines": many}))
    assert "200 lines checked" in page


def test_patrons_and_visitors_cannot_use_it(patron, login, client):
    assert client.get(URL).status_code == 302  # to the login page
    assert login(patron).get(URL).status_code == 403


def test_the_check_speaks_urdu(catalogue, librarian, login):
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    page = _text(client.post(URL, {"lines": LENT_AWAY}))
    assert "خریدنے سے پہلے" in page and "Before you buy" not in page
    assert "PK-AWAY</bdi> · مستعار دیتی ہے" in _line(page, 1)
    assert "زیادہ سے زیادہ 1000 سطریں" in page  # the list's limit, under the box, after a check too


def test_the_desk_links_to_it(librarian, login):
    page = login(librarian).get("/desk/").content.decode()
    assert 'data-testid="tool-before-you-buy"' in page and f'href="{URL}"' in page


def test_a_library_that_left_is_not_a_holder(catalogue, other_library, librarian, login):
    gone = LibraryFactory(code="PK-GONE")
    make_record(title="Gone Book", isbns=["9781566199094"], libraries=[gone])
    Holding.objects.filter(library=gone).update(status=Holding.Status.WITHDRAWN)
    page = _text(login(librarian).post(URL, {"lines": "9781566199094"}))
    assert "PK-GONE" not in _line(page, 1) and "no copy" in _line(page, 1)
