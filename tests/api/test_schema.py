"""The OpenAPI schema documents the write endpoints, the Bearer scheme and their problems, and
validates without a warning."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_a_warning(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/van-ban/{id}/{verb}/:" in text
    assert "scheme: bearer" in text


def test_the_action_endpoint_documents_its_problem_responses(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    responses = schema["paths"]["/api/v1/van-ban/{id}/{verb}/"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(responses)
