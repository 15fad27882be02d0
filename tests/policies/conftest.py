from __future__ import annotations

import pytest

from tests.factories import LibraryFactory


@pytest.fixture
def third_library(db):
    return LibraryFactory(code="PK-THIRD", name="Third University", city="Peshawar", province="KP")
