"""Rota reasons are data (a code and numbers) and each reader sees them in their language;
the migration reads the English reasons stored before."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ill.models import RotaEntry
from ill.rota_reasons import rota_reason_text

pytestmark = pytest.mark.django_db
migration = importlib.import_module("ill.migrations.0006_rota_reason_data")


def test_routing_stores_the_reason_as_data_and_pages_say_it_in_the_readers_language(sent, librarian, login):
    # given a routed request
    entry = RotaEntry.objects.get(request=sent, lender=sent.supplier)
    # then the entry keeps what ranked it as numbers and codes
    assert entry.reason_data["code"] == "ranked"
    assert entry.reason_data["lent"] == 0 and entry.reason_data["on_shelf"] is True
    assert entry.reason_data["policy"]["reason"] == "allowed"
    # and the English text kept for API clients reads as before
    assert entry.reason.startswith("within open-loan limit (0/∞); copy on the shelf; lent 0, borrowed 0")
    # when the borrowing library's librarian reads the request (and its rota) in Urdu
    client = login(librarian)
    client.cookies["django_language"] = "ur"
    html = client.get(f"/ill/requests/{sent.pk}/").content.decode()
    # then the reason is Urdu
    with translation.override("ur"):
        urdu = rota_reason_text(entry.reason_data)
    assert urdu in html
    for english in ("copy on the shelf", "in the last year", "allows loans", "open-loan limit"):
        assert english not in html
    assert "شیلف" in urdu


def test_an_agreement_name_in_an_urdu_reason_is_isolated_and_the_english_reason_is_plain(sent):
    # given a routed request, whose rota reason names the agreement that allowed the loan
    entry = RotaEntry.objects.get(request=sent, lender=sent.supplier)
    name = entry.reason_data["policy"]["name"]
    # then in Urdu the name is one isolate (U+2068 ... U+2069) inside its quotes, so an
    # English name does not carry the quotes and the Urdu words around it into its own
    # direction, as it did on a phone
    with translation.override("ur"):
        assert f"“\u2068{name}\u2069”" in rota_reason_text(entry.reason_data)
    # and in English (the API's text, the logs) it is as it was
    with translation.override("en"):
        assert f"“{name}”" in rota_reason_text(entry.reason_data)


def test_an_entry_whose_old_reason_does_not_parse_shows_it_as_stored(sent):
    entry = RotaEntry.objects.get(request=sent, lender=sent.supplier)
    RotaEntry.objects.filter(pk=entry.pk).update(reason="Put here by hand in 2025.", reason_data={})
    entry.refresh_from_db()
    assert entry.reason_text == "Put here by hand in 2025."


# What routing wrote before reasons were data (the service word was the code then).
OLD_REASONS = [
    (
        "within open-loan limit (0/∞); copy on the shelf; lent 3, borrowed 1 in the last year; same city; "
        "filled 4 of 4 asked; answers in 1.5 days on average. Bilateral agreement “Lahore–Karachi” allows loan.",
        {
            "lent": 3,
            "borrowed": 1,
            "filled": 4,
            "asked": 4,
            "answer_days": 1.5,
            "proximity": 0,
            "limit": None,
        },
    ),
    (
        "Named by the requesting library, asked in its order (ISO 18626 supplyingAgencyId, supplierInfo); "
        "over the agreed maximum of open "
        "loans (2/2); copies on loan now; lent 0, borrowed 0 in the last year; other province; no history "
        "(counted at 90%). Consortium-wide agreement “Consortium ILL” allows copy.",
        {"named_first": True, "over_limit": True, "limit": 2, "on_shelf": False, "default_rate": 0.9},
    ),
    ("Not asked: the lending library has paused lending.", {"code": "skipped"}),
    (
        "Not asked: Multilateral agreement “Sindh libraries” excludes manuscript.",
        {
            "code": "skipped",
            "policy": {
                "reason": "format_excluded",
                "kind": "multilateral",
                "name": "Sindh libraries",
                "formats": ["manuscript"],
            },
        },
    ),
    (
        "Chosen by staff of the requesting library (library 7). Bilateral agreement “A–B” allows loan.",
        {"code": "chosen_by_staff", "library": 7},
    ),
]


@pytest.mark.parametrize(("text", "expected"), OLD_REASONS)
def test_the_migration_reads_reasons_routing_wrote_in_english(text, expected):
    data = migration.reason_data(text)
    assert data is not None
    assert expected.items() <= data.items()
    # and the reason said again in English from the data is the old sentence (service words aside)
    with translation.override("en"):
        again = rota_reason_text(data)
    assert again.replace("allows loans", "allows loan").replace("allows copies", "allows copy") == text


def test_the_migration_leaves_what_it_cannot_read():
    assert migration.reason_data("Put here by hand in 2025.") is None
    assert migration.reason_data("Not asked: someone said so.") is None


@given(
    lent=st.integers(0, 500),
    borrowed=st.integers(0, 500),
    asked=st.integers(0, 50),
    filled=st.integers(0, 50),
    proximity=st.integers(0, 2),
    on_shelf=st.booleans(),
    named_first=st.booleans(),
    limit=st.one_of(st.none(), st.integers(1, 20)),
    answer_days=st.one_of(st.none(), st.floats(0, 60).map(lambda d: round(d, 1))),
)
def test_any_english_reason_reads_back_as_its_data(
    lent, borrowed, asked, filled, proximity, on_shelf, named_first, limit, answer_days
):
    data = {
        "code": "ranked", "named_first": named_first, "open_loans": 1, "limit": limit,
        "over_limit": limit is not None and limit <= 1, "on_shelf": on_shelf, "lent": lent,
        "borrowed": borrowed, "proximity": proximity, "asked": asked, "filled": filled if asked else 0,
        "default_rate": 0.9, "answer_days": answer_days,
        "policy": {"reason": "allowed", "kind": "bilateral", "name": "A; B. C", "service": "loan"},
    }  # fmt: skip
    with translation.override("en"):
        text = rota_reason_text(data)
    assert migration.reason_data(text) == data
