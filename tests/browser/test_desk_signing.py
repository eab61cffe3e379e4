"""The head signs and issues a letter at their own desk in a real Chromium, through the real
signing client (clients/signing, started as its own process over its own SoftHSM2 token store):
"Ký" on the letter's page, the PIN typed in the client's own popup (a wrong PIN first: told in
Vietnamese, nothing signed), then the agency's seal the same way; the letter goes to the Sở
KH&CN and pdfsig reports both signatures valid. With the client not running, the page says how
to start it and points at the upload.

STAND-IN until the certificates' keys are generated on tokens by the CA (devtokens): the
simulated CA's keys of the head's and the seal's certificates are decrypted by the test
(`certificate_signing_material`) and IMPORTED into SoftHSM2 tokens (`softhsm2-util --import`),
with their certificates beside them under the same CKA_ID. The client then signs with the
token exactly as it would with a personalised device.

Refusals driven from the browser, each leaving the letter as it was (still waiting for the
head's signature, no signed version) with its trace: a page of another web site calling the
client (the client refuses it, 403 without CORS, and logs it); the page's call to the client
altered so the token signs another document's digest (`bad_signature`); and the page handed
a signature made with another person's token (`other_certificate`); the last two audited by
the portal on the signing request and on the letter.

Screenshots: var/screenshots/desk-signing-1-pin-incorrect.png, desk-signing-2-issued.png,
desk-signing-3-no-client.png, desk-signing-4-substituted-digest.png and
desk-signing-5-other-certificate.png.
"""

import base64
import copy
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from certificates import services as ca_services
from certificates.choices import SubjectKind
from certificates.desk.models import DeskSigning, DeskState
from certificates.desk.services import certificate_sha256, digest_of
from portal.documents import DocumentKind
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import Status
from tests import factories as f
from tests.certificates.pdf_tools import pdfsig_sections
from tests.requests_app.signed_letters import head_signing_pair, issued_external

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "73915284"
WRONG_PIN = "11112222"
SO_PIN = "48261739"
VALID = "Signature Validation: Signature is Valid."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TokenStore:
    """A SoftHSM2 token store of its own; every token command runs as a subprocess with it."""

    def __init__(self, root: Path):
        (root / "tokens").mkdir(parents=True)
        self.root = root
        conf = root / "softhsm2.conf"
        conf.write_text(
            f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
            "log.level = ERROR\n"
        )
        self.env = {**os.environ, "SOFTHSM2_CONF": str(conf)}

    def run(self, *args: str) -> None:
        subprocess.run(args, env=self.env, check=True, capture_output=True)

    def put(self, label: str, certificate, by) -> None:
        """A token holding `certificate` and its key (imported: the stand-in, see the module)."""
        key = ca_services.certificate_signing_material(certificate=certificate, by=by).private_key
        key_file = self.root / f"{label}.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_file = self.root / f"{label}.der"
        cert_file.write_bytes(bytes(certificate.der))
        self.run("softhsm2-util", "--init-token", "--free", "--label", label,
                 "--so-pin", SO_PIN, "--pin", PIN)  # fmt: skip
        self.run("softhsm2-util", "--import", str(key_file), "--token", label,
                 "--label", label, "--id", "01", "--pin", PIN)  # fmt: skip
        key_file.unlink()
        self.run("pkcs11-tool", "--module", MODULE, "--token-label", label, "--login",
                 "--pin", PIN, "--write-object", str(cert_file), "--type", "cert",
                 "--id", "01", "--label", label)  # fmt: skip


class SigningClient:
    """`python -m portal_signing_client` on a free loopback port, for the live server."""

    def __init__(self, store: TokenStore, origin: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**store.env, "PYTHONPATH": str(ROOT / "clients" / "signing")}
        self.log_path = store.root / f"client-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal_signing_client", "--port", str(self.port),
             "--origin", origin, "--module", MODULE, "--demo"],
            env=env, stdout=subprocess.DEVNULL, stderr=self._log,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/v1/status", headers={"Origin": origin})
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("the signing client did not start")

    def log(self) -> str:
        """What the client logged so far (request ids, document numbers, outcomes)."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def client_url(settings):
    """Point the page and its Content-Security-Policy at a client port of the test's own."""

    def point(url: str) -> None:
        settings.PORTAL_SIGNING_CLIENT_URL = url
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["connect-src"] = ["'self'", url]
        settings.CONTENT_SECURITY_POLICY = policy

    return point


