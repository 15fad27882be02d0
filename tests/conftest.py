"""Fixtures shared by the whole suite: people of every role in two libraries."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import (
    TEST_PASSWORD,
    ConsortiumAdminFactory,
    LibrarianFactory,
    LibraryAdminFactory,
    LibraryFactory,
    PatronFactory,
)


@pytest.fixture
def library(db):
    return LibraryFactory(code="PK-HOME", name="Home University", city="Lahore", province="PB")


@pytest.fixture
def other_library(db):
    return LibraryFactory(code="PK-AWAY", name="Away University", city="Karachi", province="SD")


@pytest.fixture
def patron(library):
    return PatronFactory(username="patron", library=library)


@pytest.fixture
def librarian(library):
    return LibrarianFactory(username="librarian", library=library)


@pytest.fixture
def library_admin(library):
    return LibraryAdminFactory(username="libadmin", library=library)


@pytest.fixture
def other_librarian(other_library):
    return LibrarianFactory(username="other-librarian", library=other_library)


@pytest.fixture
def other_library_admin(other_library):
    return LibraryAdminFactory(username="other-libadmin", library=other_library)


@pytest.fixture
def consortium_admin(db):
    return ConsortiumAdminFactory(username="cadmin")


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture
def login():
    """A Client logged in as the given user."""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
        return client

    return _login


@pytest.fixture
def resolver(monkeypatch):
    """DNS answers a test chooses (tests.resolver.Resolver); other names resolve as usual."""
    import socket

    from tests.resolver import Resolver

    fake = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture(autouse=True)
def _outbox_delivers_eagerly(request, settings):
    """Unit tests run tasks in-process; the worker tests (marker 'worker') use a real worker."""
    # Django's test set-up swaps in the locmem backend; put the outbox back so every
    # email takes the production path (outbox row -> task -> delivery backend).
    settings.EMAIL_BACKEND = "members.email.OutboxEmailBackend"
    eager = request.node.get_closest_marker("worker") is None
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    from consortium.celery import app

    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _language_reset_after_each_test():
    """A test that switched to Urdu (a request with the language cookie) leaves English behind."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
