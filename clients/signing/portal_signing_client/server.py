"""The HTTP side: a loopback-only server that answers the configured portal origins (JSON API,
CORS) and serves its own confirmation page (no CORS, strict CSP).

Security decisions, in one place:
- Host header must name the loopback address and our port (DNS rebinding cannot reach us).
- API calls must carry an allowed Origin; anything else gets 403 with no Access-Control-*
  header, so a foreign page learns nothing.
- The confirm page's POST must come from our own origin (when the browser says) and carry the
  token embedded in the page, which no other origin can read.
- The PIN only ever travels from the confirm page to the token; it is never logged or stored.
"""

import base64
import binascii
import json
import logging
import os
import re
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from portal_signing_client import CLIENT_NAME, __version__, messages, page
from portal_signing_client.store import MAX_AHEAD, RequestStore, StoreFull, now
from portal_signing_client.tokens import TokenError, Tokens

log = logging.getLogger("portal_signing_client")

MAX_BODY = 64 * 1024
LOOPBACK = "127.0.0.1"
_ID = r"([A-Za-z0-9_-]{1,64})"
SIGN_RESULT = re.compile(rf"^/v1/sign/{_ID}$")
CONFIRM = re.compile(rf"^/v1/confirm/{_ID}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class BadBody(Exception):
    pass


class BodyTooLarge(Exception):
    pass


class SigningClient:
    """What the handler threads share: configuration, the tokens and the pending requests."""

    def __init__(
        self,
        *,
        tokens: Tokens,
        origins: list[str],
        port: int,
        demo: bool = False,
        store: RequestStore | None = None,
    ):
        self.tokens = tokens
        self.origins = frozenset(origins)
        self.port = port
        self.demo = demo
        self.store = store or RequestStore()
        self.own_origins = frozenset({f"http://{LOOPBACK}:{port}", f"http://localhost:{port}"})
        self.hosts = frozenset({f"{LOOPBACK}:{port}", f"localhost:{port}"})

    def confirm_url(self, request_id: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/v1/confirm/{request_id}"


def _text(value, *, limit: int, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise BadBody
    return value


def _signer_position(signer) -> str:
    """The signer's position as the portal states it (optional: older portals send none)."""
    if signer is None:
        return ""
    if not isinstance(signer, dict):
        raise BadBody
    return _text(signer.get("position"), limit=200, required=False)


def _parse_sign_body(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadBody from None
    if not isinstance(data, dict) or not isinstance(data.get("document"), dict):
        raise BadBody
    if data.get("digest_algorithm") != "sha256":
        raise BadBody
    try:
        digest = base64.b64decode(_text(data.get("digest"), limit=64), validate=True)
    except (binascii.Error, ValueError):
        raise BadBody from None
    if len(digest) != 32:
        raise BadBody
    certificate_sha256 = _text(data.get("certificate_sha256"), limit=64).lower()
    if not SHA256_HEX.match(certificate_sha256):
        raise BadBody
    try:
        expires_at = datetime.fromisoformat(_text(data.get("expires_at"), limit=40))
    except ValueError:
        raise BadBody from None
    if expires_at.tzinfo is None:
        raise BadBody
    return {
        "request_id": _text(data.get("request_id"), limit=200),
        "nonce": _text(data.get("nonce"), limit=200),
        "expires_at": expires_at.astimezone(UTC),
        "document_number": _text(data["document"].get("number"), limit=200),
        "document_title": _text(data["document"].get("title"), limit=2000, required=False),
        "signer_position": _signer_position(data.get("signer")),
        "digest": digest,
        "certificate_sha256": certificate_sha256,
    }


class Handler(BaseHTTPRequestHandler):
    server_version = f"{CLIENT_NAME}/{__version__}"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # A stalled connection frees its thread after this many seconds.
    timeout = 15

    @property
    def app(self) -> SigningClient:
        return self.server.app

    # -- plumbing ---------------------------------------------------------------------------

    def log_message(self, format, *args):
        # The default access log goes to stderr with the full path; keep it at debug level.
        log.debug("http %r", format % args)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict, *, origin: str | None = None):
        headers = self._cors_headers(origin) if origin else {}
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _error(self, status: int, code: str, *, origin: str | None = None):
        self._json(status, {"error": code, "message": messages.message(code)}, origin=origin)

    def _html(self, status: int, html: str):
        self._send(
            status,
            html.encode("utf-8"),
            "text/html; charset=utf-8",
            {
                "Content-Security-Policy": page.CONTENT_SECURITY_POLICY,
                "X-Frame-Options": "DENY",
                # Not "no-referrer": with it a browser sends "Origin: null" on our own form POST.
                "Referrer-Policy": "same-origin",
            },
        )

    def _cors_headers(self, origin: str) -> dict:
        return {
            "Access-Control-Allow-Origin": origin,
            "Vary": "Origin",
            "Access-Control-Allow-Private-Network": "true",
        }

    def _host_ok(self) -> bool:
        return self.headers.get("Host", "") in self.app.hosts

    def _allowed_origin(self) -> str | None:
        origin = self.headers.get("Origin")
        return origin if origin in self.app.origins else None

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise BadBody
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise BadBody from None
        if length < 0:
            raise BadBody
        if length > MAX_BODY:
            raise BodyTooLarge
        return self.rfile.read(length)

    def _path(self) -> str:
        return urlsplit(self.path).path

    def _refuse_origin(self):
        # The one refusal the portal never hears of: logged (origin, method and path only),
        # so that a web page probing the client leaves a trace on the official's computer.
        log.info(
            "request refused: origin not allowed origin=%r %s %r",
            (self.headers.get("Origin") or "")[:200],
            self.command,
            self._path()[:200],
        )
        self._error(403, "forbidden_origin")

    def _refuse_host(self):
        self.close_connection = True
        self._error(403, "forbidden_host")

    # -- verbs ------------------------------------------------------------------------------

    def do_OPTIONS(self):
        if not self._host_ok():
            return self._refuse_host()
        origin = self._allowed_origin()
        if origin is None:
            return self._refuse_origin()
        headers = self._cors_headers(origin)
        headers.update(
            {
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600",
            }
        )
        self._send(204, b"", "text/plain; charset=utf-8", headers)

    def do_GET(self):
        if not self._host_ok():
            return self._refuse_host()
        path = self._path()
        if match := CONFIRM.match(path):
            return self._confirm_get(match.group(1))
        origin = self._allowed_origin()
        if origin is None:
            return self._refuse_origin()
        if path == "/v1/status":
            return self._status(origin)
        if path == "/v1/certificates":
            return self._certificates(origin)
        if match := SIGN_RESULT.match(path):
            return self._poll(match.group(1), origin)
        return self._error(404, "not_found", origin=origin)

    def do_POST(self):
        if not self._host_ok():
            return self._refuse_host()
        path = self._path()
        if match := CONFIRM.match(path):
            return self._confirm_post(match.group(1))
        origin = self._allowed_origin()
        if origin is None:
            self.close_connection = True
            return self._refuse_origin()
        if path == "/v1/sign":
            return self._sign(origin)
        self.close_connection = True
        return self._error(404, "not_found", origin=origin)

    def _not_allowed(self):
        self.close_connection = True
        self._error(405, "method_not_allowed")

    do_PUT = do_DELETE = do_PATCH = _not_allowed

    # -- API --------------------------------------------------------------------------------

    def _status(self, origin: str):
        try:
            tokens = self.app.tokens.present()
        except Exception:
            log.exception("listing tokens failed")
            tokens = []
        self._json(
            200,
            {
                "client": CLIENT_NAME,
                "version": __version__,
                "tokens": [
                    {"label": t.label, "serial": t.serial, "demo": self.app.demo} for t in tokens
                ],
            },
            origin=origin,
        )

    def _certificates(self, origin: str):
        try:
            certificates = self.app.tokens.certificates()
        except Exception:
            log.exception("listing certificates failed")
            certificates = []
        self._json(
            200,
            {
                "certificates": [
                    {"token": c.token_label, "certificate": base64.b64encode(c.der).decode()}
                    for c in certificates
                ]
            },
            origin=origin,
        )

    def _sign(self, origin: str):
        try:
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            body = self._read_body()
            if content_type != "application/json":
                raise BadBody
            fields = _parse_sign_body(body)
        except BodyTooLarge:
            self.close_connection = True
            return self._error(413, "body_too_large", origin=origin)
        except BadBody:
            log.info("sign request refused: bad body")
            return self._error(400, "bad_request", origin=origin)
        at = now()
        if fields["expires_at"] <= at or fields["expires_at"] > at + MAX_AHEAD:
            log.info(
                "sign request refused: expired request_id=%r document=%r",
                fields["request_id"],
                fields["document_number"],
            )
            return self._error(410, "expired", origin=origin)
        try:
            certificate = self.app.tokens.find_certificate(fields.pop("certificate_sha256"))
        except Exception:
            log.exception("reading the tokens failed request_id=%r", fields["request_id"])
            return self._error(503, "failed", origin=origin)
        if certificate is None:
            log.info(
                "sign request refused: unknown certificate request_id=%r document=%r",
                fields["request_id"],
                fields["document_number"],
            )
            return self._error(400, "unknown_certificate", origin=origin)
        try:
            request = self.app.store.add(origin=origin, certificate=certificate, **fields)
        except StoreFull:
            log.info("sign request refused: too many pending request_id=%r", fields["request_id"])
            return self._error(429, "too_many_requests", origin=origin)
        log.info(
            "sign request accepted id=%s request_id=%r document=%r",
            request.id,
            request.request_id,
            request.document_number,
        )
        self._json(
            202, {"id": request.id, "confirm_url": self.app.confirm_url(request.id)}, origin=origin
        )

    def _poll(self, request_id: str, origin: str):
        result = self.app.store.poll(request_id, origin)
        if result is None:
            return self._error(404, "not_found", origin=origin)
        self._json(200, result, origin=origin)

    # -- the confirmation page --------------------------------------------------------------

    def _confirm_get(self, request_id: str):
        request = self.app.store.get(request_id)
        if request is None or request.state == "finished":
            return self._html(
                404, page.outcome_page(messages.message("not_found"), ok=False, demo=self.app.demo)
            )
        self._html(200, page.confirm_page(request, demo=self.app.demo))

    def _confirm_post(self, request_id: str):
        demo = self.app.demo
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.app.own_origins:
            self.close_connection = True
            log.info("confirm refused: foreign origin id=%s", request_id)
            return self._html(
                403, page.outcome_page(messages.message("forbidden_origin"), ok=False, demo=demo)
            )
        try:
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            body = self._read_body()
            if content_type != "application/x-www-form-urlencoded":
                raise BadBody
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
        except BodyTooLarge:
            self.close_connection = True
            return self._html(
                413, page.outcome_page(messages.message("body_too_large"), ok=False, demo=demo)
            )
        except (BadBody, UnicodeDecodeError, ValueError):
            return self._html(
                400, page.outcome_page(messages.message("bad_request"), ok=False, demo=demo)
            )
        del body

        def field(name: str) -> str:
            values = form.get(name) or [""]
            return values[0]

        request = self.app.store.claim_for_signing(request_id, field("csrf_token"))
        if request is None:
            existing = self.app.store.get(request_id)
            if existing is None or existing.state == "finished":
                return self._html(404, page.outcome_page(messages.FINISHED, ok=False, demo=demo))
            if existing.state == "signing":
                return self._html(409, page.outcome_page(messages.SIGNING, ok=False, demo=demo))
            log.info("confirm refused: bad page token id=%s", request_id)
            return self._html(
                403, page.outcome_page(messages.message("bad_csrf"), ok=False, demo=demo)
            )

        action = field("action")
        if action == "cancel":
            self._finish_error(request, TokenError("cancelled"))
            return self._html(200, page.outcome_page(messages.CANCELLED_PAGE, ok=False, demo=demo))
        if action != "sign":
            self.app.store.release(request, notice=None)
            return self._html(
                400, page.confirm_page(request, demo=demo, error=messages.message("bad_request"))
            )
        pin = field("pin")
        form.clear()
        if not pin or len(pin) > 64:
            # Nothing reaches the token: no try is used up.
            self.app.store.release(request, notice=None)
            return self._html(
                200, page.confirm_page(request, demo=demo, error=messages.PIN_REQUIRED)
            )
        try:
            signature = self.app.tokens.sign(request.certificate, request.digest, pin)
        except TokenError as err:
            del pin
            return self._signing_failed(request, err)
        except Exception:
            del pin
            log.exception("signing failed id=%s document=%r", request.id, request.document_number)
            return self._signing_failed(request, TokenError("failed"))
        del pin
        self.app.store.finish(
            request,
            {
                "status": "done",
                "request_id": request.request_id,
                "nonce": request.nonce,
                "signature": base64.b64encode(signature).decode(),
                "certificate": base64.b64encode(request.certificate.der).decode(),
            },
        )
        log.info(
            "signing outcome id=%s request_id=%r document=%r outcome=done",
            request.id,
            request.request_id,
            request.document_number,
        )
        self._html(200, page.outcome_page(messages.DONE, ok=True, demo=demo))

    def _error_body(self, err: TokenError) -> dict:
        return {
            "status": "error",
            "error": err.code,
            "message": page.error_text(err.code, err.message_key, err.retries_left, err.count_low),
            "retries_left": err.retries_left,
        }

    def _finish_error(self, request, err: TokenError):
        self.app.store.finish(request, self._error_body(err))
        log.info(
            "signing outcome id=%s request_id=%r document=%r outcome=%s",
            request.id,
            request.request_id,
            request.document_number,
            err.code,
        )

    def _signing_failed(self, request, err: TokenError):
        demo = self.app.demo
        text = page.error_text(err.code, err.message_key, err.retries_left, err.count_low)
        if err.code == "pin_incorrect":
            # The request stays pending: the official may type the PIN again until the token
            # locks or the request expires. The portal page hears of it once through its poll.
            self.app.store.release(request, notice=self._error_body(err))
            log.info(
                "signing outcome id=%s request_id=%r document=%r outcome=pin_incorrect retries_left=%s",
                request.id,
                request.request_id,
                request.document_number,
                err.retries_left,
            )
            return self._html(200, page.confirm_page(request, demo=demo, error=text))
        self._finish_error(request, err)
        return self._html(200, page.outcome_page(text, ok=False, demo=demo))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # POSIX SO_REUSEADDR only skips TIME_WAIT (a restart binds at once); on Windows it would
    # let a second process share the port, so it stays off there.
    allow_reuse_address = os.name != "nt"

    def __init__(self, app: SigningClient):
        self.app = app
        super().__init__((LOOPBACK, app.port), Handler)
