"""Every consequential action on a policy (and on the holiday calendar) leaves an event with its actor."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError

from policies import exceptions as err
from policies import services
from policies.models import HolidayKind, PolicyEvent, PolicyEventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(consortium_admin):
    return services.policy_create(
        actor=consortium_admin,
        title="Interlibrary loan",
        slug="ill",
        category="interlibrary_loan",
        body_markdown="v1",
    )


def _history(policy) -> list[tuple[str, str, str]]:
    return [(e.kind, e.actor.username if e.actor else "", e.note) for e in policy.events.all()]


def test_a_policys_life_is_in_its_history_with_who_did_what(
    policy, consortium_admin, library_admin, library, other_library, django_capture_on_commit_callbacks
):
    # given a policy drafted and published by a consortium admin
    draft = policy.versions.get()
    draft = services.policy_draft_save(
        actor=consortium_admin, version=draft, body_markdown="v1 text", revision=1
    )
    services.policy_version_publish(
        actor=consortium_admin, version=draft, effective_from=date(2026, 1, 1), revision=draft.revision
    )
    # when a library acknowledges it, the admin reminds the others, starts a new draft, then retires it
    services.policy_acknowledge(actor=library_admin, version=draft)
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_reminders_send(actor=consortium_admin, policy=policy)
    services.policy_draft_start(actor=consortium_admin, policy=policy)
    services.policy_retire(actor=consortium_admin, policy=policy)
    # then each step is one event with its actor, in order
    admin, lib_admin = consortium_admin.username, library_admin.username
    assert _history(policy) == [
        (PolicyEventKind.CREATED, admin, ""),
        (PolicyEventKind.DRAFT_SAVED, admin, "revision 2"),
        (PolicyEventKind.PUBLISHED, admin, "version 1, in force from 2026-01-01"),
        (PolicyEventKind.ACKNOWLEDGED, lib_admin, ""),
        (PolicyEventKind.REMINDERS_SENT, admin, "1 libraries reminded"),
        (PolicyEventKind.DRAFT_STARTED, admin, ""),
        (PolicyEventKind.RETIRED, admin, ""),
    ]
    acknowledged = policy.events.get(kind=PolicyEventKind.ACKNOWLEDGED)
    assert acknowledged.library == library and acknowledged.version == draft


def test_a_refused_action_writes_no_event(policy, consortium_admin, library_admin):
    # given a draft with no effective date
    draft = policy.versions.get()
    # when publishing is refused, and a library admin tries to retire the policy
    with pytest.raises(err.PoliciesError):
        services.policy_version_publish(
            actor=consortium_admin, version=draft, effective_from=None, revision=1
        )
    with pytest.raises(err.PoliciesPermissionDenied):
        services.policy_retire(actor=library_admin, policy=policy)
    # then only the creation is in the history
    assert [e.kind for e in policy.events.all()] == [PolicyEventKind.CREATED]


def test_a_holiday_correction_is_recorded_with_who_made_it(consortium_admin):
    services.holiday_set(actor=consortium_admin, day=date(2026, 3, 21), kind=HolidayKind.CLOSED, name="Eid")
    event = PolicyEvent.objects.get()
    assert (event.kind, event.actor, event.policy) == (PolicyEventKind.HOLIDAY_SET, consortium_admin, None)
    assert event.note == "2026-03-21: closed (Eid)"


def test_only_a_calendar_correction_may_have_no_policy(consortium_admin):
    with pytest.raises(IntegrityError):
        PolicyEvent.objects.create(kind=PolicyEventKind.RETIRED, actor=consortium_admin, policy=None)


def test_a_holiday_corrected_in_the_django_admin_is_recorded_too(admin_client, admin_user):
    response = admin_client.post(
        "/admin/policies/holiday/add/", {"date": "2026-03-21", "kind": HolidayKind.CLOSED, "name": "Eid"}
    )
    assert response.status_code == 302, response.content
    event = PolicyEvent.objects.get()
    assert (event.kind, event.actor, event.note) == (
        PolicyEventKind.HOLIDAY_SET,
        admin_user,
        "2026-03-21: closed (Eid)",
    )
