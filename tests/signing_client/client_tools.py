"""What the signing client's tests share: its process, its token store and the checks of what
it returns. The client under test runs as its own process over its own SoftHSM2 token store.

python-pkcs11 loads one PKCS#11 module per process, initialised with the SOFTHSM2_CONF of that
moment; the portal's tests use another token store in the pytest process. So the client, and
every token set-up step, run as subprocesses with their own environment; this process only
speaks HTTP to the client.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PORTAL = "http://portal.test"
SO_PIN = "87654321"
# Distinctive PINs, so that a log line containing one cannot be a coincidence.
PIN = "58213947"
WRONG_PIN = "90417263"
MAKE_TOKEN = Path(__file__).with_name("make_token.py")


class TokenStore:
    """A fresh SoftHSM2 token store in a directory of its own."""

    def __init__(self, root: Path):
        (root / "tokens").mkdir(parents=True)
        self.root = root
        self.conf = root / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
            "log.level = ERROR\n"
        )
        self.env = {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def make_token(self, label: str, *, key: str = "rsa", key_id: str = "a1b2c3", **kw) -> bytes:
        """A personalised token: key pair generated inside it, self-signed certificate on it.
        Returns the certificate's DER."""
        args = [sys.executable, str(MAKE_TOKEN), "--label", label, "--pin", PIN]
        args += ["--so-pin", SO_PIN, "--key", key, "--key-id", key_id]
        for name, value in kw.items():
            args += [f"--{name.replace('_', '-')}", value]
        out = subprocess.run(args, env=self.env, check=True, capture_output=True, text=True)
        return bytes.fromhex(out.stdout.strip())

    def make_token_without_user_pin(self, label: str, certificate_der: bytes) -> None:
        """A token initialised by its security officer whose user PIN was never set, holding
        a certificate (public object, written in the SO session). Must be the store's first
        token: pkcs11-tool initialises the first slot."""
        cert = self.root / f"{label}.der"
        cert.write_bytes(certificate_der)
        tool = ["pkcs11-tool", "--module", MODULE]
        subprocess.run(
            [*tool, "--init-token", "--label", label, "--so-pin", SO_PIN],
            env=self.env, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [*tool, "--token-label", label, "--login", "--login-type", "so", "--so-pin", SO_PIN,
             "--write-object", str(cert), "--type", "cert", "--id", "5a", "--label", label],
            env=self.env, check=True, capture_output=True,
        )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def cors_headers(self) -> dict:
        return {k: v for k, v in self.headers.items() if k.startswith("access-control-")}


class ClientProcess:
    """`python -m portal_signing_client` on a free port, its log in a file."""

    def __init__(self, store: TokenStore, *extra: str, origins=(PORTAL,)):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = store.root / f"client-{self.port}.log"
        args = [sys.executable, "-m", "portal_signing_client", "--module", MODULE]
        args += ["--port", str(self.port), *extra]
        for origin in origins:
            args += ["--origin", origin]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            args, env=store.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                if self.get("/v1/status", origin=origins[0]).status == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"client did not start: {self.log()}")
            time.sleep(0.05)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()

    def request(self, method, path, *, headers=None, body: bytes | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path, *, origin=PORTAL, headers=None) -> Response:
        h = {"Origin": origin} if origin else {}
        return self.request("GET", path, headers={**h, **(headers or {})})

    def post_json(self, path, data, *, origin=PORTAL) -> Response:
        h = {"Content-Type": "application/json"}
        if origin:
            h["Origin"] = origin
        return self.request("POST", path, headers=h, body=json.dumps(data).encode())

    # -- the protocol, as the portal page drives it ------------------------------------------

    def sign(self, certificate_der: bytes, **overrides) -> Response:
        return self.post_json("/v1/sign", sign_body(certificate_der, **overrides))

    def confirm_page(self, confirm_url: str) -> tuple[str, str]:
        """GET the confirm page like the popup does (no Origin); returns (html, csrf token)."""
        path = confirm_url.removeprefix(self.base)
        page = self.request("GET", path)
        assert page.status == 200, page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return page.text, token

    def confirm(self, confirm_url: str, *, pin: str = PIN, action: str = "sign", csrf=None,
                origin: str | None = "own") -> Response:  # fmt: skip
        path = confirm_url.removeprefix(self.base)
        if csrf is None:
            _, csrf = self.confirm_page(confirm_url)
        form = f"csrf_token={csrf}&pin={pin}&action={action}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin:
            headers["Origin"] = self.base if origin == "own" else origin
        return self.request("POST", path, headers=headers, body=form)

    def poll(self, client_id: str) -> Response:
        return self.get(f"/v1/sign/{client_id}")


def sign_body(certificate_der: bytes, **overrides) -> dict:
    digest = hashlib.sha256(b"signed attributes of " + os.urandom(8)).digest()
    body = {
        "request_id": "req-" + os.urandom(4).hex(),
        "nonce": base64.urlsafe_b64encode(os.urandom(16)).decode(),
        "expires_at": (datetime.now(UTC) + timedelta(minutes=4)).isoformat(),
        "document": {"number": "15/2026/CV-STC", "title": "Đề nghị cấp chứng thư số"},
        "digest_algorithm": "sha256",
        "digest": base64.b64encode(digest).decode(),
        "certificate_sha256": hashlib.sha256(certificate_der).hexdigest(),
    }
    body.update(overrides)
    return body


def verify(certificate_der: bytes, signature: bytes, digest: bytes) -> None:
    public_key = x509.load_der_x509_certificate(certificate_der).public_key()
    prehashed = utils.Prehashed(hashes.SHA256())
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, digest, ec.ECDSA(prehashed))
    else:
        public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
