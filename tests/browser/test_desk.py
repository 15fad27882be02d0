"""Each role's desk in a real browser, in both languages: log in, land on the desk, follow a
card to its queue (no URL typed)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ill import states
from members.models import PatronStatus
from policies.calendar import pakistan_date
from tests.desk.factories import IllRequestFactory
from tests.factories import PatronFactory
from tests.policies.factories import AgreementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Card titles as each language shows them (the Urdu ones from locale/ur).
TITLES = {
    "validate": {"en": "Requests to validate", "ur": "تصدیق کی منتظر درخواستیں"},
    "patrons": {"en": "Patrons to approve", "ur": "منظوری کے منتظر قارئین"},
    "agreements_ending": {
        "en": "Agreements ending within 60 days",
        "ur": "60 دن کے اندر ختم ہونے والے معاہدے",
    },
}


def _log_in(page, live_server, username: str, password: str, language: str) -> None:
    """Log in through the form of the page in this language (labels differ, ids do not)."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def desk_data(library, other_library):
    """One thing waiting in a queue of each role's desk."""
    IllRequestFactory(
        borrower=library, status=states.SUBMITTED, title="Tarikh-e-Lahore", waiting=timedelta(days=2)
    )
    PatronFactory(
        username="new-reader", first_name="Ayesha", last_name="Siddiqui", library=library,
        patron_status=PatronStatus.PENDING,
    )  # fmt: skip
    AgreementFactory(
        name="Lahore–Karachi exchange", valid_until=pakistan_date() + timedelta(days=25),
        parties=[library, other_library],
    )  # fmt: skip
    AgreementFactory(
        name="Long-running exchange", valid_until=pakistan_date() + timedelta(days=400),
        parties=[library, other_library],
    )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize(
    ("who", "card", "queue_path", "in_queue", "not_in_queue"),
    [
        ("librarian", "validate", "/ill/borrowing/?status=submitted", "Tarikh-e-Lahore", None),
        ("library_admin", "patrons", "/my-library/#h-patrons", "Ayesha Siddiqui", None),
        (
            "consortium_admin", "agreements_ending", "/agreements/?ending=60", "Lahore–Karachi exchange",
            "Long-running exchange",
        ),
    ],
    ids=["librarian", "library_admin", "consortium_admin"],
)  # fmt: skip
def test_each_role_lands_on_its_desk_and_follows_a_card_to_its_queue(
    request, page, live_server, password, screenshot, desk_data, language, who, card, queue_path, in_queue,
    not_in_queue,
):  # fmt: skip
    # given a member of staff of this role, in this language
    user = request.getfixturevalue(who)
    # when they log in
    _log_in(page, live_server, user.username, password, language)
    # then they are at their desk, in their language, the card counting what waits
    assert page.url.endswith("/desk/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ur" else "ltr")
    tile = page.get_by_test_id(f"card-{card}")
    assert tile.get_by_test_id("count").inner_text().strip() == "1"
    assert TITLES[card][language] in tile.inner_text()
    screenshot(f"{who}-{language}")
    # when they follow the card (the header's Desk link took them nowhere else)
    assert page.get_by_test_id("nav-desk").get_attribute("aria-current") == "page"
    tile.get_by_role("link").click()
    page.wait_for_url(f"**{queue_path}")
    # then the queue lists what the card counted
    assert in_queue in page.locator("main").inner_text()
    if not_in_queue:
        assert not_in_queue not in page.locator("main").inner_text()


@pytest.mark.parametrize(("language", "first_is_right"), [("ur", True), ("en", False)])
def test_cards_run_right_to_left_in_urdu(page, live_server, password, librarian, language, first_is_right):
    _log_in(page, live_server, librarian.username, password, language)
    boxes = [c.bounding_box() for c in page.locator("[data-testid=section-borrowing] .card").all()[:2]]
    assert boxes[0]["y"] == boxes[1]["y"]  # side by side at 1280 px
    assert (boxes[0]["x"] > boxes[1]["x"]) is first_is_right
