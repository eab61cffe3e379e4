"""Sessions read from a shared cache, written through to the database (Django's `cached_db`),
used when the portal has a shared cache (`CACHE_URL`, Redis; config/settings.py): a page then
reads its session without a query (docs/architecture.md §12.6).

The cache is a copy; the database holds the sessions. So a cache that cannot be reached
(Redis down or slow) must not take the pages with it: reading and writing fall back to the
database, logged. Deleting does not: a session that is ended (signing out, "sign out
everywhere", a deactivated account, agencies/accounts/sessions.py) or whose key changes
(signing in, a password change) must leave the cache too, or another worker would still serve
it, so an unreachable cache makes that fail and its transaction roll back rather than pass
half done: nobody signs in or out until the cache answers again.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger(__name__)


def _cache_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis comes with celery[redis]
        return (OSError,)
    return (RedisError, OSError)


class _ReadTolerant:
    """The cache as the session store uses it, with reads and writes that cannot fail."""

    errors = _cache_errors()

    def __init__(self, cache):
        self._cache = cache

    def get(self, key, default=None):
        try:
            return self._cache.get(key, default)
        except self.errors:
            logger.warning("session cache unreachable: reading the session from the database")
            return default

    def set(self, key, value, timeout=None):
        try:
            self._cache.set(key, value, timeout)
        except self.errors:
            logger.warning("session cache unreachable: the session is saved in the database")

    def __contains__(self, key) -> bool:
        try:
            return key in self._cache
        except self.errors:
            return False

    def delete(self, key):
        return self._cache.delete(key)


class SessionStore(CachedDBStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _ReadTolerant(self._cache)