def sign_in_as_head(page, live_server) -> None:
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("head_a")
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")


def confirm_in_popup(page, pin: str):
    """Click "Ký" on the letter's page and type `pin` in the client's own popup."""
    with page.context.expect_page() as opened:
        page.locator("[data-desk-sign]").click()
    popup = opened.value
    popup.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/v1/confirm/"))
    popup.get_by_label("Mã PIN của thiết bị").fill(pin)
    popup.get_by_role("button", name="Ký", exact=True).click()
    return popup


def close_popup(popup) -> None:
    """Close the client's popup without waiting for Chromium to confirm it: once the letter's
    page has reloaded behind it, a close that waits was seen to hang for good (pytest-timeout's
    900 s in CI). The test's context closes whatever is left."""
    popup.close(run_before_unload=True)


def test_the_head_signs_and_seals_a_letter_with_the_token_through_the_client(
    cast, ca, page, live_server, screenshot, tmp_path, client_url
):
    letter = issued_external(cast)
    pair = head_signing_pair(cast)
    store = TokenStore(tmp_path / "softhsm")
    store.put("head-a", pair.personal, cast.head_a)
    store.put("seal-a", pair.seal, cast.head_a)
    client = SigningClient(store, live_server.url)
    try:
        client_url(client.url)
        sign_in_as_head(page, live_server)
        page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
        status = page.locator("[data-desk-status]")

        popup = confirm_in_popup(page, WRONG_PIN)
        expect(status).to_contain_text("Mã PIN không đúng")
        screenshot(page, "desk-signing-1-pin-incorrect")
        close_popup(popup)
        letter.refresh_from_db()
        assert letter.status == Status.ISSUED

        popup = confirm_in_popup(page, PIN)
        expect(status).to_contain_text("đóng dấu số của cơ quan")
        close_popup(popup)
        expect(page.locator("[data-desk-sign]")).to_have_text("Đóng dấu số của cơ quan")
        popup = confirm_in_popup(page, PIN)
        page.wait_for_url(f"{live_server.url}/van-ban/{letter.pk}/")
        close_popup(popup)
        expect(page.locator(".messages")).to_contain_text("Đã ký số, đóng dấu số")
        expect(page.locator("[data-status]")).to_have_attribute(
            "data-status", Status.PROVINCE_REVIEW
        )
        screenshot(page, "desk-signing-2-issued")
    finally:
        client.stop()

    signed = letter.documents.get(kind=DocumentKind.SIGNED)
    sections = pdfsig_sections(bytes(signed.content), ca, tmp_path)
    assert len(sections) == 2 and all(VALID in section for section in sections)
    assert "Common Name: Trần Thị Ánh Dương" in sections[0]
    assert f"Common Name: {cast.agency_a.name}" in sections[1]


