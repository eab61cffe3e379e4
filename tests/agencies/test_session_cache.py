"""Sessions read from the shared cache (agencies/accounts/session_store.py) on a real Redis:
a page reads its session without a query, an ended session leaves the cache, and a cache
that cannot be reached falls back to the database for reading but fails an ending loudly."""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.accounts.session_store import SessionStore
from agencies.accounts.sessions import user_sessions_end
from tests.helpers import is_login_redirect, service_missing, sign_in

pytestmark = pytest.mark.django_db

PREFIX = f"portal-test-{os.getpid()}"
UNREACHABLE = "redis://127.0.0.1:1/0"


def redis_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def redis_sessions(settings):
    """The settings' cache on the Redis of REDIS_URL, under a prefix of this test process
    (its keys deleted afterwards; the database is never flushed, a worker may share it)."""
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("REDIS_URL is not set")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} does not answer: {exc}")
    settings.CACHES = redis_cache(url)
    yield client
    for key in client.scan_iter(f"{PREFIX}:*"):
        client.delete(key)


def cached_keys(client) -> list[bytes]:
    return [key for key in client.scan_iter(f"*{PREFIX}*") if b"sessions.cached_db" in key]


def session_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


@pytest.mark.services
def test_a_page_reads_its_session_from_redis_not_the_database(cast, client, redis_sessions):
    sign_in(client, cast.clerk_a)
    assert len(cached_keys(redis_sessions)) == 1
    assert session_queries(client) == []


@pytest.mark.services
def test_ending_a_users_sessions_removes_them_from_redis(cast, client, redis_sessions):
    sign_in(client, cast.clerk_a)
    assert session_queries(client) == []
    user_sessions_end(user=cast.clerk_a)
    assert cached_keys(redis_sessions) == []
    assert is_login_redirect(client.get(reverse("dashboard")))


@pytest.mark.services
def test_an_unreachable_cache_falls_back_to_the_database(cast, client, redis_sessions, settings):
    sign_in(client, cast.clerk_a)
    settings.CACHES = redis_cache(UNREACHABLE)
    assert client.get(reverse("dashboard")).status_code == 200
    assert len(session_queries(client)) == 1


@pytest.mark.services
def test_ending_a_session_fails_loudly_when_the_cache_is_unreachable(cast, client, settings):
    import redis

    sign_in(client, cast.clerk_a)
    key = client.session.session_key
    settings.CACHES = redis_cache(UNREACHABLE)
    with pytest.raises(redis.RedisError):
        SessionStore(session_key=key).delete()
