"""Migrations that check existing rows before they add a constraint."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.migrations.recorder import MigrationRecorder

from members.models import User
from tests.factories import LibrarianFactory, PatronFactory

BEFORE = "0002_library_iso18626_url"
NAMES_UNIQUE = "0003_user_names_unique_ignoring_case"


def _applied(name: str) -> bool:
    return MigrationRecorder.Migration.objects.filter(app="members", name=name).exists()


@pytest.fixture
def before_names_unique(transactional_db, library):
    """The database as it was before usernames and emails became unique regardless of case.

    The library is made first, with today's columns (later migrations add some to it)."""
    call_command("migrate", "members", BEFORE, verbosity=0)
    yield
    User.objects.all().delete()  # the test's own accounts: the next tests need the constraints
    call_command("migrate", "members", verbosity=0)


def test_colliding_accounts_stop_the_migration_with_their_names(before_names_unique, library):
    # given accounts that one spelling names, as the old schema allowed
    first = LibrarianFactory(username="lums-librarian", email="lums-librarian@lums.edu.pk", library=library)
    second = LibrarianFactory(username="LUMS-LIBRARIAN", email="twin-1@lums.edu.pk", library=library)
    third = PatronFactory(username="twin-2", email="Sana@Example.pk", library=library)
    fourth = PatronFactory(username="twin-3", email="sana@example.pk", library=library)
    fifth = PatronFactory(username="twin-4@lums.edu.pk", email="twin-5@lums.edu.pk", library=library)
    sixth = PatronFactory(username="twin-6", email="TWIN-4@lums.edu.pk", library=library)
    # when the operator migrates
    with pytest.raises(CommandError) as stopped:
        call_command("migrate", "members", verbosity=0)
    # then migrating stops, naming every colliding account and what to do
    message = str(stopped.value)
    assert "same username 'lums-librarian'" in message
    assert f"#{first.pk} 'lums-librarian'" in message and f"#{second.pk} 'LUMS-LIBRARIAN'" in message
    assert "same email 'sana@example.pk'" in message
    assert f"#{third.pk} 'twin-2' <Sana@Example.pk>" in message and f"#{fourth.pk} 'twin-3'" in message
    assert "username 'twin-4@lums.edu.pk' is the email of another account" in message
    assert f"#{fifth.pk}" in message and f"#{sixth.pk}" in message
    assert "run migrate again" in message
    # and nothing was changed: the migration is not applied and every account is kept as it was
    assert not _applied(NAMES_UNIQUE)
    assert User.objects.count() == 6
    assert User.objects.get(pk=second.pk).username == "LUMS-LIBRARIAN"
    # when the operator renames them, migrating goes through
    User.objects.filter(pk=second.pk).update(username="twin-lums-librarian-2")
    User.objects.filter(pk=fourth.pk).update(email="sana.other@example.pk")
    User.objects.filter(pk=sixth.pk).update(email="twin-6@lums.edu.pk")
    call_command("migrate", "members", verbosity=0)
    assert _applied(NAMES_UNIQUE)


def test_accounts_without_collisions_migrate(before_names_unique, library):
    LibrarianFactory(username="twin-a", email="a@lums.edu.pk", library=library)
    LibrarianFactory(username="twin-b", email="b@lums.edu.pk", library=library)
    call_command("migrate", "members", verbosity=0)
    assert _applied(NAMES_UNIQUE)
