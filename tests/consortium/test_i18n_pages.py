"""No English on an Urdu page: every page kind rendered in Urdu, strings built at run time
included (facet values, language names, rota reasons, history entries, form errors).

The catalogue test (test_i18n_current) finds strings the code marks for translation; this
one finds those it forgot to mark or builds from English parts. A page fails on any
English word left in its visible text (and in the attributes people read: title,
placeholder, aria-label, alt) once the data it shows is set aside: catalogue records,
library, person and agreement names, cities, codes, email addresses and URLs.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from django.conf import settings
from django.test import Client

from catalogue.models import BibRecord
from catalogue.services import import_path
from ill import states
from ill.models import IllRequest
from ill.routing import route
from ill.services import ill_request_create, ill_request_transition
from members.models import Library, User
from policies.models import Agreement, AgreementKind, Policy, PolicyVersion
from policies.services import agreement_event
from tests.catalogue.factories_search import make_record
from tests.factories import (
    ConsortiumAdminFactory,
    LibrarianFactory,
    LibraryAdminFactory,
    LibraryFactory,
    PatronFactory,
)
from tests.policies.factories import AgreementFactory, PolicyVersionFactory

pytestmark = pytest.mark.django_db

# An English word: a capital or small letter followed by at least two small ones ("Tibetan",
# "lent", "bilateral"). Codes and acronyms (PK-TEST1, ISBN, MARC, ISO 18626) are not words.
ENGLISH_WORD = re.compile(r"(?<![\w@./:-])[A-Za-z][a-z]{2,}(?![\w@/-])")
URL_OR_EMAIL = re.compile(r"\S+@\S+|https?://\S+|/\S*")
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Words that are the same on an Urdu page: names of standards and formats; the search
# syntax's field names (title:, author:, subject:, isbn:), which a query must use as they are.
SAME_IN_URDU = {
    "MARCXML",
    "Dublin",
    "Core",
    "BibTeX",
    "RIS",
    "Markdown",
    "title",
    "author",
    "subject",
    "isbn",
}
# The registration form offers English by its own name (English), as the language switch does.
SAME_IN_URDU |= {"English"}


def _visible_text(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    # Text marked lang="en" is English on purpose (the language switch says "English").
    for node in tree.xpath("//script|//style|//noscript|//template|//body//*[@lang='en']"):
        node.drop_tree()
    texts = [t for t in tree.xpath("//body//text()") if t.strip()]
    texts += tree.xpath("//title/text()")
    for attribute in READ_ATTRIBUTES:
        texts += tree.xpath(f"//body//@{attribute}")
    texts += tree.xpath("//body//input[@type='submit']/@value")
    return texts


def _data_strings() -> list[str]:
    """What the pages may show as the data entered, in whatever script it was entered."""
    data: list[str] = []
    for record in BibRecord.objects.all():
        data += [record.title, record.subtitle, record.publisher, record.edition, *record.authors]
    for library in Library.objects.all():
        # a name or city entered in English only is data; one that has its Urdu form must
        # show in Urdu on an Urdu page
        data += [library.address, library.code]
        data += [library.name] if not library.name_ur else []
        data += [library.city] if not library.city_ur else []
    for user in User.objects.all():
        data += [user.username, user.first_name, user.last_name, user.display_name]
    data += list(Agreement.objects.values_list("name", flat=True))
    data += list(Policy.objects.values_list("title", flat=True))
    # a policy's text is the consortium's own, in the language it was written in
    for body in PolicyVersion.objects.values_list("body_markdown", flat=True):
        data += [line.strip("# ").strip() for line in body.splitlines()]
    data += ["Kitab"]  # the search the pages are asked for
    data += ["books.csv", "B1", "B2"]  # the import's file and its records' ids
    for req in IllRequest.objects.all():
        data += [req.title, req.author, req.reference, req.publisher]
    return sorted((d for d in data if d), key=len, reverse=True)


def english_left(html: str) -> list[str]:
    data = _data_strings()
    found = []
    for text in _visible_text(html):
        for value in data:
            text = text.replace(value, " ")
        text = URL_OR_EMAIL.sub(" ", text)
        words = [w for w in ENGLISH_WORD.findall(text) if w not in SAME_IN_URDU]
        if words:
            found.append(" ".join(text.split())[:120])
    return found


def urdu(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    return client


@pytest.fixture
def consortium(db, tmp_path):
    """Two member libraries with Urdu names, a record each of several languages and decades,
    an ILL request routed to the lender, agreements with history, a policy."""
    borrower = LibraryFactory(
        code="PK-BRW",
        name="Borrowing University",
        name_ur="جامعہ مستعار",
        city="Lahore",
        city_ur="لاہور",
    )
    lender = LibraryFactory(
        code="PK-LND",
        name="Lending University",
        name_ur="جامعہ معیر",
        city="Karachi",
        city_ur="کراچی",
        province="SD",
    )
    wide = AgreementFactory(name="Consortium ILL", kind=AgreementKind.CONSORTIUM_WIDE)
    bilateral = AgreementFactory(name="Lahore–Karachi", parties=[borrower, lender])
    for agreement in (wide, bilateral):
        agreement_event(agreement=agreement, kind="created", actor=None, to_status="draft")
        agreement_event(agreement=agreement, kind="accepted", actor=None, library=lender)
    PolicyVersionFactory()
    for language, year in (("tib", 2021), ("dan", 1875), ("jpn", 1999), ("kor", 2005), ("urd", 1960)):
        make_record(libraries=[lender], language=language, year=year, title=f"Kitab {language}")
    record = make_record(libraries=[lender], language="ita", year=2010, title="Kitab ita")
    patron = PatronFactory(library=borrower, language="ur")
    librarian = LibrarianFactory(library=borrower, language="ur")
    lender_librarian = LibrarianFactory(library=lender, language="ur")
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.status == states.SENT_TO_SUPPLIER
    upload = tmp_path / "books.csv"
    upload.write_bytes(b"ID,Title\nB1,Kitab B1\nB2,\nB1,Kitab B1\n")
    job = import_path(actor=None, library=borrower, path=upload)
    assert job.rejected == 2
    return {
        "import": job,
        "record": record,
        "request": req,
        "patron": patron,
        "librarian": librarian,
        "lender_librarian": lender_librarian,
        "agreement": bilateral,
        "lender": lender,
        "library_admin": LibraryAdminFactory(library=borrower, language="ur"),
        "consortium_admin": ConsortiumAdminFactory(language="ur"),
    }


def _page(client: Client, url: str, data: dict | None = None) -> str:
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 400), (url, response.status_code)
    html = response.content.decode()
    assert '<html lang="ur" dir="rtl">' in html, url
    return html


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/search/?q=Kitab"),
        (None, "/search/"),
        (None, "/search/advanced/"),
        (None, "record"),
        (None, "/libraries/"),
        (None, "library"),
        (None, "/policies/"),
        ("librarian", "request"),
        ("lender_librarian", "request"),
        ("patron", "my-request"),
        ("patron", "/ill/my-requests/"),
        ("librarian", "/ill/borrowing/"),
        ("lender_librarian", "/ill/lending/"),
        ("librarian", "agreement"),
        ("librarian", "/agreements/"),
        ("librarian", "import"),
        ("librarian", "/imports/"),
        ("patron", "/account/"),
        ("librarian", "/my-library/"),
        ("librarian", "/desk/"),
        ("lender_librarian", "/desk/"),
        ("library_admin", "/desk/"),
        ("consortium_admin", "/desk/"),
    ],
)
def test_an_urdu_page_has_no_english_words(consortium, login, who, url):
    client = urdu(login(consortium[who]) if who else Client())
    url = {
        "record": f"/records/{consortium['record'].pk}/",
        "library": f"/libraries/{consortium['lender'].code}/",
        "request": f"/ill/requests/{consortium['request'].pk}/",
        "my-request": f"/ill/my-requests/{consortium['request'].pk}/",
        "agreement": f"/agreements/{consortium['agreement'].pk}/",
        "import": f"/imports/{consortium['import'].pk}/",
    }.get(url, url)
    html = _page(client, url)
    left = english_left(html)
    assert not left, "\n".join(left)
    # and every library code in the page's text is its own isolate that does not break at
    # its hyphen (a phone showed "PK-" and "LUMS" on two lines, in the wrong order)
    loose = codes_not_isolated(html)
    assert not loose, loose


LIBRARY_CODE = re.compile(r"\bPK-[A-Z]+\b")


def codes_not_isolated(html: str) -> list[str]:
    """Text nodes that show a library code outside a <bdi class="code"> (or class code)."""
    tree = lxml.html.fromstring(html)
    loose = []
    for node in tree.xpath("//body//text()[contains(., 'PK-')]"):
        parent = node.getparent().getparent() if node.is_tail else node.getparent()
        if LIBRARY_CODE.search(node) and "code" not in (parent.get("class") or "").split():
            loose.append(f"<{parent.tag}>{node.strip()[:60]}")
    return loose


def test_an_urdu_policy_page_has_no_english_words(consortium):
    policy = Policy.objects.get()
    left = english_left(_page(urdu(Client()), f"/policies/{policy.slug}/"))
    assert not left, "\n".join(left)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (
            "/register/",
            {
                "username": "x",
                "email": "not-an-email",
                "password1": "123",
                "password2": "1234",
                "library": "",
            },
        ),
        ("/accounts/login/", {"username": "nobody", "password": "wrong"}),
        ("/accounts/password_reset/", {"email": "not-an-email"}),
    ],
)
def test_urdu_forms_with_errors_have_no_english_words(consortium, url, data):
    left = english_left(_page(urdu(Client()), url, data))
    assert not left, "\n".join(left)


def test_urdu_password_change_errors_and_rules_have_no_english_words(consortium, login):
    client = urdu(login(consortium["patron"]))
    html = _page(
        client,
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": "password", "new_password2": "password"},
    )
    left = english_left(html)
    assert not left, "\n".join(left)


def test_the_check_finds_english_and_passes_data(consortium):
    # given a page with an English sentence, a language name, data in Latin script, and a
    # library's English name and city although it has Urdu ones
    html = (
        "<html><body><p>lent 3, borrowed 1 in the last year</p><p>Tibetan</p>"
        "<p>Kitab tib · جامعہ معیر (PK-LND) · ISBN 9789690000000 · a@b.pk</p>"
        "<p title='Holding library'>کتاب</p><p>Lending University</p><p>کراچی، Karachi</p></body></html>"
    )
    # then the English is found and the data is not
    assert english_left(html) == [
        "lent 3, borrowed 1 in the last year", "Tibetan", "Lending University", "کراچی، Karachi", "Holding library",
    ]  # fmt: skip
