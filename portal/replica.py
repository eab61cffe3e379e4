"""Reads served by a PostgreSQL streaming replica (docs/deployment.md, "Replica"), when
DATABASE_REPLICA_URL names one (config/database.py adds the `replica` database).

- Only the views marked `@replica_reads` (lists, exports, statistics, the monitor) read there,
  and only outside a transaction on the primary: whatever decides a change reads the primary.
- A user's own writes are on their next page: a signed-in user's request that may write (any
  method but GET, HEAD, OPTIONS) and succeeded leaves a signed cookie with the primary's WAL
  position after it; while it lives, the replica serves that user only once it has replayed up
  to there, else the primary does. Another user's write shows once replayed (milliseconds on a
  healthy pair); what a worker writes later (a letter processed) shows the same way.
- The replica's replay position is asked at most every POSITION_SECONDS by each process.
- A replica that fails to answer, or answers but is no longer a replica (promoted), is left
  alone for RETRY_SECONDS by this process: the primary serves meanwhile. One that goes away in
  the middle of a marked view has that view run again on the primary."""

import contextvars
import functools
import logging
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.signing import BadSignature
from django.db import DatabaseError, OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
COOKIE = "portal_wrote_at"
COOKIE_SALT = "portal.replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A replica that failed is asked again after this many seconds.
RETRY_SECONDS = 10
# How long this process trusts the replay position it last read.
POSITION_SECONDS = 1.0

_reads_from: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portal_reads_from", default=None
)
# This process's: until when the replica is not asked (monotonic), and the replay position last
# read with when it was read.
_down_until = 0.0
_replayed = (-1, 0.0)


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


def wal_position(text: str) -> int:
    """A WAL position as PostgreSQL writes it ("16/B374D848") as a number; -1 for none."""
    high, _, low = text.partition("/")
    try:
        return (int(high, 16) << 32) + int(low, 16)
    except ValueError:
        return -1


def _replay_position() -> int:
    """How far the replica has replayed (-1: it does not answer or is no longer a replica),
    read at most every POSITION_SECONDS; a failure marks it down for RETRY_SECONDS."""
    global _replayed
    now = time.monotonic()
    if now < _down_until:
        return -1
    position, read_at = _replayed
    if now - read_at < POSITION_SECONDS:
        return position
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END"
            )
            position = wal_position(cursor.fetchone()[0] or "")
    except DatabaseError:
        logger.warning("the replica does not answer: reading from the primary", exc_info=True)
        position = -1
    if position < 0:
        _mark_down()
    else:
        _replayed = (position, now)
    return position


def _mark_down() -> None:
    """Leave the replica alone for RETRY_SECONDS, its connection closed."""
    global _down_until, _replayed
    connections[REPLICA].close()
    _down_until = time.monotonic() + RETRY_SECONDS
    _replayed = (-1, time.monotonic())


def _replica_has(position: str) -> bool:
    """Whether the replica answers and has replayed up to `position` ("" for any)."""
    replayed = _replay_position()
    return replayed >= 0 and replayed >= wal_position(position or "0/0")


def replica_reads(view):
    """Mark a view whose reads the replica may serve (see above)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not replica_configured() or not _replica_has(_written_at(request)):
            return view(request, *args, **kwargs)
        token = _reads_from.set(REPLICA)
        try:
            return view(request, *args, **kwargs)
        except OperationalError:
            if not _replica_lost():
                raise
        finally:
            _reads_from.reset(token)
        # The replica went away under this request (its position was read a moment ago):
        # the view again, on the primary (a marked view only reads).
        return view(request, *args, **kwargs)

    return wrapper


def _replica_lost() -> bool:
    """After a database error in a marked view: whether the replica stopped answering (then it
    is marked down, as `_replay_position` does)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT 1")
        return False
    except DatabaseError:
        _mark_down()
        return True


class ReplicaPinMiddleware:
    """After a request that may have written, the primary's WAL position in a signed cookie
    (see above). Not installed without a replica."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method not in SAFE_METHODS
            and response.status_code < 400
            and user is not None
            and user.is_authenticated
        ):
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
