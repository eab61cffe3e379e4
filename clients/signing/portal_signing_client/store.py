"""Signing requests waiting for the official, in memory only and bounded.

A request lives until its `expires_at` (and never more than five minutes after it arrived);
its outcome is handed to the portal page once and then forgotten. An expired request leaves a
small tombstone (no digest, no document) so that the page's next poll can say "expired" once.
"""

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from portal_signing_client.messages import message
from portal_signing_client.tokens import TokenCertificate

MAX_LIFETIME = timedelta(minutes=5)
MAX_AHEAD = timedelta(minutes=10)
MAX_PENDING = 20
MAX_TOMBSTONES = 100
TOMBSTONE_LIFETIME = timedelta(minutes=5)


class StoreFull(Exception):
    pass


@dataclass
class SigningRequest:
    id: str
    origin: str
    request_id: str
    nonce: str
    document_number: str
    document_title: str
    digest: bytes
    certificate: TokenCertificate
    deadline: datetime
    signer_position: str = ""  # as the portal states it; the certificate's title comes first
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # "pending" (waiting for the PIN), "signing" (a confirm POST is at the token), "finished"
    # (outcome waiting for the page's poll).
    state: str = "pending"
    outcome: dict | None = None
    # A non-final event the page's poll hears once while the request stays pending
    # (a wrong PIN, with the retries left).
    notice: dict | None = None


@dataclass
class _Tombstone:
    origin: str
    request_id: str
    forget_at: datetime


def now() -> datetime:
    return datetime.now(UTC)


class RequestStore:
    def __init__(self, *, max_pending: int = MAX_PENDING):
        self._lock = threading.Lock()
        self._requests: dict[str, SigningRequest] = {}
        self._tombstones: dict[str, _Tombstone] = {}
        self._max_pending = max_pending

    def _purge(self, at: datetime) -> list[SigningRequest]:
        expired = [r for r in self._requests.values() if r.deadline <= at]
        for r in expired:
            del self._requests[r.id]
            self._tombstones[r.id] = _Tombstone(
                origin=r.origin, request_id=r.request_id, forget_at=at + TOMBSTONE_LIFETIME
            )
        for key in [k for k, t in self._tombstones.items() if t.forget_at <= at]:
            del self._tombstones[key]
        while len(self._tombstones) > MAX_TOMBSTONES:
            del self._tombstones[next(iter(self._tombstones))]
        return expired

    def add(self, **fields) -> SigningRequest:
        """Add a request that expires at `expires_at` (already checked to lie within
        MAX_AHEAD), or at most MAX_LIFETIME from now."""
        at = now()
        expires_at = fields.pop("expires_at")
        with self._lock:
            self._purge(at)
            if len(self._requests) >= self._max_pending:
                raise StoreFull
            request = SigningRequest(
                id=secrets.token_urlsafe(18),
                deadline=min(expires_at, at + MAX_LIFETIME),
                **fields,
            )
            self._requests[request.id] = request
            return request

    def get(self, request_id: str) -> SigningRequest | None:
        with self._lock:
            self._purge(now())
            return self._requests.get(request_id)

    def claim_for_signing(self, request_id: str, csrf_token: str) -> SigningRequest | None:
        """The pending request for a confirm POST carrying the page's token, marked as being
        signed so that a second POST cannot sign it twice; None otherwise."""
        with self._lock:
            self._purge(now())
            request = self._requests.get(request_id)
            if request is None or request.state != "pending":
                return None
            if not secrets.compare_digest(request.csrf_token, csrf_token):
                return None
            request.state = "signing"
            return request

    def release(self, request: SigningRequest, *, notice: dict | None) -> None:
        """Back to pending (after a wrong or missing PIN): the official may try again until
        the request expires. `notice` is what the page's next poll hears once."""
        with self._lock:
            request.state = "pending"
            if notice is not None:
                request.notice = notice

    def finish(self, request: SigningRequest, outcome: dict) -> None:
        with self._lock:
            request.state = "finished"
            request.outcome = outcome
            request.notice = None
            # Nothing more needs the digest; the outcome is all the poll hands out.

    def poll(self, request_id: str, origin: str) -> dict | None:
        """What the page's poll hears: the outcome once (then the request is forgotten), a
        notice once, or pending. None when the request is unknown to this origin."""
        with self._lock:
            self._purge(now())
            request = self._requests.get(request_id)
            if request is None:
                tomb = self._tombstones.get(request_id)
                if tomb is None or tomb.origin != origin:
                    return None
                del self._tombstones[request_id]
                return {
                    "status": "error",
                    "error": "expired",
                    "message": message("expired"),
                    "retries_left": None,
                }
            if request.origin != origin:
                return None
            if request.state == "finished":
                del self._requests[request_id]
                return request.outcome
            if request.notice is not None:
                notice, request.notice = request.notice, None
                return notice
            return {"status": "pending"}

    def __len__(self) -> int:
        with self._lock:
            return len(self._requests)
