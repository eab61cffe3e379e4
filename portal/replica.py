"""Reads served by a PostgreSQL streaming replica (docs/deployment.md, "Replica"), when
DATABASE_REPLICA_URL names one (config/database.py adds the `replica` database).

- Only the views marked `@replica_reads` (lists, exports, statistics, the monitor) read there,
  and only outside a transaction on the primary: whatever decides a change reads the primary.
- A user's own writes are on their next page: a request that may write (any method but GET,
  HEAD, OPTIONS) leaves a signed cookie with the primary's WAL position after it; while it
  lives, the replica serves that user only once it has replayed up to there, else the primary
  does. Another user's write shows once replayed (milliseconds on a healthy pair).
- A replica that fails to answer is left alone for RETRY_SECONDS by this process: the primary
  serves meanwhile."""

import contextvars
import functools
import logging
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.signing import BadSignature
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
COOKIE = "portal_wrote_at"
COOKIE_SALT = "portal.replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A replica that failed is asked again after this many seconds.
RETRY_SECONDS = 10

_reads_from: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portal_reads_from", default=None
)
_down_until = 0.0  # this process's: monotonic time until which the replica is not asked


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads go to the replica inside a `@replica_reads` view, never inside a transaction on
    the primary; writes and migrations go to the primary only."""

    def db_for_read(self, model, **hints):
        alias = _reads_from.get()
        if alias is None or connections["default"].in_atomic_block:
            return None
        return alias

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


def _written_at(request) -> str:
    try:
        return request.get_signed_cookie(
            COOKIE, default="", salt=COOKIE_SALT, max_age=settings.PORTAL_REPLICA_PIN_SECONDS
        )
    except BadSignature:
        return ""


def _replica_has(position: str) -> bool:
    """Whether the replica answers and has replayed up to `position` (a WAL position of the
    primary; "" for any). A failure marks it down for RETRY_SECONDS."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= %s::pg_lsn",
                [position or "0/0"],
            )
            return bool(cursor.fetchone()[0])
    except DatabaseError:
        logger.warning("the replica does not answer: reading from the primary", exc_info=True)
        _down_until = time.monotonic() + RETRY_SECONDS
        connections[REPLICA].close()
        return False


def replica_reads(view):
    """Mark a view whose reads the replica may serve (see above)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not replica_configured() or not _replica_has(_written_at(request)):
            return view(request, *args, **kwargs)
        token = _reads_from.set(REPLICA)
        try:
            return view(request, *args, **kwargs)
        finally:
            _reads_from.reset(token)

    return wrapper


class ReplicaPinMiddleware:
    """After a request that may have written, the primary's WAL position in a signed cookie
    (see above). Not installed without a replica."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT pg_current_wal_lsn()::text")
                    position = cursor.fetchone()[0]
            except DatabaseError:
                return response  # the request's own answer tells of the primary's trouble
            response.set_signed_cookie(
                COOKIE,
                position,
                salt=COOKIE_SALT,
                max_age=settings.PORTAL_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
