"""CSRF on every state change, no GET that changes data, stored XSS through names, N+1 guards."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from policies.models import AgreementKind, PolicyAcknowledgement
from tests.policies.factories import AgreementFactory, PolicyFactory, PolicyVersionFactory, published_policy

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>\u202e'


@pytest.fixture
def policy(consortium_admin):
    return published_policy(consortium_admin, title=f"Loans {SCRIPT}", body_markdown="# Hi")


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
    return client


def test_state_changes_need_the_csrf_token(policy, library_admin, consortium_admin, library, other_library):
    assert csrf_client(library_admin).post(reverse("policies:acknowledge", args=["ill"])).status_code == 403
    assert not PolicyAcknowledgement.objects.exists()
    agreement = AgreementFactory(parties=[library, other_library])
    admin = csrf_client(consortium_admin)
    assert (
        admin.post(
            reverse("policies:agreement-action", args=[agreement.pk, "suspend"]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert admin.post(reverse("policies:retire", args=["ill"])).status_code == 403
    assert admin.post("/api/v1/agreements/", {}, content_type="application/json").status_code == 403
    agreement.refresh_from_db()
    policy.refresh_from_db()
    assert agreement.status == "active" and not policy.retired


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("policies:acknowledge", ["ill"]),
        ("policies:retire", ["ill"]),
        ("policies:draft-start", ["ill"]),
        ("policies:preview", []),
        ("policies:agreement-accept", [1]),
        ("policies:agreement-action", [1, "suspend"]),
    ],
)
def test_no_get_changes_data(login, consortium_admin, policy, name, args):
    assert login(consortium_admin).get(reverse(name, args=args)).status_code == 405


def test_names_with_markup_are_escaped_everywhere(
    client, login, consortium_admin, policy, library, other_library
):
    AgreementFactory(name=f"Pact {SCRIPT}", parties=[library, other_library])
    pages = [
        client.get(reverse("policies:list")),
        client.get(reverse("policies:detail", args=["ill"])),
        login(consortium_admin).get(reverse("policies:agreements")),
        login(consortium_admin).get(reverse("policies:matrix")),
        login(consortium_admin).get(reverse("policies:manage")),
    ]
    for page in pages:
        assert page.status_code == 200
        assert '<script>alert("x")</script>' not in page.text
    assert "&lt;script&gt;" in pages[0].text


def test_policy_list_query_count_does_not_grow_with_policies(client, django_assert_max_num_queries):
    for n in range(12):
        policy = PolicyFactory()
        PolicyVersionFactory(policy=policy, number=1)
        PolicyVersionFactory(policy=policy, number=2, effective_from=date(2026, 2, n + 1))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("policies:list"))
    assert response.text.count('data-testid="policy-') == 12


def test_agreement_list_query_count_does_not_grow_with_agreements(
    login, librarian, django_assert_max_num_queries
):
    from tests.factories import LibraryFactory

    for _ in range(10):
        AgreementFactory(parties=LibraryFactory.create_batch(2))
    AgreementFactory(kind=AgreementKind.CONSORTIUM_WIDE)
    client = login(librarian)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("policies:agreements"))
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        api = client.get("/api/v1/agreements/")
    assert api.json()["count"] == 11
