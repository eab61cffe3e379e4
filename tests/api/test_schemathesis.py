"""schemathesis against the live schema (docs/api.md): the project's WSGI application with its real
URLconf, on the test database, with letters, certificates and devices made through the factories
and services, called with real personal API tokens of a clerk and of a provincial officer.
Generated requests (valid and invalid ones) on every operation, then stateful chains that follow
the schema's OpenAPI links from `POST /api/v1/van-ban/` to the rows and actions of the letter it
created: no answer is a server error, none breaks its documented schema, and every status is
one the schema documents. Reproducible (derandomize) and bounded (examples per operation)."""

from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from requests_app.choices import Status
from tests import factories as f
from tests.api.calls import token_for
from tests.requests_app.letters import letter_at

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
PERSONAS = ("clerk_a", "officer_1")
# Examples per operation, generation mode and persona: 25 operations × 2 × 2 × 30 = 3,000
# requests (at least 1,000 whatever the API's size), about a minute on 2 cores.
EXAMPLES = 30
MINIMUM_REQUESTS = 1000
SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


class CountingApp:
    """The WSGI application as a server runs it, counting the API requests that reach it. Like
    Django's test client, it leaves the connection open between requests (the test's
    transaction holds every row the requests create)."""

    def __init__(self, application):
        self.application = application
        self.requests = Counter()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"].startswith("/api/v1/"):
            self.requests[environ["REQUEST_METHOD"]] += 1
        return self.application(environ, start_response)


@pytest.fixture
def app():
    from config.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield CountingApp(application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(cast):
    """What the personas find: letters of agency A at three steps (the officer's inbox holds
    the signed one), devices and certificates in both provinces."""
    letters = [letter_at(cast, s, rows=2) for s in (Status.DRAFT, Status.AWAITING_HEAD)]
    letters.append(letter_at(cast, Status.PROVINCE_REVIEW))
    certificates, devices = [], []
    for agency in (cast.agency_a, cast.unit_a, cast.agency_c):
        person = f.PersonFactory(organization=agency)
        device = f.DeviceFactory(agency=agency, holder=person)
        devices.append(device.pk)
        certificates.append(
            f.CertificateFactory(person=person, agency=agency, device=device).serial
        )
    return {
        "id": [x.pk for x in letters],
        "serial": certificates,
        "device": devices,
        "agency": cast.agency_a.pk,
    }


@pytest.fixture
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/schema/", app)


def bearer(cast, persona) -> dict:
    return {"Authorization": f"Bearer {token_for(getattr(cast, persona))}"}


def aim(case, data, world) -> None:
    """Half the time, point a generated request at something that exists: a letter, device or
    certificate of the world, and the clerk's own agency for a new letter, so that creates
    succeed and actions run on real letters instead of ending at 404."""
    if not data.draw(st.booleans(), label="aim at an existing object"):
        return
    params = case.path_parameters or {}
    if "id" in params:
        pool = world["device"] if "/thiet-bi/" in case.operation.path else world["id"]
        params["id"] = data.draw(st.sampled_from(pool), label="id")
    if "serial" in params:
        params["serial"] = data.draw(st.sampled_from(world["serial"]), label="serial")
    if case.operation.path == "/api/v1/van-ban/" and isinstance(case.body, dict):
        case.body["agency"] = world["agency"]


def fuzz(operation, mode, headers, world) -> None:
    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        aim(case, data, world)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_generated_requests_find_no_server_error_and_no_broken_schema(app, schema, cast, world):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # 3 lists, 3 reads, create, rows (POST, PUT), actions
    for persona in PERSONAS:
        headers = bearer(cast, persona)
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode, headers, world)
    assert sum(app.requests.values()) >= MINIMUM_REQUESTS, app.requests
    assert {"GET", "POST", "PUT"} <= set(app.requests)


def test_stateful_chains_from_create_to_the_letters_actions_hold(app, schema, cast, world):
    headers = bearer(cast, "clerk_a")
    seen = {"created": set(), "acted_on_created": Counter()}

    letters = schema.include(path_regex=r"^/api/v1/van-ban/")

    class Letters(letters.as_state_machine()):
        def setup(self):
            # Each scenario in its own savepoint, rolled back after it: a scenario never sees
            # another's letters, so Hypothesis replays it exactly (derandomize).
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def before_call(self, case):
            if case.operation.path == "/api/v1/van-ban/" and isinstance(case.body, dict):
                case.body["agency"] = world["agency"]  # the clerk's own agency

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            if case.operation.method.upper() == "POST" and response.status_code == 201:
                seen["created"].add(response.json()["id"])
            elif (case.path_parameters or {}).get("id") in seen["created"]:
                seen["acted_on_created"][case.path_parameters.get("verb", "dong")] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    before = sum(app.requests.values())
    Letters.run(settings=settings(max_examples=40, stateful_step_count=6, **SETTINGS))
    assert sum(app.requests.values()) - before >= 100
    assert seen["created"], "no letter was created"
    assert sum(seen["acted_on_created"].values()) > 0, "no link was followed to a new letter"
