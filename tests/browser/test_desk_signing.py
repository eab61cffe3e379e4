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

Screenshots: var/screenshots/desk-signing-1-pin-incorrect.png, desk-signing-2-issued.png and
desk-signing-3-no-client.png.
"""

import copy
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from certificates import services as ca_services
from certificates.models import RevocationList
from portal.documents import DocumentKind
from requests_app.choices import Status
from tests.certificates.pdf_tools import nss_db_trusting, pdfsig
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
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal_signing_client", "--port", str(self.port),
             "--origin", origin, "--module", MODULE, "--demo"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


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
        popup.close()
        letter.refresh_from_db()
        assert letter.status == Status.ISSUED

        popup = confirm_in_popup(page, PIN)
        expect(status).to_contain_text("đóng dấu số của cơ quan")
        popup.close()
        expect(page.locator("[data-desk-sign]")).to_have_text("Đóng dấu số của cơ quan")
        popup = confirm_in_popup(page, PIN)
        page.wait_for_url(f"{live_server.url}/van-ban/{letter.pk}/")
        popup.close()
        expect(page.locator(".messages")).to_contain_text("Đã ký số, đóng dấu số")
        expect(page.locator("[data-status]")).to_have_attribute(
            "data-status", Status.PROVINCE_REVIEW
        )
        screenshot(page, "desk-signing-2-issued")
    finally:
        client.stop()

    signed = letter.documents.get(kind=DocumentKind.SIGNED)
    path = tmp_path / "signed.pdf"
    path.write_bytes(bytes(signed.content))
    nss = nss_db_trusting(
        tmp_path / "nss",
        root_der=bytes(ca.root.certificate_der),
        issuing_der=bytes(ca.issuing.certificate_der),
        crls=[bytes(crl.der) for crl in RevocationList.objects.all()],
    )
    sections = re.split(r"^Signature #\d+:$", pdfsig(path, nss), flags=re.MULTILINE)[1:]
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
