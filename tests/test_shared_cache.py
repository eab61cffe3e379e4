"""The cache every process shares (PORTAL_CACHE_URL, portal/lib/redis_clients.py, docs/deployment.md
"Shared cache"): what one process counted for a page is in Redis for every other one, and a
Redis that stops costs a recount, never the page (a real redis-server of the test's own)."""

import pytest
import redis
from django.core.cache import cache, caches
from django.urls import reverse

from dashboard import statistics
from portal.lib.redis_clients import redis_cache
from tests.helpers import sign_in

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def shared(settings, own_redis):
    settings.CACHES = {
        **settings.CACHES,
        "default": redis_cache(own_redis.url, [], backend=settings.SHARED_CACHE),
    }
    return own_redis


def test_statistics_counted_by_one_process_are_in_redis_for_every_other(cast, shared):
    tables = statistics.figures(cast.ca_operator)
    store = redis.Redis.from_url(shared.url)
    keys = [key.decode().removeprefix("portal:1:") for key in store.keys("portal:1:stats:*")]
    assert len(keys) == 1
    # Another process's cache: a client of its own, nothing in this one's memory.
    elsewhere = caches.create_connection("default")
    assert [t.key for t in elsewhere.get(keys[0])] == [t.key for t in tables]


def test_a_stopped_cache_costs_a_recount_not_the_page(cast, client, shared):
    sign_in(client, cast.ca_operator)
    shared.stop()
    assert cache.get("anything") is None
    response = client.get(reverse("statistics"))
    assert response.status_code == 200
    assert "Thống kê" in response.content.decode()