def test_without_the_client_the_page_says_how_to_start_it_and_offers_the_upload(
    cast, ca, page, live_server, screenshot, client_url
):
    letter = issued_external(cast)
    head_signing_pair(cast)
    client_url(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    sign_in_as_head(page, live_server)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")

    page.locator("[data-desk-sign]").click()

    missing = page.locator("[data-desk-client-missing]")
    expect(missing).to_be_visible()
    expect(missing).to_contain_text("Chưa kết nối được phần mềm ký số trên máy của bạn")
    expect(missing).to_contain_text(f"portal-signing-client --origin {live_server.url}")
    expect(page.locator("[data-signed-upload]")).to_be_visible()
    screenshot(page, "desk-signing-3-no-client")
    letter.refresh_from_db()
    assert letter.status == Status.ISSUED


# -- refusals --------------------------------------------------------------------------------


@pytest.fixture
def desk(cast, ca, tmp_path, client_url):
    """A letter waiting for the head's signature, the head's and the seal's tokens and, on
    the same computer, a colleague's token (clerk_a's own personal certificate), with the
    client running for the live server."""
    opened = []

    def start(live_server):
        letter = issued_external(cast)
        pair = head_signing_pair(cast)
        colleague = ca_services.certificate_issue(
            subject_kind=SubjectKind.PERSON,
            agency=cast.agency_a,
            person=f.PersonFactory(
                organization=cast.agency_a, user=cast.clerk_a, full_name="Lê Văn Khác"
            ),
            by=cast.ca_operator,
        )
        store = TokenStore(tmp_path / "softhsm")
        store.put("head-a", pair.personal, cast.head_a)
        store.put("seal-a", pair.seal, cast.head_a)
        store.put("colleague", colleague, cast.clerk_a)
        client = SigningClient(store, live_server.url)
        opened.append(client)
        client_url(client.url)
        return SimpleNamespace(letter=letter, pair=pair, colleague=colleague, client=client)

    yield start
    for client in opened:
        client.stop()


def unchanged(letter) -> bool:
    """Still waiting for the head's signature, no signed version, nothing sent on."""
    letter.refresh_from_db()
    return (
        letter.status == Status.ISSUED
        and not letter.documents.filter(kind=DocumentKind.SIGNED).exists()
        and not AuditEvent.objects.filter(action="letter_document.sign").exists()
    )


def refusals(code: str) -> tuple[int, int]:
    """The refusal's audit events: on the signing request, and on the letter."""
    return (
        AuditEvent.objects.filter(action="desk_signing.refuse", after__code=code).count(),
        AuditEvent.objects.filter(action="letter_document.desk_refused", after__code=code).count(),
    )


def confirm_page_shown(page) -> SimpleNamespace:
    """Click "Ký" and wait for the client's confirmation popup (without typing the PIN)."""
    with page.context.expect_page() as opened:
        page.locator("[data-desk-sign]").click()
    popup = opened.value
    popup.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/v1/confirm/"))
    return popup


def type_pin_and_sign(popup, pin: str) -> None:
    popup.get_by_label("Mã PIN của thiết bị").fill(pin)
    popup.get_by_role("button", name="Ký", exact=True).click()


FOREIGN_PAGE = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Another site</title>'
    b"</head><body><main><h1>Another web site</h1><p>Any page on the web.</p></main>"
    b"</body></html>"
)


class ForeignSite:
    """Another web site at an origin of its own (a second loopback port): one plain page."""

    def __init__(self):
        class Page(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(FOREIGN_PAGE)))
                self.end_headers()
                self.wfile.write(FOREIGN_PAGE)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# What a script of another site can try in the head's browser: read the certificates on the
# tokens, ask for a signature (JSON, with its CORS preflight), and post the same blindly
# ("no-cors": the request is sent, its answer unreadable).
PROBE = """async ([clientUrl, body]) => {
  async function attempt(path, init) {
    try {
      const response = await fetch(clientUrl + path, init);
      if (response.type === "opaque") {
        return "opaque";
      }
      return "read " + response.status + " " + (await response.text());
    } catch (error) {
      return "failed: " + error.name;
    }
  }
  return {
    certificates: await attempt("/v1/certificates", {}),
    sign: await attempt("/v1/sign", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: body,
    }),
    blind: await attempt("/v1/sign", {method: "POST", mode: "no-cors", body: body}),
  };
}"""


def client_answer(client, path: str, origin: str):
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=5)
    connection.request("GET", path, headers={"Origin": origin})
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("Access-Control-Allow-Origin")


def test_a_page_of_another_origin_cannot_use_the_client(desk, cast, page, live_server):
    setup = desk(live_server)
    letter, client = setup.letter, setup.client
    foreign = ForeignSite()
    try:
        sign_in_as_head(page, live_server)
        page.goto(f"{live_server.url}/van-ban/{letter.pk}/")  # the head's portal tab, open
        attacker = page.context.new_page()
        attacker.goto(f"{foreign.origin}/")
        body = json.dumps(
            {
                "request_id": secrets.token_hex(8),
                "nonce": secrets.token_urlsafe(16),
                "expires_at": (datetime.now(UTC) + timedelta(minutes=2)).isoformat(),
                "document": {"number": letter.number, "title": letter.subject},
                "digest_algorithm": "sha256",
                "digest": base64.b64encode(hashlib.sha256(b"another document").digest()).decode(),
                "certificate_sha256": certificate_sha256(setup.pair.personal),
            }
        )

        outcome = attacker.evaluate(PROBE, [client.url, body])

        assert outcome == {
            "certificates": "failed: TypeError",
            "sign": "failed: TypeError",
            "blind": "opaque",
        }
        # The client's own refusal, not a network failure: 403 and no CORS header for that
        # origin, while the portal's origin is answered.
        assert client_answer(client, "/v1/certificates", foreign.origin) == (403, None)
        assert client_answer(client, "/v1/certificates", live_server.url) == (
            200,
            live_server.url,
        )
        assert not [p for p in page.context.pages if "/v1/confirm/" in p.url]
    finally:
        foreign.stop()
        client.stop()

    log = client.log()
    assert "sign request accepted" not in log
    for method, path in (
        ("GET", "/v1/certificates"),
        ("OPTIONS", "/v1/sign"),
        ("POST", "/v1/sign"),
    ):
        assert (
            f"request refused: origin not allowed origin={foreign.origin!r} {method} {path!r}"
            in log
        )
    assert unchanged(letter)
    assert not DeskSigning.objects.exists()


