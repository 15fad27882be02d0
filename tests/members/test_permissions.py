"""The permission registry: each app declares its rules, one registry collects them."""

from __future__ import annotations

import sys
import types

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver

from members.permissions import RULE_OWNERS, RULES, can, collect_rules
from tests.consortium.test_access_rules import _rule_of, _walk
from tests.factories import LibrarianFactory, LibraryAdminFactory, LibraryFactory


def test_each_app_declares_its_own_rules():
    # ILL rules live in ill, policy and agreement rules in policies, the rest in members
    assert {name for name, owner in RULE_OWNERS.items() if owner == "ill.rules"} == {
        "ill.request",
        "ill.staff",
        "ill.iso18626",
        "ill.report",
    }
    assert {name for name, owner in RULE_OWNERS.items() if owner == "policies.rules"} == {
        "policies.acknowledge",
        "agreements.accept",
        "agreements.view",
    }
    assert RULE_OWNERS["consortium.manage"] == RULE_OWNERS["public"] == "members.rules"
    assert set(RULES) == set(RULE_OWNERS)


def test_an_unknown_rule_fails_loudly():
    with pytest.raises(ValueError, match=r"Unknown permission rule 'ill\.teleport'"):
        can(None, "ill.teleport")


def test_two_apps_declaring_one_rule_stop_start_up(monkeypatch):
    # given two apps whose rules.py declare the same name
    for app in ("first_app", "second_app"):
        module = types.ModuleType(f"{app}.rules")
        module.RULES = {"ill.staff": lambda user, obj: True}
        monkeypatch.setitem(sys.modules, f"{app}.rules", module)
    # then collecting them names both, and the registry in use is left as it was
    before = dict(RULES)
    with pytest.raises(
        ImproperlyConfigured, match=r"'ill.staff' is declared by both first_app\.rules and second"
    ):
        collect_rules(["first_app", "second_app"])
    assert before == RULES


def test_collecting_again_gives_the_same_registry():
    before = dict(RULES)
    collect_rules(app.name for app in apps.get_app_configs())
    assert before == RULES


def test_every_rule_a_route_declares_is_registered():
    # given every route's rule, per-action rules and object rules included
    declared = set()
    for _route, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        declared |= {_rule_of(callback), *getattr(view, "action_rules", {}).values()}
        declared.add(getattr(view, "object_rule", None))
    # then each names a rule some app declared (None: the admin's own routes)
    assert declared - {None} <= set(RULES)


@pytest.mark.django_db
def test_an_app_rule_decides_for_the_library_it_is_given():
    # given a library admin and a librarian of one library
    library, other = LibraryFactory(), LibraryFactory()
    admin, librarian = LibraryAdminFactory(library=library), LibrarianFactory(library=library)
    # then the policies app's rule lets the admin sign for their own library only
    assert can(admin, "agreements.accept", library)
    assert not can(admin, "agreements.accept", other)
    assert not can(librarian, "agreements.accept", library)
    # and the ILL app's rule lets staff reach their library's queues, not another's
    assert can(librarian, "ill.staff", library) and not can(librarian, "ill.staff", other)
