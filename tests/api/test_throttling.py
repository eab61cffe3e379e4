"""The API's rate limits (portal/api/throttles.py): past the limit of a token, or of a client
address whatever the token, the API answers 429 with `Retry-After`, as a Vietnamese problem,
and the schema says so on every operation."""

import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.api.calls import api_as, token_for
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def low_rates(settings):
    """Low limits, counted under a key prefix of this test's own in the real throttle cache
    (Redis when REDIS_URL is set), so nothing another test counted is seen."""
    settings.PORTAL_API_RATE_TOKEN = "5/minute"
    settings.PORTAL_API_RATE_ADDRESS = "8/minute"
    throttle = settings.CACHES.get("throttle", {"BACKEND": LOCMEM})
    throttle = {**throttle, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    settings.CACHES = {**settings.CACHES, "throttle": throttle}


def _assert_throttled(response):
    assert response.status_code == 429, response.status_code
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 429
    assert body["code"] == "throttled"
    assert "Quá nhiều yêu cầu" in body["detail"]


def test_a_token_past_its_limit_gets_429_with_retry_after(cast, low_rates):
    client = api_as(cast.clerk_a)
    for _ in range(5):
        assert client.get("/api/v1/van-ban/").status_code == 200
    _assert_throttled(client.get("/api/v1/van-ban/"))
    _assert_throttled(client.get("/api/v1/thiet-bi/"))  # the token's limit, on every route


def test_another_token_from_another_address_is_still_served(cast, low_rates):
    client = api_as(cast.clerk_a)
    for _ in range(6):
        client.get("/api/v1/van-ban/")
    other = APIClient(REMOTE_ADDR="10.1.2.3")
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.clerk_b)}")
    assert other.get("/api/v1/van-ban/").status_code == 200


def test_an_address_past_its_limit_gets_429_whatever_the_token(cast, low_rates):
    for persona in ("clerk_a", "clerk_b"):  # 4 + 4: each token under its own limit of 5
        client = api_as(getattr(cast, persona))
        for _ in range(4):
            assert client.get("/api/v1/van-ban/").status_code == 200
    fresh_token = api_as(cast.officer_1)
    _assert_throttled(fresh_token.get("/api/v1/van-ban/"))
    elsewhere = APIClient(REMOTE_ADDR="10.9.8.7")
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(cast.officer_1)}")
    assert elsewhere.get("/api/v1/van-ban/").status_code == 200


def test_a_session_user_of_the_api_is_limited_like_a_token(cast, low_rates):
    client = Client()
    sign_in(client, cast.clerk_a)
    for _ in range(5):
        assert client.get("/api/v1/van-ban/").status_code == 200
    _assert_throttled(client.get("/api/v1/van-ban/"))


def test_the_pages_are_not_limited_by_the_api_rates(client, cast, low_rates):
    sign_in(client, cast.clerk_a)
    for _ in range(10):
        assert client.get("/van-ban/").status_code == 200


def test_the_schema_documents_429_with_retry_after_on_every_operation(client, cast):
    sign_in(client, cast.clerk_a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [
        operation
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 20
    for operation in operations:
        throttled = operation["responses"]["429"]
        assert "Retry-After" in throttled["headers"]
        assert throttled["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")


def test_a_rate_setting_is_read_strictly(monkeypatch):
    from portal.lib.env import EnvError, env_rate

    monkeypatch.setenv("X_RATE", "")
    assert env_rate("X_RATE", "120/minute") == "120/minute"
    monkeypatch.setenv("X_RATE", "off")
    assert env_rate("X_RATE", "120/minute") == ""
    for wrong in ("120", "120/fortnight", "-1/minute", "many/minute"):
        monkeypatch.setenv("X_RATE", wrong)
        with pytest.raises(EnvError):
            env_rate("X_RATE", "120/minute")