def test_a_signature_over_another_documents_digest_is_refused(
    desk, cast, page, live_server, screenshot
):
    setup = desk(live_server)
    letter, client = setup.letter, setup.client
    other_letter = issued_external(cast)
    other = services.letter_desk_prepare(cert_request=other_letter, by=cast.head_a)
    other_digest = base64.b64encode(digest_of(other)).decode()
    substituted = []

    def substitute(route, request):
        """Whatever sits between the page and the client swaps the digest for the other
        letter's: the token signs that letter instead."""
        if request.method != "POST":
            return route.continue_()
        body = json.loads(request.post_data)
        substituted.append(body["request_id"])
        body["digest"] = other_digest
        return route.continue_(post_data=json.dumps(body))

    sign_in_as_head(page, live_server)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    page.route(f"{client.url}/v1/sign", substitute)

    popup = confirm_page_shown(page)
    # The client shows what it is really asked to sign: the other letter's digest.
    shown = re.sub(r"\s", "", popup.locator(".digest").inner_text()).lower()
    assert shown == digest_of(other).hex()
    type_pin_and_sign(popup, PIN)

    expect(page.locator("[data-desk-status]")).to_contain_text(
        "Chữ ký không khớp với văn bản đã chuẩn bị"
    )
    screenshot(page, "desk-signing-4-substituted-digest")
    desk_signing = DeskSigning.objects.get(pk=substituted[0])
    assert desk_signing.purpose.startswith(f"letter:{letter.pk}:")
    assert desk_signing.state == DeskState.REFUSED and not desk_signing.signed_pdf
    assert refusals("bad_signature") == (1, 1)
    assert unchanged(letter) and unchanged(other_letter)
    assert "outcome=done" in client.log()  # the token did sign: the portal refused it


def test_a_signature_made_with_another_persons_token_is_refused(
    desk, cast, page, live_server, screenshot
):
    setup = desk(live_server)
    letter, client = setup.letter, setup.client
    asked = []

    def other_token(route, request):
        """The page's request is turned to the colleague's token plugged into the same
        computer: the page gets back a genuine signature over the right digest, made with
        another person's key and certificate."""
        if request.method != "POST":
            return route.continue_()
        body = json.loads(request.post_data)
        asked.append(body["request_id"])
        body["certificate_sha256"] = certificate_sha256(setup.colleague)
        return route.continue_(post_data=json.dumps(body))

    sign_in_as_head(page, live_server)
    page.goto(f"{live_server.url}/van-ban/{letter.pk}/")
    page.route(f"{client.url}/v1/sign", other_token)

    popup = confirm_page_shown(page)
    expect(popup.locator("main")).to_contain_text("Lê Văn Khác")
    type_pin_and_sign(popup, PIN)

    expect(page.locator("[data-desk-status]")).to_contain_text(
        "Chữ ký được tạo bằng chứng thư số khác chứng thư đã chọn để ký"
    )
    screenshot(page, "desk-signing-5-other-certificate")
    desk_signing = DeskSigning.objects.get(pk=asked[0])
    assert desk_signing.certificate == setup.pair.personal
    assert desk_signing.state == DeskState.REFUSED and not desk_signing.signed_pdf
    assert refusals("other_certificate") == (1, 1)
    refusal = AuditEvent.objects.get(action="desk_signing.refuse")
    assert refusal.after["certificate_sha256"] == certificate_sha256(setup.colleague)
    assert unchanged(letter)
    assert "outcome=done" in client.log()
