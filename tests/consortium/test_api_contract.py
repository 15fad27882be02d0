"""The REST API does what its OpenAPI schema says: schemathesis against the app.

Every operation of /api/schema/ gets a bounded number of generated requests, valid and
invalid, for each of three callers: a library's system by its API token, its library
admin and a consortium admin (sessions, with their CSRF token). The requests go in-process
to Django's WSGI handler inside this test's transaction, so what they write is rolled back
with it (pytest-django) and no other test sees it. Each answer must not be a server error;
its status and content type must be documented for the operation, its body must match the
documented schema, and input the schema rules out must be refused.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from catalogue.models import ImportJob
from ill.services import ill_request_create, ill_request_transition
from members.services import api_token_create
from policies.models import AgreementKind, AgreementStatus
from tests.factories import (
    ConsortiumAdminFactory,
    LibrarianFactory,
    LibraryAdminFactory,
    LibraryFactory,
    PatronFactory,
)
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory, PolicyFactory, PolicyVersionFactory

# Examples per operation and caller (the coverage phase adds its boundary cases): the 28
# operations for a library's token, and those only an admin may do for the admins, take
# about two minutes on a 2-core machine. Derandomized with a fixed seed, so a failure comes
# back the same on the next run.
MAX_EXAMPLES = 20
SEED = 13


@schemathesis.check
def invalid_input_is_refused(ctx, response, case):
    """Schemathesis' negative_data_rejection, but for DRF's reading of a JSON value's type.

    DRF reads a number given for a text field as its digits and a numeric string for a
    number (what HTML forms need, deliberately kept); an invalid choice, a missing field,
    a value out of range or of no readable type is still refused.
    """
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData as failure:
        component = failure.message.partition("Invalid component: ")[2].splitlines()
        mutations = component[1:] or component
        if component and "in body" in component[0] and all("Incorrect type" in m for m in mutations):
            return None
        raise


# Schemathesis' checks for a contract: no 5xx, and nothing the schema does not say.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    invalid_input_is_refused,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "mode": "all",
            # Each test sends its caller's real credentials, not made-up tokens and cookies.
            "with-security-parameters": False,
        },
        # Methods the schema does not list are DRF's 405, not part of the contract.
        "phases": {"stateful": {"enabled": False}, "coverage": {"unexpected-methods": []}},
    }
)

# The world is made once per operation and caller; the examples add to it on purpose (a
# request one example creates is there for the next), and all of it is rolled back after.
WORLD_PERSISTS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# Loaded when the module is collected (Django is set up by then and the schema view reads
# no database): one test per operation and caller, named by its method and path.
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)

# The world's objects by the path segment before a parameter ({id} after "requests/"), so
# that part of the valid requests reach a real object and its 200 body is checked too.
EXISTING: dict[str, list] = defaultdict(list)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    segments = context.operation.path.strip("/").split("/")
    choices = {}
    for before, segment in itertools.pairwise(segments):
        name = segment.strip("{}")
        if (
            segment.startswith("{")
            and EXISTING[before]
            and type(path_parameters.get(name)) is type(EXISTING[before][0])
        ):
            choices[name] = st.sampled_from(EXISTING[before])
    if not choices:
        return st.just(path_parameters)
    existing = st.fixed_dictionaries(choices).map(lambda real: {**path_parameters, **real})
    return st.just(path_parameters) | existing


@pytest.fixture
def _in_process(db):
    """Requests run in this thread and this test's transaction, as Django's test Client runs them."""
    # Django closes a connection it finds inside a transaction at each request's start and
    # end; the test Client switches that off for its requests, and so must a bare handler.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(_in_process):
    """Two member libraries with records, ILL requests, a policy, agreements and an import."""
    home = LibraryFactory(code="PK-HOME", name="Home University", city="Lahore", province="PB")
    away = LibraryFactory(code="PK-AWAY", name="Away University", city="Karachi", province="SD")
    agreements = [
        AgreementFactory(name="Consortium ILL", kind=AgreementKind.CONSORTIUM_WIDE),
        AgreementFactory(name="Home and Away", parties=[home, away], status=AgreementStatus.PROPOSED),
    ]
    policy = PolicyVersionFactory(policy=PolicyFactory(slug="interlibrary-loan")).policy
    patron = PatronFactory(library=home)
    records = [held_by(away) for _ in range(3)]
    requests = [ill_request_create(actor=patron, bib_record_id=record.pk) for record in records]
    ill_request_transition(request_id=requests[0].pk, action="validate", actor=LibrarianFactory(library=home))
    admin = LibraryAdminFactory(library=home)
    job = ImportJob.objects.create(library=home, original_name="catalogue.mrc", format="marc")
    EXISTING.clear()
    EXISTING.update(
        agreements=[a.pk for a in agreements],
        requests=[r.pk for r in requests],
        imports=[job.pk],
        libraries=[home.code, away.code],
        policies=[policy.slug],
        records=[r.pk for r in records],
    )
    yield {"home": home, "library_admin": admin}
    EXISTING.clear()


def _session(user) -> dict[str, dict[str, str]]:
    """A signed-in browser's cookies and CSRF header, as the portal's own pages send them."""
    client = Client()
    client.force_login(user, backend="members.backends.EmailOrUsernameBackend")
    csrf = get_token(RequestFactory().get("/"))
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
    }


@pytest.fixture
def credentials(world):
    """What each caller sends (headers, cookies), made once per test."""
    made: dict[str, dict[str, dict[str, str]]] = {}

    def _credentials(caller: str) -> dict[str, dict[str, str]]:
        if caller not in made:
            if caller == "library token":
                _token, key = api_token_create(
                    actor=world["library_admin"], library=world["home"], name="Koha"
                )
                made[caller] = {"headers": {"Authorization": f"Token {key}"}}
            elif caller == "library admin":
                made[caller] = _session(world["library_admin"])
            else:
                made[caller] = _session(ConsortiumAdminFactory())
        # The in-process client does not undo GZipMiddleware's compression: ask for the
        # body as is (compression is checked in test_production and test_frontend).
        made[caller]["headers"]["Accept-Encoding"] = "identity"
        return made[caller]

    return _credentials


@schema.parametrize()
@WORLD_PERSISTS
def test_library_system_by_its_token(case, credentials):
    case.call_and_validate(**credentials("library token"), checks=CHECKS)


# What only a library admin may do: acknowledge a policy, sign an agreement for the library.
@schema.include(path_regex=r"/(acknowledge|accept)/$").parametrize()
@WORLD_PERSISTS
def test_library_admin_by_session(case, credentials):
    case.call_and_validate(**credentials("library admin"), checks=CHECKS)


# What only a consortium admin may do: write policies and agreements (and see every agreement).
@(
    schema.include(path_regex=r"^/api/v1/(policies|agreements)/")
    .exclude(path_regex=r"/(acknowledge|accept|terms)/$")
    .exclude(method="GET", path_regex="^/api/v1/policies/")
    .parametrize()
)
@WORLD_PERSISTS
def test_consortium_admin_by_session(case, credentials):
    case.call_and_validate(**credentials("consortium admin"), checks=CHECKS)
