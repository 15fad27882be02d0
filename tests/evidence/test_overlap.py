"""Collection overlap: a small catalogue whose unique titles, member pairs and single copies
are known by hand, counted into a snapshot (evidence.overlap) and read on the pages and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError

from catalogue.models import Holding
from evidence import overlap
from evidence.models import OverlapLibrary, OverlapPair, OverlapSnapshot, OverlapUniqueTitle, SingleCopyCount
from tests.catalogue.factories_search import make_record
from tests.factories import LibraryFactory, PatronFactory

pytestmark = pytest.mark.django_db

URL = "/collection-overlap/"
UNIQUE_URL = "/collection-overlap/unique/"
MATRIX_URL = "/collection-overlap/matrix/"
POETRY, CHEMISTRY = "Urdu poetry", "Chemistry"


@pytest.fixture
def third_library(db):
    return LibraryFactory(
        code="PK-THIRD", name="Third College", name_ur="تیسرا کالج", city="Quetta", province="BA"
    )


@pytest.fixture
def catalogue(library, other_library, third_library):
    """HOME, AWAY and THIRD; by hand:
    HOME holds Alpha, Beta, Gamma, Delta (4): unique Alpha and Beta (2), only copy Alpha (1);
    AWAY holds Gamma, Delta, Epsilon (3): unique Epsilon, only copy Epsilon;
    THIRD holds Delta, Zeta, Theta (3): unique and only copy Zeta and Theta;
    both hold: HOME-AWAY 2 (Gamma, Delta), HOME-THIRD 1, AWAY-THIRD 1 (Delta).
    Zeta's copy at HOME is withdrawn and Eta's only copy (AWAY) is missing: neither counts."""
    home, away, third = library, other_library, third_library
    records = {
        "alpha": make_record(title="Alpha", libraries=[home], subjects=[POETRY], year=1965),
        "beta": make_record(title="Beta", libraries=[home], subjects=[POETRY], year=1972),
        "gamma": make_record(title="Gamma", libraries=[home, away], subjects=[CHEMISTRY], year=2001),
        "delta": make_record(title="Delta", libraries=[home, away, third], year=2005),
        "epsilon": make_record(title="Epsilon", libraries=[away], subjects=[CHEMISTRY], year=2003),
        "zeta": make_record(title="Zeta", libraries=[home, third], subjects=[POETRY], year=1968),
        "eta": make_record(title="Eta", libraries=[away], status=Holding.Status.MISSING, year=1990),
        "theta": make_record(title="Theta", libraries=[third], status=Holding.Status.ON_LOAN, year=None),
    }
    Holding.objects.filter(bib_record=records["beta"]).update(item_count=2)  # two copies: not single
    Holding.objects.filter(bib_record=records["zeta"], library=home).update(status=Holding.Status.WITHDRAWN)
    return records


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv"), response.status_code
    return list(csv.reader(io.StringIO(response.content.decode())))


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</section>")[0]


def test_counts_unique_titles_pairs_and_single_copies_as_worked_out_by_hand(
    catalogue, library, other_library, third_library
):
    snapshot = overlap.take_snapshot().snapshot
    assert (snapshot.members, snapshot.titles, snapshot.unique_titles, snapshot.single_copy_titles) == (
        3,
        7,
        5,
        4,
    )
    figures = {
        row.library.code: (row.titles, row.unique_titles, row.single_copies)
        for row in OverlapLibrary.objects.filter(snapshot=snapshot).select_related("library")
    }
    assert figures == {"PK-HOME": (4, 2, 1), "PK-AWAY": (3, 1, 1), "PK-THIRD": (3, 2, 2)}
    pairs = {
        (row.library.code, row.other.code): row.titles
        for row in OverlapPair.objects.filter(snapshot=snapshot).select_related("library", "other")
    }
    assert pairs == {
        ("PK-HOME", "PK-AWAY"): 2, ("PK-AWAY", "PK-HOME"): 2,
        ("PK-HOME", "PK-THIRD"): 1, ("PK-THIRD", "PK-HOME"): 1,
        ("PK-AWAY", "PK-THIRD"): 1, ("PK-THIRD", "PK-AWAY"): 1,
    }  # fmt: skip
    unique = {
        (row.library_id, row.bib_record_id) for row in OverlapUniqueTitle.objects.filter(snapshot=snapshot)
    }
    assert unique == {
        (library.pk, catalogue["alpha"].pk),
        (library.pk, catalogue["beta"].pk),
        (other_library.pk, catalogue["epsilon"].pk),
        (third_library.pk, catalogue["zeta"].pk),
        (third_library.pk, catalogue["theta"].pk),
    }


def test_single_copies_by_subject_and_decade_for_the_consortium_and_a_member(catalogue, library):
    snapshot = overlap.take_snapshot().snapshot

    def counts(scope, kind):
        rows = SingleCopyCount.objects.filter(snapshot=snapshot, library=scope, kind=kind)
        return {row.value: (row.titles, row.single) for row in rows}

    # the consortium: each title once (Delta has no subject; Eta's only copy is missing)
    assert counts(None, "subject") == {POETRY: (3, 2), CHEMISTRY: (2, 1)}
    assert counts(None, "decade") == {"1960": (2, 2), "1970": (1, 0), "2000": (3, 1), "": (1, 1)}
    # HOME: where it holds some title's only copy (Alpha), beside the consortium's titles
    assert counts(library, "subject") == {POETRY: (3, 1)}
    assert counts(library, "decade") == {"1960": (2, 1)}


def test_withdrawn_and_missing_copies_do_not_count(catalogue, library, third_library):
    Holding.objects.filter(bib_record=catalogue["alpha"]).update(status=Holding.Status.WITHDRAWN)
    snapshot = overlap.take_snapshot().snapshot
    home = OverlapLibrary.objects.get(snapshot=snapshot, library=library)
    assert (home.titles, home.unique_titles, home.single_copies) == (3, 1, 0)
    counted = set(
        OverlapUniqueTitle.objects.filter(snapshot=snapshot).values_list("bib_record_id", flat=True)
    )
    assert catalogue["alpha"].pk not in counted and catalogue["eta"].pk not in counted
    # Zeta counts for THIRD alone, though HOME's withdrawn copy is still in the catalogue
    assert catalogue["zeta"].pk in counted


def test_a_member_that_left_the_consortium_is_not_counted(catalogue, other_library):
    other_library.is_active = False
    other_library.save(update_fields=["is_active"])
    snapshot = overlap.take_snapshot().snapshot
    assert not OverlapLibrary.objects.filter(snapshot=snapshot, library=other_library).exists()
    assert snapshot.members == 2


def test_a_count_that_fails_half_way_leaves_the_previous_snapshot_whole(catalogue, library, monkeypatch):
    before = overlap.take_snapshot().snapshot
    rows_before = OverlapPair.objects.filter(snapshot=before).count()
    make_record(title="Iota", libraries=[library])
    # the failure comes after the pairs and subjects have been written
    failing = [*overlap.STATEMENTS[:-1], ("boom", "SELECT 1 / 0"), overlap.STATEMENTS[-1]]
    monkeypatch.setattr(overlap, "STATEMENTS", failing)
    with pytest.raises(DatabaseError):
        overlap.take_snapshot()
    assert list(OverlapSnapshot.objects.all()) == [before]
    assert OverlapPair.objects.count() == rows_before
    assert OverlapLibrary.objects.get(library=library).titles == 4  # not 5: Iota's count was undone


def test_a_new_snapshot_replaces_the_old_and_keeps_the_one_before(catalogue):
    first = overlap.take_snapshot().snapshot
    second = overlap.take_snapshot().snapshot
    third = overlap.take_snapshot().snapshot
    assert set(OverlapSnapshot.objects.values_list("pk", flat=True)) == {second.pk, third.pk}
    for model in (OverlapLibrary, OverlapPair, SingleCopyCount, OverlapUniqueTitle):
        assert not model.objects.filter(snapshot=first).exists(), model
        assert model.objects.filter(snapshot=third).count() == model.objects.filter(snapshot=second).count()


def test_a_second_count_while_one_runs_gives_way(catalogue):
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [overlap.LOCK_KEY])
        assert overlap.take_snapshot() is None
    finally:
        other.close()


def test_the_count_is_scheduled_nightly_at_0345_and_runs_from_the_command_and_the_demo(catalogue):
    from consortium.schedules import BEAT_SCHEDULE
    from evidence import demo
    from evidence.tasks import take_overlap_snapshot_task

    entry = BEAT_SCHEDULE["evidence.take_overlap_snapshot"]
    assert entry["task"] == take_overlap_snapshot_task.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {45})
    assert demo.seed() == {"overlap snapshots": 1}
    assert demo.seed() == {"overlap snapshots": 0}  # the demo's second run changes nothing
    snapshot_id = take_overlap_snapshot_task.apply().get()
    assert OverlapSnapshot.objects.latest().pk == snapshot_id
    out = io.StringIO()
    call_command("overlap_snapshot", stdout=out)
    assert "7 titles held by 3 members, 5 held by one member only, 4 with a single copy" in out.getvalue()


# --- pages ------------------------------------------------------------------------------


@pytest.fixture
def counted(catalogue):
    return overlap.take_snapshot().snapshot


def test_a_librarian_sees_their_library_against_every_other_member(counted, librarian, login):
    page = _text(login(librarian).get(URL))
    assert "Collection overlap: Home University" in page
    figures = page.split('data-testid="figures"')[1].split('data-testid="overlap-row"')[0]
    assert 'data-testid="titles">4<' in figures and 'data-testid="unique">2<' in figures
    assert "50.0% of its titles" in figures and 'data-testid="single">1<' in figures
    row = _section(page, "overlap-row")
    # most titles in common first; share of ours (of HOME's 4) and of theirs
    away = row.split('data-library="PK-AWAY"')[1].split("</tr>")[0]
    third = row.split('data-library="PK-THIRD"')[1].split("</tr>")[0]
    assert row.index("PK-AWAY") < row.index("PK-THIRD")
    assert ">2<" in away and "50.0%" in away and "66.7%" in away
    assert ">1<" in third and "25.0%" in third and "33.3%" in third
    subjects = _section(page, "subjects")
    assert "Subjects where it holds the consortium's only copy" in subjects and POETRY in subjects
    assert CHEMISTRY not in subjects
    decades = _section(page, "decades")
    assert "1960s" in decades and "1970s" not in decades and "50.0%" in decades
    assert "Counted at" in page and "What is counted" in page
    assert "neither withdrawn nor missing" in page


def test_a_consortium_admin_sees_the_consortium_and_chooses_any_member(counted, consortium_admin, login):
    client = login(consortium_admin)
    page = _text(client.get(URL))
    assert "Collection overlap across the consortium" in page
    assert 'data-testid="unique">5<' in page and 'data-testid="single">4<' in page
    assert 'data-testid="overlap-row"' not in page
    assert "Subjects where the consortium holds a single copy" in page
    chosen = _text(client.get(URL, {"library": "PK-THIRD"}))
    assert "Collection overlap: Third College" in chosen and 'data-testid="unique">2<' in chosen
    wrong = _text(client.get(URL, {"library": "PK-NOWHERE"}))
    assert "No active member has the code “PK-NOWHERE”: choose a member from the list." in wrong


def test_a_librarian_cannot_choose_another_member(counted, librarian, login):
    response = login(librarian).get(URL, {"library": "PK-AWAY"})
    assert response.status_code == 403
    assert login(librarian).get(URL, {"library": "PK-HOME"}).status_code == 200


@pytest.mark.parametrize("url", [URL, UNIQUE_URL, MATRIX_URL, URL + "?format=csv&table=members"])
def test_patrons_and_anonymous_visitors_are_kept_out(counted, library, client, login, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    patron = PatronFactory(username="reader", library=library)
    assert login(patron).get(url).status_code == 403


def test_the_unique_titles_are_listed_by_title_and_link_to_their_records(
    counted, catalogue, librarian, login
):
    page = _text(login(librarian).get(UNIQUE_URL))
    listed = page.split('data-testid="unique-titles"')[1].split("</ol>")[0]
    assert listed.index("Alpha") < listed.index("Beta")
    assert f'href="/records/{catalogue["alpha"].pk}/"' in listed
    assert "Gamma" not in listed
    assert "2 titles of its 4 are held by no other member" in page


def test_the_unique_titles_come_a_page_at_a_time(counted, library, librarian, login, monkeypatch):
    from evidence import views

    monkeypatch.setattr(views, "UNIQUE_PAGE_SIZE", 1)
    client = login(librarian)
    first = _text(client.get(UNIQUE_URL))
    second = _text(client.get(UNIQUE_URL, {"page": 2}))
    assert "Alpha" in first and "Beta" not in first and "Page 1 of 2" in first
    assert "Beta" in second and "Alpha" not in second.split('data-testid="unique-titles"')[1]


def test_an_admin_chooses_the_member_whose_unique_titles_to_list(counted, consortium_admin, login):
    client = login(consortium_admin)
    assert "Choose a member to list the titles only it holds." in _text(client.get(UNIQUE_URL))
    page = _text(client.get(UNIQUE_URL, {"library": "PK-THIRD"}))
    listed = page.split('data-testid="unique-titles"')[1].split("</ol>")[0]
    assert "Theta" in listed and "Zeta" in listed


def test_the_matrix_has_every_member_both_ways_with_their_titles_on_the_diagonal(counted, librarian, login):
    page = _text(login(librarian).get(MATRIX_URL))
    matrix = page.split('data-testid="matrix"')[1].split("</table>")[0]
    rows = {
        row.split('<bdi class="code">')[1].split("<")[0]: [
            cell.split(">", 1)[1].split("<")[0] for cell in row.split("<td")[1:]
        ]
        for row in matrix.split("<tbody>")[1].split("</tr>")[:-1]
    }
    # members by code: PK-AWAY, PK-HOME, PK-THIRD
    assert rows == {"PK-AWAY": ["3", "2", "1"], "PK-HOME": ["2", "4", "1"], "PK-THIRD": ["1", "1", "3"]}


def test_every_table_downloads_as_csv(counted, librarian, consortium_admin, login):
    client = login(librarian)
    assert _csv(client.get(URL, {"format": "csv", "table": "members"})) == [
        ["library", "name", "titles", "unique_titles", "unique_pct", "single_copies"],
        ["PK-AWAY", "Away University", "3", "1", "33.3", "1"],
        ["PK-HOME", "Home University", "4", "2", "50.0", "1"],
        ["PK-THIRD", "Third College", "3", "2", "66.7", "2"],
    ]
    assert _csv(client.get(URL, {"format": "csv", "table": "overlap"}))[1:] == [
        ["PK-HOME", "PK-AWAY", "Away University", "2", "50.0", "66.7"],
        ["PK-HOME", "PK-THIRD", "Third College", "1", "25.0", "33.3"],
    ]
    assert _csv(client.get(URL, {"format": "csv", "table": "subjects"}))[1:] == [
        ["PK-HOME", POETRY, "3", "1", "33.3"]
    ]
    assert _csv(client.get(URL, {"format": "csv", "table": "decades"}))[1:] == [
        ["PK-HOME", "1960", "2", "1", "50.0"],
    ]
    assert _csv(client.get(URL, {"format": "csv", "table": "matrix"})) == [
        ["library", "PK-AWAY", "PK-HOME", "PK-THIRD"],
        ["PK-AWAY", "3", "2", "1"],
        ["PK-HOME", "2", "4", "1"],
        ["PK-THIRD", "1", "1", "3"],
    ]
    unique = _csv(client.get(UNIQUE_URL, {"format": "csv"}))
    assert [row[2] for row in unique[1:]] == ["Alpha", "Beta"]
    assert unique[1][4].endswith(f"/records/{unique[1][1]}/")
    response = client.get(URL, {"format": "csv", "table": "members"})
    assert 'filename="collection-overlap-members-PK-HOME-' in response["Content-Disposition"]
    admin = login(consortium_admin)
    decades = _csv(admin.get(URL, {"format": "csv", "table": "decades"}))
    assert decades[1:] == [
        ["ALL", "1960", "2", "2", "100.0"],
        ["ALL", "1970", "1", "0", "0.0"],
        ["ALL", "2000", "3", "1", "33.3"],
        ["ALL", "", "1", "1", "100.0"],
    ]
    # one member's table needs a member; an unknown table is not found
    assert admin.get(URL, {"format": "csv", "table": "overlap"}).status_code == 404
    assert client.get(URL, {"format": "csv", "table": "patrons"}).status_code == 404


def test_before_the_first_count_the_pages_say_when_figures_will_come(library, librarian, login):
    client = login(librarian)
    for url in (URL, UNIQUE_URL, MATRIX_URL):
        page = _text(client.get(url))
        assert "Collection overlap has not been counted yet." in page, url
    assert client.get(URL, {"format": "csv", "table": "members"}).status_code == 404


def test_the_pages_read_in_urdu(counted, librarian, login):
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    page = _text(client.get(URL))
    assert 'lang="ur"' in page and 'dir="rtl"' in page
    for said in [
        "ذخیرۂ کتب میں اشتراک",
        "منفرد عنوانات",
        "کنسورشیم کا واحد نسخہ",
        "کیا شمار ہوتا ہے",
        "1960 کی دہائی",
    ]:
        assert said in page, said
    assert "Collection overlap" not in page.split("<main")[1]
    unique = _text(client.get(UNIQUE_URL))
    assert "Alpha" in unique and "title of its" not in unique and "titles of its" not in unique
    matrix = _text(client.get(MATRIX_URL))
    assert "Member × member overlap" not in matrix.split("<main")[1]


def test_the_desk_links_to_collection_overlap(librarian, login):
    page = login(librarian).get("/desk/").content.decode()
    assert 'data-testid="tool-collection-overlap"' in page and f'href="{URL}"' in page
