"""Every operation of the live schema refuses whoever has no valid credentials (docs/api.md's
permission matrix, the rows every endpoint shares): no credentials, an expired token and a
revoked one are each a 401 problem and change nothing, whatever the endpoint and method. The
operations are read from `/api/schema/` itself, so an endpoint added later is covered too."""

import re

import pytest
import yaml
from rest_framework.test import APIClient

from portal.models import AuditEvent
from tests.api.spoiled import NOBODY, client_for

pytestmark = pytest.mark.django_db

PUBLIC = {"/api/schema/", "/api/tai-lieu/"}  # the schema and its docs page are public
METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str]]:
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    found = []
    for path, item in schema["paths"].items():
        if path in PUBLIC:
            continue
        # any id (the refusal comes before the lookup); an action by one of its names
        concrete = re.sub(
            r"\{([^}]+)\}", lambda m: "submit" if m.group(1) in ("action", "verb") else "1", path
        )
        found += [(method, concrete) for method in METHODS if method in item]
    return found


@pytest.mark.parametrize("who", NOBODY)
def test_every_operation_is_a_401_problem_without_valid_credentials(cast, who):
    found = operations()
    assert len(found) >= 27  # the whole API (27 operations today), not an empty schema
    client = client_for(cast, who)
    before = AuditEvent.objects.exclude(action__startswith="api_token.").count()
    wrong = {}
    for method, path in found:
        response = getattr(client, method)(path, {}, format="json")
        if response.status_code != 401 or "problem+json" not in response["Content-Type"]:
            wrong[f"{method.upper()} {path}"] = response.status_code
    assert wrong == {}
    assert AuditEvent.objects.exclude(action__startswith="api_token.").count() == before
