"""A library's city in the reader's language: Urdu readers see the Urdu form where the
library has one (directory, library page, search results, record holdings), else the
English one; English readers always the English one."""

import pytest
from django.test import Client

from members.demo import seed_members
from members.models import Library
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def libraries():
    lahore = LibraryFactory(code="PK-LHR", name="Lahore College", city="Lahore", city_ur="لاہور")
    quetta = LibraryFactory(code="PK-QTA", name="Quetta College", city="Quetta", city_ur="", province="BA")
    return lahore, quetta


def _page(path: str, language: str) -> str:
    client = Client()
    client.cookies["django_language"] = language
    return client.get(path).content.decode()


@pytest.mark.parametrize(
    "path", ["/libraries/", "/libraries/PK-LHR/", "/search/?q=tarikh", "record"], ids=lambda p: p.strip("/")
)
def test_an_urdu_reader_sees_the_city_in_urdu_where_the_library_has_it(libraries, path):
    lahore, quetta = libraries
    record = make_record(title="Tarikh", libraries=[lahore, quetta])
    path = f"/records/{record.pk}/" if path == "record" else path
    urdu, english = _page(path, "ur"), _page(path, "en")
    assert "لاہور" in urdu and "Lahore" not in urdu.replace("Lahore College", "")
    assert "لاہور" not in english and "Lahore" in english
    if path != "/libraries/PK-LHR/":  # a city without its Urdu form shows as entered
        assert "Quetta" in urdu


def test_the_directory_finds_a_library_by_its_city_in_urdu(libraries):
    html = _page("/libraries/?q=لاہور", "ur")
    assert "PK-LHR" in html and "PK-QTA" not in html


def test_the_demo_libraries_have_their_cities_in_urdu_also_when_seeded_before():
    seed_members()
    Library.objects.filter(code="PK-UOK").update(city_ur="")  # as a demo seeded before this change
    seed_members()
    assert Library.objects.get(code="PK-UOK").city_ur == "کراچی"
    assert not Library.objects.filter(city_ur="").exists()
