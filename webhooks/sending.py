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

import contextlib
import http.client
import ipaddress
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from portal.lib.isotime import iso_utc

USER_AGENT = "cert-portal-webhooks/1"


class RefusedTarget(Exception):
    """The URL may not be posted to (scheme, or an address the settings do not allow)."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0
    # every failure is tried again until the delivery's attempts are spent
    permanent = False

    @property
    def code(self) -> int | None:
        return self.status_code


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


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries, if it is one of the forms that route to it:
    IPv4-mapped (`::ffff:a.b.c.d`), 6to4 (`2002:aabb:ccdd::/48`), NAT64 (`64:ff9b::/96`) or
    IPv4-compatible (`::a.b.c.d`, deprecated). Python 3.11 calls some of these global."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(address: str, *, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = embedded_ipv4(ip) or ip
    if allow_private:
        return not (ip.is_multicast or ip.is_unspecified)
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Refuse what is not http(s) with a host and a possible port (the admin form's validator
    says the same)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(f"not an http(s) URL: {url[:100]}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise RefusedTarget(f"not a valid port (1-65535): {url[:100]}")


class Expired(Exception):
    """The post's overall deadline passed (name lookup, connection, request and answer)."""


# Name lookups have no timeout of their own (getaddrinfo blocks): they run in these threads and
# are waited for until the post's deadline; one that hangs is abandoned to its thread.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def _guarded_connection(allow_private: bool, deadline: "Deadline"):
    """`socket.create_connection` within the post's deadline (the name lookup included),
    refusing a connected peer the settings do not allow."""

    def create_connection(address, timeout=None, source_address=None, **kwargs):
        host, port = address
        lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        try:
            addresses = lookup.result(timeout=deadline.left())
        except FutureTimeout:
            raise Expired(f"timed out resolving {host}") from None
        error: OSError | None = None
        for family, kind, proto, _name, sockaddr in addresses:
            left = deadline.left()  # Expired once the deadline has passed
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(left)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            peer = sock.getpeername()[0]
            if not address_allowed(peer, allow_private=allow_private):
                sock.close()
                raise RefusedTarget(f"private or loopback address refused: {peer}")
            return sock
        raise error or OSError(f"no address for {host}")

    return create_connection


class Deadline:
    """The time a post must be over by: its timeout from its start, for the whole post."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise Expired(f"timed out after {self.seconds:g} s")
        return left


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

    def _connection(self, parts, deadline: Deadline) -> tuple[http.client.HTTPConnection, bool]:
        key = (parts.scheme, parts.hostname, parts.port)
        if key in self.connections:
            connection = self.connections[key]
            connection._create_connection = _guarded_connection(self.allow_private, deadline)
            return connection, True
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname, parts.port, timeout=self.timeout)
        # Every connection it opens, the first and any reconnection, checks its peer.
        connection._create_connection = _guarded_connection(self.allow_private, deadline)
        self.connections[key] = connection
        return connection, False

    def _drop(self, parts) -> None:
        connection = self.connections.pop((parts.scheme, parts.hostname, parts.port), None)
        if connection is not None:
            connection.close()

    def post(self, url: str, body: bytes, headers: dict) -> Outcome:
        """POST `body` once. A 2xx answer is success; anything else (3xx included: redirects
        are not followed), a refused URL or address, or no complete answer within the timeout
        (for the whole post: name lookup, connection, request and answer, however slowly the
        receiver drips its bytes) is a failure with its reason."""
        started = time.monotonic()
        deadline = Deadline(self.timeout)

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            check_url(url)
            parts = urlsplit(url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            headers = {**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT}
            while True:
                connection, reused = self._connection(parts, deadline)
                watchdog = _Watchdog(connection, deadline)
                try:
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    rest = response.read(MAX_ANSWER)
                except STALE:
                    self._drop(parts)
                    if watchdog.fired:
                        raise Expired(f"timed out after {self.timeout:g} s") from None
                    if reused:
                        continue
                    raise
                except BaseException as exc:
                    self._drop(parts)
                    if watchdog.fired and not isinstance(exc, Expired | RefusedTarget):
                        raise Expired(f"timed out after {self.timeout:g} s") from None
                    raise
                finally:
                    watchdog.cancel()
                if len(rest) == MAX_ANSWER or response.will_close:
                    self._drop(parts)
                break
        except (RefusedTarget, Expired) as exc:
            return Outcome(False, error=str(exc), duration_ms=took())
        except ValueError as exc:  # what urllib or http.client make of a URL they cannot use
            return Outcome(False, error=f"refused: {exc}", duration_ms=took())
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(False, error=f"{type(exc).__name__}: {exc}", duration_ms=took())
        ok = 200 <= response.status < 300
        error = "" if ok else f"HTTP {response.status} {response.reason}"
        return Outcome(ok, status_code=response.status, error=error, duration_ms=took())


class _Watchdog:
    """Shuts the connection's socket down when the post's deadline passes: http.client's
    timeout is per socket operation, so a receiver sending a byte at a time would otherwise
    hold a post (and its worker) far beyond it."""

    def __init__(self, connection: http.client.HTTPConnection, deadline: Deadline):
        self.connection = connection
        self.fired = False
        self.timer = threading.Timer(max(deadline.ends - time.monotonic(), 0), self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


def post(url: str, body: bytes, headers: dict, *, timeout: float, allow_private: bool) -> Outcome:
    """One POST on a connection of its own."""
    with Poster(timeout=timeout, allow_private=allow_private) as poster:
        return poster.post(url, body, headers)
