"""Redis, on its own or behind Sentinel (docs/deployment.md, "Redis and Sentinel").

REDIS_URL names the server, its database number and password. With REDIS_SENTINELS
(`host:port,host:port,…`) the server is whichever master the Sentinels name for
REDIS_SENTINEL_MASTER, asked again after a failover: REDIS_URL's host is then ignored, its
database number and password kept. Every Redis client of the portal is made here or from these
settings: Celery's broker (kombu's `sentinel://` transport), the shared cache (`SentinelPool`),
beat's lock (celery-redbeat's `redis-sentinel://`), readiness and the metrics.

`redis_cache` is Django's Redis cache at a URL, behind the Sentinels when there are: the API's
rate limits, and (PORTAL_CACHE_URL) the cache every process shares. `SharedCache` lets a Redis
outage cost a recount, never a page."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from redis import Redis, RedisError
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel, SentinelConnectionPool

logger = logging.getLogger(__name__)


def sentinel_addresses(value: list[str]) -> list[tuple[str, int]]:
    """["sentinel1:26379", …] as (host, port) pairs."""
    pairs = []
    for item in value:
        host, _, port = item.strip().rpartition(":")
        pairs.append((host, int(port)))
    return pairs


def redis_url_parts(url: str) -> tuple[int, str | None]:
    parts = urlsplit(url)
    return int(parts.path.lstrip("/") or 0), parts.password


def broker_url(url: str, sentinels: list[tuple[str, int]]) -> str:
    """Celery's broker: REDIS_URL itself, or kombu's list of Sentinels (its transport option
    `master_name` names the master)."""
    if not sentinels:
        return url
    database, password = redis_url_parts(url)
    auth = f":{password}@" if password else ""
    return ";".join(f"sentinel://{auth}{host}:{port}/{database}" for host, port in sentinels)


def sentinel_options(sentinels: list[tuple[str, int]], master: str) -> dict:
    """kombu's transport options for the master behind `sentinels` (none without them): the
    Sentinels are asked with short timeouts, so a hung one is passed over."""
    if not sentinels:
        return {}
    return {
        "master_name": master,
        "sentinel_kwargs": {"socket_connect_timeout": 3, "socket_timeout": 3},
    }


def _sentinel_options(options: dict) -> dict:
    """The Sentinels are asked with the same short timeouts as the server."""
    return {
        key: options[key] for key in ("socket_timeout", "socket_connect_timeout") if key in options
    }


def _master(redis_class, sentinel_class, options: dict):
    if not settings.REDIS_SENTINELS:
        return redis_class.from_url(settings.REDIS_URL, **options)
    database, password = redis_url_parts(settings.REDIS_URL)
    sentinel = sentinel_class(
        settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_options(options), **options
    )
    return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, db=database, password=password)


def redis_client(**options) -> Redis:
    """A client of the current master (REDIS_URL, or the Sentinels' master)."""
    return _master(Redis, Sentinel, options)


def async_redis_client(**options) -> AsyncRedis:
    """The same, for asyncio (readiness's broker check)."""
    return _master(AsyncRedis, AsyncSentinel, options)


class SentinelPool(SentinelConnectionPool):
    """The shared cache's connection pool behind Sentinel: Django's Redis cache makes its pools
    with `pool_class.from_url(LOCATION, **OPTIONS)`."""

    @classmethod
    def from_url(cls, url: str, **options):
        database, password = redis_url_parts(url)
        sentinel = Sentinel(
            settings.REDIS_SENTINELS, sentinel_kwargs=_sentinel_options(options), **options
        )
        return cls(
            settings.REDIS_SENTINEL_MASTER, sentinel, db=database, password=password, **options
        )


def redis_cache(url: str, sentinels: list, *, backend: str = "") -> dict:
    """A CACHES entry for Redis at `url` whose calls fail within a second when Redis does."""
    return {
        "BACKEND": backend or "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "portal",
        "OPTIONS": {
            "socket_connect_timeout": 1,
            "socket_timeout": 1,
            **({"pool_class": "portal.lib.redis_clients.SentinelPool"} if sentinels else {}),
        },
    }


class SharedCache(RedisCache):
    """The cache of what every process would otherwise compute on its own (the dashboards'
    counts, the statistics, the monitor): with Redis down, a read misses and a write is
    dropped, so the page counts afresh instead of failing."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError:
            logger.warning("the shared cache is unavailable: counting afresh", exc_info=True)
            return default

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError:
            logger.warning("the shared cache is unavailable: %s not kept", key, exc_info=True)
