"""Signing and posting one webhook (docs/webhooks.md): Standard Webhooks headers, a short
timeout, no redirect followed, and never a private or loopback address unless
PORTAL_WEBHOOK_ALLOW_PRIVATE says so.

The signature is the `standardwebhooks` package's (the specification's own reference library).
It reads the time it is given as UTC whatever its zone (standard-webhooks issue #251), so it
is only ever given an aware UTC datetime, made from the integer timestamp sent in the header.

The address check is made on the socket actually connected, not on a name resolved
beforehand: a name that resolves to a public address for the check and to a private one for
the connection (DNS rebinding) is refused all the same.
"""

import http.client
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

USER_AGENT = "cert-portal-webhooks/1"


class RefusedTarget(Exception):
    """The URL may not be posted to (scheme, or an address the settings do not allow)."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0


def iso_utc(value: datetime | None) -> str | None:
    """A time as the payloads carry it: ISO 8601 in UTC, to the second, with `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def body_bytes(*, type_: str, occurred_at: datetime, data: dict) -> bytes:
    """The JSON body: `type`, `timestamp` (ISO 8601, UTC) and `data`, compact and sorted so a
    retry sends the very same bytes."""
    payload = {
        "type": type_,
        "timestamp": iso_utc(occurred_at),
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(*, secret: str, message_id: str, body: bytes, now: float | None = None) -> dict:
    """`webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature` (`v1,<base64>` of the
    HMAC-SHA256 of "id.timestamp.body" under the secret)."""
    timestamp = int(now if now is not None else time.time())
    signature = Webhook(secret).sign(
        msg_id=message_id,
        timestamp=datetime.fromtimestamp(timestamp, UTC),
        data=body.decode(),
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def address_allowed(address: str, *, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return not (ip.is_multicast or ip.is_unspecified)
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Refuse what is not http(s) with a host (the admin form's validator says the same)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(f"not an http(s) URL: {url[:100]}")


def _guarded_connection(allow_private: bool):
    """`socket.create_connection`, refusing a connected peer the settings do not allow."""

    def create_connection(address, timeout=None, source_address=None, **kwargs):
        sock = socket.create_connection(address, timeout, source_address, **kwargs)
        peer = sock.getpeername()[0]
        if not address_allowed(peer, allow_private=allow_private):
            sock.close()
            raise RefusedTarget(f"private or loopback address refused: {peer}")
        return sock

    return create_connection


# A reused connection the receiver closed while it sat idle fails before the request is read:
# sent again once on a new connection (receivers deduplicate by webhook-id all the same).
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
MAX_ANSWER = 64 * 1024


class Poster:
    """Posts webhooks, keeping one connection per receiver (scheme, host, port) alive between
    posts of the same task. Close it when done (`with Poster(…) as poster`)."""

    def __init__(self, *, timeout: float, allow_private: bool):
        self.timeout = timeout
        self.allow_private = allow_private
        self.connections: dict[tuple, http.client.HTTPConnection] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()

    def _connection(self, parts) -> tuple[http.client.HTTPConnection, bool]:
        key = (parts.scheme, parts.hostname, parts.port)
        if key in self.connections:
            return self.connections[key], True
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, parts.port, timeout=self.timeout)
        # Every connection it opens, the first and any reconnection, checks its peer.
        connection._create_connection = _guarded_connection(self.allow_private)
        self.connections[key] = connection
        return connection, False

    def _drop(self, parts) -> None:
        connection = self.connections.pop((parts.scheme, parts.hostname, parts.port), None)
        if connection is not None:
            connection.close()

    def post(self, url: str, body: bytes, headers: dict) -> Outcome:
        """POST `body` once. A 2xx answer is success; anything else (3xx included: redirects
        are not followed), a timeout or a refused address is a failure with its reason."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            check_url(url)
            parts = urlsplit(url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            headers = {**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT}
            while True:
                connection, reused = self._connection(parts)
                try:
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    rest = response.read(MAX_ANSWER)
                except STALE:
                    self._drop(parts)
                    if reused:
                        continue
                    raise
                except BaseException:
                    self._drop(parts)
                    raise
                if len(rest) == MAX_ANSWER or response.will_close:
                    self._drop(parts)
                break
        except RefusedTarget as exc:
            return Outcome(False, error=str(exc), duration_ms=took())
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(False, error=f"{type(exc).__name__}: {exc}", duration_ms=took())
        ok = 200 <= response.status < 300
        error = "" if ok else f"HTTP {response.status} {response.reason}"
        return Outcome(ok, status_code=response.status, error=error, duration_ms=took())


def post(url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool) -> Outcome:
    """One POST on a connection of its own."""
    with Poster(timeout=timeout, allow_private=allow_private) as poster:
        return poster.post(url, body, headers)
