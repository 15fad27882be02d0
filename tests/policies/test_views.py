"""Pages: public policies, the admin editor with conflict detection, signing, the matrix."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from policies import services
from policies.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Holiday,
    PolicyAcknowledgement,
    PolicyVersion,
)
from tests.factories import LibraryFactory
from tests.policies.factories import AgreementFactory

pytestmark = pytest.mark.django_db

XSS_BODY = (
    "# Loans\n\nLend for 14 days.\n\n<script>alert('x')</script>\n\n"
    "[click](javascript:alert(1)) <img src=x onerror=alert(2)> \u202egpj.exe"
)


@pytest.fixture
def policy(consortium_admin):
    policy = services.policy_create(
        actor=consortium_admin,
        title="Interlibrary loan",
        slug="ill",
        category="interlibrary_loan",
        body_markdown=XSS_BODY,
    )
    draft = policy.versions.get()
    services.policy_version_publish(
        actor=consortium_admin, version=draft, effective_from=date(2026, 1, 1), revision=1
    )
    return policy


def test_public_list_shows_policies_in_force_only(client, policy, consortium_admin):
    services.policy_create(actor=consortium_admin, title="Unpublished idea", slug="idea", category="training")
    response = client.get(reverse("policies:list"))
    assert response.status_code == 200
    assert "Interlibrary loan" in response.text
    assert "Unpublished idea" not in response.text


def test_policy_page_is_sanitized_and_printable(client, policy):
    response = client.get(reverse("policies:detail", args=["ill"]))
    assert response.status_code == 200
    text = response.text
    assert "<script>alert('x')</script>" not in text
    assert "javascript:alert" not in text
    assert "onerror" not in text
    assert "\u202e" not in text
    assert "<h1>Loans</h1>" in text
    assert "css/policies.css" in text  # print stylesheet
    assert "Print or save as PDF" in text


def test_unpublished_policy_is_not_public(client, consortium_admin):
    services.policy_create(actor=consortium_admin, title="Secret draft", slug="secret", category="training")
    assert client.get(reverse("policies:detail", args=["secret"])).status_code == 404
    assert client.get(reverse("policies:detail", args=["no-such"])).status_code == 404


def test_history_and_diff_between_two_versions(client, policy, consortium_admin):
    draft = services.policy_draft_start(actor=consortium_admin, policy=policy)
    draft = services.policy_draft_save(
        actor=consortium_admin,
        version=draft,
        body_markdown=XSS_BODY.replace("14 days", "21 days"),
        change_note="Longer loans",
        revision=draft.revision,
    )
    services.policy_version_publish(
        actor=consortium_admin, version=draft, effective_from=date(2026, 2, 1), revision=draft.revision
    )
    page = client.get(reverse("policies:detail", args=["ill"]))
    assert "Longer loans" in page.text
    diff = client.get(reverse("policies:diff", args=["ill"]), {"from": 1, "to": 2})
    assert diff.status_code == 200
    assert "version 1 compared with version 2" in diff.text
    assert "diff_chg" in diff.text or "diff_add" in diff.text
    assert "<script>alert" not in diff.text
    old = client.get(reverse("policies:version", args=["ill", 1]))
    assert "This is not the version in force" in old.text
    # bad parameters fall back to the two latest versions rather than failing
    assert (
        client.get(reverse("policies:diff", args=["ill"]), {"from": "x; DROP TABLE", "to": "9"}).status_code
        == 200
    )


def test_library_admin_acknowledges_from_the_policy_page(login, policy, library_admin, library):
    client = login(library_admin)
    page = client.get(reverse("policies:detail", args=["ill"]))
    assert 'data-testid="acknowledge"' in page.text
    response = client.post(reverse("policies:acknowledge", args=["ill"]))
    assert response.status_code == 302
    assert PolicyAcknowledgement.objects.filter(library=library, version__policy=policy).exists()
    page = client.get(reverse("policies:detail", args=["ill"]))
    assert 'data-testid="acknowledge"' not in page.text
    assert "Acknowledged by" in page.text


def test_acknowledge_needs_post_and_a_library_admin(login, policy, librarian, library_admin):
    assert login(library_admin).get(reverse("policies:acknowledge", args=["ill"])).status_code == 405
    assert login(librarian).post(reverse("policies:acknowledge", args=["ill"])).status_code == 403
    assert not PolicyAcknowledgement.objects.exists()


def test_admin_creates_edits_and_publishes_a_policy(login, consortium_admin):
    client = login(consortium_admin)
    response = client.post(
        reverse("policies:manage"),
        {"title": "Document delivery", "slug": "document-delivery", "category": "document_delivery"},
    )
    assert response.status_code == 302
    edit_url = reverse("policies:edit", args=["document-delivery"])
    response = client.post(
        edit_url,
        {"body_markdown": "# Copies\n\nWithin 3 days.", "change_note": "", "revision": 1, "action": "save"},
    )
    assert response.status_code == 302
    response = client.post(
        edit_url,
        {
            "body_markdown": "# Copies\n\nWithin 3 working days.",
            "revision": 2,
            "effective_from": "2026-12-01",
            "action": "publish",
        },
    )
    assert response.status_code == 302
    version = PolicyVersion.objects.get(policy__slug="document-delivery")
    assert version.status == "published" and version.body_markdown.endswith("3 working days.")
    assert version.effective_from == date(2026, 12, 1)


def test_second_editor_is_told_and_sees_both_texts(login, consortium_admin, policy):
    client = login(consortium_admin)
    client.post(reverse("policies:draft-start", args=["ill"]))
    draft = PolicyVersion.objects.get(policy=policy, status="draft")
    edit_url = reverse("policies:edit", args=["ill"])
    first = client.post(
        edit_url, {"body_markdown": "first admin's text", "revision": draft.revision, "action": "save"}
    )
    assert first.status_code == 302
    second = client.post(
        edit_url, {"body_markdown": "second admin's text", "revision": draft.revision, "action": "save"}
    )
    assert second.status_code == 409
    assert "saved this draft while you were editing" in second.text
    assert "first admin&#x27;s text" in second.text  # theirs, shown
    assert "second admin&#x27;s text" in second.text  # mine, kept in the form
    draft.refresh_from_db()
    assert draft.body_markdown == "first admin's text"
    # having seen both texts, saving the merged text again is a deliberate replacement
    merged = client.post(
        edit_url,
        {
            "body_markdown": "merged text",
            "revision": second.context["form"]["revision"].value(),
            "action": "save",
        },
    )
    assert merged.status_code == 302
    draft.refresh_from_db()
    assert draft.body_markdown == "merged text"


def test_refused_publication_leaves_the_draft_unsaved(login, consortium_admin, policy):
    client = login(consortium_admin)
    client.post(reverse("policies:draft-start", args=["ill"]))
    draft = PolicyVersion.objects.get(policy=policy, status="draft")
    response = client.post(
        reverse("policies:edit", args=["ill"]),
        {
            "body_markdown": "new text",
            "revision": draft.revision,
            "effective_from": "2025-06-01",
            "action": "publish",
        },
    )
    assert response.status_code == 200
    assert "cannot take effect before" in response.text
    draft.refresh_from_db()
    assert draft.body_markdown == XSS_BODY and draft.revision == 1 and draft.status == "draft"


def test_megabyte_markdown_is_refused_in_the_editor(login, consortium_admin, policy):
    client = login(consortium_admin)
    client.post(reverse("policies:draft-start", args=["ill"]))
    draft = PolicyVersion.objects.get(policy=policy, status="draft")
    response = client.post(
        reverse("policies:edit", args=["ill"]),
        {"body_markdown": "word " * 210_000, "revision": draft.revision, "action": "save"},
    )
    assert response.status_code == 200
    assert "the limit is 200 KB" in response.text
    draft.refresh_from_db()
    assert draft.body_markdown == XSS_BODY


def test_live_preview_is_sanitized(login, consortium_admin):
    client = login(consortium_admin)
    response = client.post(
        reverse("policies:preview"), {"body_markdown": "**bold** <script>alert(1)</script>"}
    )
    assert "<strong>bold</strong>" in response.text
    assert "<script" not in response.text
    too_big = client.post(reverse("policies:preview"), {"body_markdown": "x" * 300_000})
    assert "limit is 200 KB" in too_big.text


def test_preview_is_for_consortium_admins_only(login, library_admin, client):
    assert login(library_admin).post(reverse("policies:preview"), {"body_markdown": "x"}).status_code == 403
    assert client.post(reverse("policies:preview"), {"body_markdown": "x"}).status_code == 302


def test_acknowledgement_page_and_reminders(login, consortium_admin, policy, other_library_admin, library):
    client = login(consortium_admin)
    page = client.get(reverse("policies:acknowledgements", args=["ill"]))
    assert "PK-AWAY" in page.text and "not yet" in page.text
    response = client.post(reverse("policies:acknowledgements", args=["ill"]))
    assert response.status_code == 302
    from members.models import OutboundEmail

    assert OutboundEmail.objects.filter(to__contains=[other_library_admin.email]).exists()


def test_retire_from_the_admin_list(login, consortium_admin, policy, client):
    login(consortium_admin).post(reverse("policies:retire", args=["ill"]))
    policy.refresh_from_db()
    assert policy.retired
    listing = client.get(reverse("policies:list"))
    assert "Retired policies" in listing.text


# --- agreements ---------------------------------------------------------------------------


@pytest.fixture
def proposed(consortium_admin, library, other_library, library_admin, other_library_admin):
    agreement = services.agreement_create(
        actor=consortium_admin,
        name="Home–Away loans",
        kind="bilateral",
        valid_from=date(2026, 1, 1),
        parties=[library, other_library],
        services_allowed=["loan"],
        loan_period_days=21,
    )
    return services.agreement_propose(actor=consortium_admin, agreement=agreement)


def test_agreement_pages_are_for_staff_and_admins(client, login, patron, librarian, proposed):
    assert client.get(reverse("policies:agreements")).status_code == 302
    assert login(patron).get(reverse("policies:agreements")).status_code == 403
    page = login(librarian).get(reverse("policies:agreements"))
    assert page.status_code == 200 and "Home–Away loans" in page.text


def test_drafts_are_hidden_from_library_staff(login, librarian, consortium_admin, library, other_library):
    draft = services.agreement_create(
        actor=consortium_admin,
        name="Not yet discussed",
        kind="bilateral",
        valid_from=date(2026, 1, 1),
        parties=[library, other_library],
        services_allowed=["copy"],
    )
    assert "Not yet discussed" not in login(librarian).get(reverse("policies:agreements")).text
    assert login(librarian).get(reverse("policies:agreement-detail", args=[draft.pk])).status_code == 404
    assert (
        login(consortium_admin).get(reverse("policies:agreement-detail", args=[draft.pk])).status_code == 200
    )


def test_signing_flow_for_both_library_admins(login, proposed, library_admin, other_library_admin):
    url = reverse("policies:agreement-detail", args=[proposed.pk])
    first = login(library_admin)
    assert 'data-testid="awaiting"' in first.get(reverse("policies:agreements")).text
    assert 'data-testid="accept"' in first.get(url).text
    first.post(reverse("policies:agreement-accept", args=[proposed.pk]))
    assert 'data-testid="accept"' not in first.get(url).text
    second = login(other_library_admin)
    response = second.post(reverse("policies:agreement-accept", args=[proposed.pk]), follow=True)
    assert "now active" in response.text
    proposed.refresh_from_db()
    assert proposed.status == AgreementStatus.ACTIVE
    assert "accepted by" in second.get(url).text


def test_librarian_cannot_sign(login, proposed, librarian):
    assert login(librarian).post(reverse("policies:agreement-accept", args=[proposed.pk])).status_code == 403
    assert not proposed.acceptances.exists()


def test_admin_of_a_non_party_library_cannot_sign(login, proposed):
    outsider = LibraryFactory(code="PK-OUT")
    from tests.factories import LibraryAdminFactory

    admin = LibraryAdminFactory(library=outsider)
    response = login(admin).post(
        reverse("policies:agreement-accept", args=[proposed.pk]),
        HTTP_REFERER="http://testserver" + reverse("policies:agreements"),
    )
    assert response.status_code == 404  # a proposal is visible only to its parties
    assert not proposed.acceptances.exists()


def test_agreement_form_shows_bad_terms_on_the_field(login, consortium_admin, library, other_library):
    client = login(consortium_admin)
    data = {
        "name": "Too long",
        "kind": "bilateral",
        "parties": [library.pk, other_library.pk],
        "valid_from": "2026-01-01",
        "services_allowed": ["loan"],
        "loan_period_days": 5000,
        "renewals_allowed": 1,
        "response_deadline_days": 3,
        "fee_pkr": 0,
        "shipping_paid_by": "borrower",
    }
    response = client.post(reverse("policies:agreement-create"), data)
    assert response.status_code == 200
    assert "between 1 and 365 days (got 5000)" in response.text
    assert not Agreement.objects.exists()
    data["loan_period_days"] = 21
    response = client.post(reverse("policies:agreement-create"), data)
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.status == AgreementStatus.DRAFT and agreement.loan_period_days == 21
    edit = client.post(
        reverse("policies:agreement-edit", args=[agreement.pk]), {**data, "loan_period_days": 0}
    )
    assert "(got 0)" in edit.text


def test_suspend_with_reason_from_the_detail_page(login, consortium_admin, library, other_library):
    agreement = AgreementFactory(parties=[library, other_library], excluded_formats=["thesis", "rare"])
    client = login(consortium_admin)
    response = client.post(
        reverse("policies:agreement-action", args=[agreement.pk, "suspend"]), {"reason": "Books not returned"}
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SUSPENDED
    page = client.get(reverse("policies:agreement-detail", args=[agreement.pk])).text
    assert "Books not returned" in page
    assert "Thesis, Rare books" in page
    assert (
        client.post(reverse("policies:agreement-action", args=[agreement.pk, "explode"])).status_code == 404
    )


def test_matrix_shows_the_deciding_agreement(
    login, consortium_admin, library, other_library, django_assert_max_num_queries
):
    cw = AgreementFactory(
        name="Consortium ILL", kind=AgreementKind.CONSORTIUM_WIDE, services_allowed=["copy"]
    )
    pair = AgreementFactory(
        name="Home–Away", parties=[library, other_library], services_allowed=["loan", "copy"]
    )
    LibraryFactory.create_batch(10)
    client = login(consortium_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("policies:matrix"))
    assert response.status_code == 200
    assert f"#{pair.pk}" in response.text and f"#{cw.pk}" in response.text
    assert "Home–Away" in response.text
    legend = response.text.split('data-testid="legend"')[1]
    assert reverse("policies:agreement-detail", args=[pair.pk]) in legend
    assert reverse("policies:agreement-detail", args=[cw.pk]) in legend


def test_matrix_is_for_consortium_admins(login, library_admin):
    assert login(library_admin).get(reverse("policies:matrix")).status_code == 403


def test_holiday_corrections_page(login, consortium_admin):
    client = login(consortium_admin)
    response = client.post(
        reverse("policies:holidays"),
        {"date": "2027-03-11", "kind": "closed", "name": "Eid al-Fitr (sighted)"},
    )
    assert response.status_code == 302
    assert Holiday.objects.get(date=date(2027, 3, 11)).name == "Eid al-Fitr (sighted)"
    bad = client.post(reverse("policies:holidays"), {"date": "2027-02-30", "kind": "closed", "name": "x"})
    assert bad.status_code == 200 and "valid date" in bad.text


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("patron", 403),
        ("librarian", 403),
        ("library_admin", 403),
        ("consortium_admin", 200),
    ],
)
def test_admin_pages_refuse_everyone_but_consortium_admins(
    role, expected, client, login, patron, librarian, library_admin, consortium_admin, policy
):
    users = {
        "patron": patron,
        "librarian": librarian,
        "library_admin": library_admin,
        "consortium_admin": consortium_admin,
    }
    c = client if role == "anonymous" else login(users[role])
    for name, args in [
        ("policies:manage", []),
        ("policies:edit", ["ill"]),
        ("policies:acknowledgements", ["ill"]),
        ("policies:agreement-create", []),
        ("policies:matrix", []),
        ("policies:holidays", []),
    ]:
        assert c.get(reverse(name, args=args)).status_code == expected, name


def test_library_admin_sees_which_policies_await_acknowledgement(login, policy, library_admin, librarian):
    client = login(library_admin)
    assert 'data-testid="to-acknowledge"' in client.get(reverse("policies:list")).text
    client.post(reverse("policies:acknowledge", args=["ill"]))
    assert 'data-testid="to-acknowledge"' not in client.get(reverse("policies:list")).text
    assert 'data-testid="to-acknowledge"' not in login(librarian).get(reverse("policies:list")).text
