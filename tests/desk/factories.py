"""Factories for the desk's tests: requests already in a given state, import jobs, tokens.

The desk only reads, so its tests place rows in the states its cards count; how requests
get there is ill/services.py's business (tested in tests/ill).
"""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from catalogue.models import ImportJob
from ill import states
from ill.models import IllRequest, RotaEntry
from members.models import ApiToken, Invitation
from policies.calendar import pakistan_date
from tests.factories import LibraryFactory

# Requester statuses in which a loan is out, so the request carries a due date.
ON_LOAN = {states.SHIPPED, states.RECEIVED, states.CHECKED_OUT, states.OVERDUE}


class IllRequestFactory(DjangoModelFactory):
    """A request in a given status; ``waiting`` is how long ago it entered it."""

    class Meta:
        model = IllRequest
        skip_postgeneration_save = True

    class Params:
        waiting = timedelta(hours=2)

    borrower = factory.SubFactory(LibraryFactory)
    title = factory.Sequence(lambda n: f"Tarikh-e-Adab volume {n}")
    status = states.SUBMITTED
    supplier_status = states.NONE
    supplier = None
    status_changed_at = factory.LazyAttribute(lambda o: timezone.now() - o.waiting)
    due_date = factory.LazyAttribute(
        lambda o: pakistan_date() + timedelta(days=14) if o.status in ON_LOAN else None
    )


class AskedRotaEntryFactory(DjangoModelFactory):
    """The rota entry that asked the request's supplier, with its response deadline."""

    class Meta:
        model = RotaEntry

    request = factory.SubFactory(IllRequestFactory)
    position = 1
    lender = factory.LazyAttribute(lambda o: o.request.supplier)
    reason = "holds a lendable copy"
    status = RotaEntry.Status.ASKED
    asked_at = factory.LazyFunction(timezone.now)
    deadline_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))


class ImportJobFactory(DjangoModelFactory):
    class Meta:
        model = ImportJob

    library = factory.SubFactory(LibraryFactory)
    file = "imports/2026/12/books.mrc"
    original_name = "books.mrc"
    format = "marc"
    status = ImportJob.Status.DONE


def running_import(library, *, elapsed: float = 60, read: int = 1_000_000, records: int = 2_000, **fields):
    """A job part way through a 4 MB file, this run ``elapsed`` seconds old."""
    return ImportJobFactory(
        library=library,
        status=ImportJob.Status.RUNNING,
        bytes_total=4_000_000,
        bytes_read=read,
        processed=records,
        total=records,
        run_started_at=timezone.now() - timedelta(seconds=elapsed),
        **fields,
    )


class ApiTokenFactory(DjangoModelFactory):
    class Meta:
        model = ApiToken

    library = factory.SubFactory(LibraryFactory)
    name = "Koha"
    prefix = factory.Sequence(lambda n: f"ish{n:05d}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    library = factory.SubFactory(LibraryFactory)
    email = factory.Sequence(lambda n: f"new-staff{n}@example.pk")
    role = "librarian"
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
