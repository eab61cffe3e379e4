"""The signing client as a real Chromium meets it: a page of the portal's origin calls it with
fetch (CORS, preflight), opens the confirm page in a popup where the official types the PIN,
and polls the result; a page of another origin cannot read a thing."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.signing_client.client_tools import PIN, WRONG_PIN, ClientProcess, sign_body, verify

pytestmark = pytest.mark.browser


class _PortalPage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!DOCTYPE html><html lang='vi'><title>Cong</title><body>Cong</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def portal_page():
    """A stand-in for the portal's page: what matters to the client is only its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PortalPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_client(store, portal_page):
    process = ClientProcess(store, origins=(f"http://127.0.0.1:{portal_page}",))
    yield process
    process.stop()


SIGN = """async ([client, body]) => {
  const r = await fetch(client + '/v1/sign', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  return {status: r.status, data: await r.json()};
}"""
POLL = """async ([client, id]) => (await fetch(client + '/v1/sign/' + id)).json()"""


def test_the_portal_page_signs_through_the_popup(browser, store, portal_page, browser_client):
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{portal_page}/")
    certificate = store.certificates["rsa"]
    body = sign_body(certificate)

    created = page.evaluate(SIGN, [browser_client.base, body])
    assert created["status"] == 202
    with page.expect_popup() as opened:
        page.evaluate("url => { window.open(url, 'ky-so', 'width=640,height=720'); }",
                      created["data"]["confirm_url"])  # fmt: skip
    popup = opened.value
    popup.wait_for_load_state()
    assert "15/2026/CV-STC" in popup.content()

    popup.fill("#pin", WRONG_PIN)
    popup.click("button[value=sign]")
    popup.wait_for_selector("text=Mã PIN không đúng")
    notice = page.evaluate(POLL, [browser_client.base, created["data"]["id"]])
    assert notice["error"] == "pin_incorrect"

    popup.fill("#pin", PIN)
    popup.click("button[value=sign]")
    popup.wait_for_selector("text=Đã ký. Bạn có thể đóng cửa sổ này.")
    result = page.evaluate(POLL, [browser_client.base, created["data"]["id"]])

    assert result["status"] == "done"
    assert result["nonce"] == body["nonce"]
    verify(certificate, base64.b64decode(result["signature"]), base64.b64decode(body["digest"]))
    page.close()


def test_a_page_of_another_origin_reads_nothing(browser, store, portal_page, browser_client):
    # localhost and 127.0.0.1 are different origins: only the latter is configured.
    page = browser.new_page()
    page.goto(f"http://localhost:{portal_page}/")

    outcome = page.evaluate(
        """async ([client, body]) => {
          try { await fetch(client + '/v1/status'); return 'read'; }
          catch (e) { return 'refused'; }
        }""",
        [browser_client.base, sign_body(store.certificates["rsa"])],
    )

    assert outcome == "refused"
    page.close()
