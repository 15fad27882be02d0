"""Every consequential action on a member library leaves an event in its history, with its actor."""

from __future__ import annotations

import pytest
from django.core import mail

from members import services
from members.exceptions import MembersConflict
from members.models import Library, MembershipEvent
from tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


def _history(library: Library) -> list[tuple[str, str]]:
    events = MembershipEvent.objects.filter(library=library).order_by("pk")
    return [(e.kind, e.actor.username if e.actor else "") for e in events]


def test_a_members_life_is_in_its_history_with_who_did_what(
    consortium_admin, django_capture_on_commit_callbacks
):
    admin = consortium_admin
    # given a library the consortium admits, with an invited library admin
    library = services.library_create(
        actor=admin,
        code="PK-NEW",
        name="New University",
        kind="university",
        city="Quetta",
        province="BA",
        email="library@new.edu.pk",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_invite(actor=admin, library=library, email="head@new.edu.pk", role="library_admin")
    token = mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]
    head = services.invitation_accept(
        token=token, username="head", password="x-long-pass-123", first_name="Head", last_name="Librarian"
    )
    # when patrons register and are decided, tokens come and go, lending pauses and resumes
    with django_capture_on_commit_callbacks(execute=True):
        sana = services.patron_register(
            library=library,
            username="sana",
            email="sana@example.pk",
            password="x-long-pass-123",
            first_name="Sana",
            last_name="Iqbal",
            card_number="NEW-1",
        )
        services.patron_decide(actor=head, patron=sana, approve=True)
        other = PatronFactory(library=library, patron_status="pending")
        services.patron_decide(actor=head, patron=other, approve=False, reason="No such card")
    api_token, _key = services.api_token_create(actor=head, library=library, name="Koha")
    services.api_token_revoke(actor=head, token=api_token)
    services.library_pause_lending(actor=head, library=library, reason="Stocktaking", until=None)
    services.library_resume_lending(actor=head, library=library)
    services.library_deactivate(actor=admin, library=library, note="Left")
    services.library_reactivate(actor=admin, library=library)
    # then each step is one event with its actor, in order
    assert _history(library) == [
        ("joined", admin.username),
        ("staff_invited", admin.username),
        ("staff_joined", "head"),
        ("patron_registered", "sana"),
        ("patron_approved", "head"),
        ("patron_refused", "head"),
        ("token_created", "head"),
        ("token_revoked", "head"),
        ("lending_paused", "head"),
        ("lending_resumed", "head"),
        ("removed", admin.username),
        ("rejoined", admin.username),
    ]
    refused = MembershipEvent.objects.get(library=library, kind="patron_refused")
    assert refused.note == f"{other.username}: No such card"


def test_a_refused_decision_writes_no_event(library, librarian):
    # given a patron already approved
    patron = PatronFactory(library=library)
    # when staff try to decide again
    with pytest.raises(MembersConflict):
        services.patron_decide(actor=librarian, patron=patron, approve=False)
    # then the history has nothing new
    assert not MembershipEvent.objects.filter(library=library).exists()
