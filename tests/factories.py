"""factory_boy factories shared by every test module."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from members.models import Library, PatronStatus, Role, User

TEST_PASSWORD = "a-long-test-password-9"


class LibraryFactory(DjangoModelFactory):
    class Meta:
        model = Library
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PK-TEST{n}")
    name = factory.Sequence(lambda n: f"Test University {n}")
    name_ur = "آزمائشی جامعہ"
    kind = "university"
    city = "Lahore"
    province = "PB"
    email = factory.LazyAttribute(lambda o: f"library@{o.code.lower()}.edu.pk")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.pk")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    role = Role.PATRON
    library = factory.SubFactory(LibraryFactory)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PatronFactory(UserFactory):
    role = Role.PATRON
    patron_status = PatronStatus.APPROVED
    card_number = factory.Sequence(lambda n: f"CARD-{n:05d}")


class LibrarianFactory(UserFactory):
    role = Role.LIBRARIAN


class LibraryAdminFactory(UserFactory):
    role = Role.LIBRARY_ADMIN


class ConsortiumAdminFactory(UserFactory):
    role = Role.CONSORTIUM_ADMIN
    library = None
    is_staff = True
