"""Rate limits of the API (docs/security.md §3): per token and per client address, counted in
the `throttle` cache, which is Redis when REDIS_URL is set so that every web process shares
the counts (a process-local memory cache otherwise: one `make run` process). Past a limit the
API answers 429 with `Retry-After` (seconds), as a problem like every other error.

The rates are settings (`PORTAL_API_RATE_TOKEN`, `PORTAL_API_RATE_ADDRESS`: "number/period",
period one of second, minute, hour, day; empty turns the limit off), read at each request so
that a test can lower them.
"""

import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from portal.middleware import client_address

CACHE_ALIAS = "throttle"
logger = logging.getLogger(__name__)


class _PortalThrottle(SimpleRateThrottle):
    setting = ""

    @property
    def cache(self):
        return caches[CACHE_ALIAS]

    def get_rate(self):
        return getattr(settings, self.setting) or None

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache (Redis) is down: count nothing rather than fail  # noqa: BLE001
            logger.exception("API rate limit not counted: the %s cache failed", CACHE_ALIAS)
            return True


class TokenRateThrottle(_PortalThrottle):
    """Requests per API token; a session caller (the API docs page, the browser) counts as its
    user. Anonymous requests are left to the address limit."""

    scope = "token"
    setting = "PORTAL_API_RATE_TOKEN"

    def get_cache_key(self, request, view):
        token = request.auth
        if token is not None and getattr(token, "pk", None) is not None:
            ident = f"t{token.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_PortalThrottle):
    """Requests per client address (the proxy's X-Forwarded-For entry behind BEHIND_TLS_PROXY,
    as the audit trail and the sign-in lockout count it), whatever the token: an office's
    shared address gets a higher limit than one token."""

    scope = "address"
    setting = "PORTAL_API_RATE_ADDRESS"

    def get_cache_key(self, request, view):
        address = client_address(request)
        if not address:
            return None
        return self.cache_format % {"scope": self.scope, "ident": address}
