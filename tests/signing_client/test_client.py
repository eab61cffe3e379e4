"""The signing client, driven over HTTP as the portal page and the official's popup drive it,
with real SoftHSM2 tokens (see conftest.py for why it runs as a subprocess)."""

import base64
import hashlib
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from pkcs11 import TokenFlag
from pkcs11 import exceptions as pkcs11_errors

from certificates.services.system_seal import DEMO_LABEL as SYSTEM_SEAL_LABEL
from dashboard.management.commands.runportal import demo_excluded_labels
from portal_signing_client.page import error_text
from portal_signing_client.tokens import error_for_login_failure
from tests.signing_client.client_tools import (
    PIN,
    PORTAL,
    WRONG_PIN,
    ClientProcess,
    TokenStore,
    sign_body,
    verify,
)

PIN_LOCKED_MESSAGE = (
    "Thiết bị bị khóa (nhập sai mã PIN quá số lần cho phép). "
    "Đề nghị khôi phục thiết bị theo Mẫu 06."
)


def accepted(client, certificate_der, **overrides):
    body = sign_body(certificate_der, **overrides)
    response = client.post_json("/v1/sign", body)
    assert response.status == 202, response.text
    return body, response.json()


# -- discovery --------------------------------------------------------------------------------


def test_status_names_the_client_and_the_present_tokens(client):
    response = client.get("/v1/status")

    assert response.status == 200
    data = response.json()
    assert data["client"] == "portal-signing-client"
    assert data["version"] == "1.0"
    labels = {t["label"] for t in data["tokens"]}
    assert {"NOPIN", "HEAD-RSA", "HEAD-EC", "HEAD-OTHER-ID"} <= labels
    assert all(t["serial"] and t["demo"] is False for t in data["tokens"])
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["vary"] == "Origin"


def test_certificates_lists_every_certificate_on_every_token_without_a_pin(client, store):
    response = client.get("/v1/certificates")

    assert response.status == 200
    listed = {
        (c["token"], base64.b64decode(c["certificate"])) for c in response.json()["certificates"]
    }
    assert ("HEAD-RSA", store.certificates["rsa"]) in listed
    assert ("HEAD-EC", store.certificates["ec"]) in listed
    assert ("NOPIN", store.certificates["nopin"]) in listed
    assert response.headers["access-control-allow-origin"] == PORTAL


@pytest.mark.parametrize("origin", ["http://evil.test", "http://portal.test:8080", "null", None])
def test_a_foreign_or_missing_origin_is_refused_without_cors_headers(client, store, origin):
    for response in (
        client.get("/v1/status", origin=origin),
        client.get("/v1/certificates", origin=origin),
        client.post_json("/v1/sign", sign_body(store.certificates["rsa"]), origin=origin),
        client.request("OPTIONS", "/v1/sign", headers={"Origin": origin} if origin else {}),
    ):
        assert response.status == 403
        assert response.cors_headers() == {}


def test_a_preflight_from_the_portal_is_answered_with_private_network_access(client):
    response = client.request(
        "OPTIONS",
        "/v1/sign",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )

    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"].lower() == "content-type"
    assert response.headers["access-control-allow-private-network"] == "true"
    assert response.headers["vary"] == "Origin"


def test_a_host_header_other_than_loopback_is_refused(client):
    # A DNS-rebinding page reaches 127.0.0.1 under its own name: its Host header gives it away.
    response = client.get("/v1/status", headers={"Host": f"rebind.evil.test:{client.port}"})

    assert response.status == 403
    assert response.cors_headers() == {}


# -- signing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "ec", "other_id"])
def test_a_confirmed_request_returns_a_signature_over_the_digest(client, store, kind):
    certificate = store.certificates[kind]
    body, created = accepted(client, certificate)
    assert created["confirm_url"] == f"{client.base}/v1/confirm/{created['id']}"
    assert client.poll(created["id"]).json() == {"status": "pending"}

    page = client.confirm(created["confirm_url"])

    assert page.status == 200
    assert "Đã ký. Bạn có thể đóng cửa sổ này." in page.text
    result = client.poll(created["id"])
    assert result.status == 200
    assert result.headers["access-control-allow-origin"] == PORTAL
    data = result.json()
    assert data["status"] == "done"
    assert data["request_id"] == body["request_id"]
    assert data["nonce"] == body["nonce"]
    assert base64.b64decode(data["certificate"]) == certificate
    verify(certificate, base64.b64decode(data["signature"]), base64.b64decode(body["digest"]))


def test_the_confirm_page_shows_what_is_signed_under_a_strict_policy(client, store):
    body, created = accepted(client, store.certificates["rsa"])

    page = client.request("GET", created["confirm_url"].removeprefix(client.base))

    assert page.status == 200
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    assert page.headers["x-frame-options"] == "DENY"
    assert page.cors_headers() == {}
    html = page.text
    assert "15/2026/CV-STC" in html
    assert "Đề nghị cấp chứng thư số" in html
    digest_hex = base64.b64decode(body["digest"]).hex()
    assert digest_hex[:8] + " " + digest_hex[8:16] in html
    assert "Nguyễn Văn Thủ Trưởng" in html
    assert 'type="password" id="pin" name="pin" autocomplete="off"' in html
    assert ">Ký</button>" in html
    assert ">Hủy</button>" in html
    assert "<script" not in html
    assert "THIẾT BỊ DEMO" not in html


@pytest.mark.parametrize(
    ("kind", "name", "position"),
    [("ec", "Trần Thị Phó", "Phó Giám đốc"), ("rsa", "Nguyễn Văn Thủ Trưởng", None)],
    ids=["with-title", "without-title"],
)
def test_the_confirm_page_names_the_signer_position_and_agency_not_a_raw_dn(
    client, store, kind, name, position
):
    _, created = accepted(client, store.certificates[kind])

    html, _ = client.confirm_page(created["confirm_url"])

    assert f"<dt>Người ký</dt><dd>{name}</dd>" in html
    if position:
        assert f"<dt>Chức vụ</dt><dd>{position}</dd>" in html
    else:
        assert "Chức vụ" not in html
    assert "<dt>Cơ quan</dt><dd>Sở Tài chính, UBND TỈNH LAI CHÂU</dd>" in html
    # The raw distinguished name (the e-mail's OID, attribute types) is shown nowhere.
    for raw in ("1.2.840.113549", "CN=", "O=", "thutruong@laichau.gov.vn"):
        assert raw not in html


def test_the_confirm_page_shows_the_position_the_portal_states_when_the_subject_has_none(
    client, store
):
    """Certificates of the simulated CA carry no title (docs/domain.md §8): the portal states
    the signer's position with the request, escaped like every field it sends."""
    _, created = accepted(client, store.certificates["rsa"], signer={"position": "Giám đốc <Sở>"})

    html, _ = client.confirm_page(created["confirm_url"])

    assert "<dt>Chức vụ</dt><dd>Giám đốc &lt;Sở&gt;</dd>" in html


@pytest.mark.parametrize("signer", ["Giám đốc", {"position": 7}, {"position": "x" * 201}])
def test_a_signer_that_is_not_a_short_position_is_a_bad_request(client, store, signer):
    response = client.post_json("/v1/sign", sign_body(store.certificates["rsa"], signer=signer))
    assert response.status == 400


def test_the_document_fields_are_escaped_on_the_confirm_page(client, store):
    _, created = accepted(
        client,
        store.certificates["rsa"],
        document={"number": "<b>1</b>", "title": '"><img src=x onerror=alert(1)>'},
    )

    html, _ = client.confirm_page(created["confirm_url"])

    assert "<img" not in html
    assert "&lt;b&gt;1&lt;/b&gt;" in html


def test_a_wrong_pin_signs_nothing_and_leaves_the_request_pending(client, store):
    certificate = store.certificates["rsa"]
    body, created = accepted(client, certificate)

    page = client.confirm(created["confirm_url"], pin=WRONG_PIN)

    assert page.status == 200
    assert "Mã PIN không đúng. Văn bản chưa được ký." in page.text
    assert 'name="pin"' in page.text  # the form again, to try once more
    notice = client.poll(created["id"]).json()
    assert notice["status"] == "error"
    assert notice["error"] == "pin_incorrect"
    assert "Mã PIN không đúng" in notice["message"]
    # SoftHSM2 raises only CKF_USER_PIN_COUNT_LOW after a failure: no number can be known.
    assert notice["retries_left"] is None
    assert "nhập sai nhiều lần nữa thiết bị sẽ bị khóa" in notice["message"]
    assert client.poll(created["id"]).json() == {"status": "pending"}

    client.confirm(created["confirm_url"], pin=PIN)

    data = client.poll(created["id"]).json()
    assert data["status"] == "done"
    verify(certificate, base64.b64decode(data["signature"]), base64.b64decode(body["digest"]))


def test_softhsm2_never_locks_its_token_so_each_wrong_pin_stays_pin_incorrect(client, store):
    """SoftHSM2 2.6 has no retry counter: C_Login with a wrong PIN returns CKR_PIN_INCORRECT
    and sets CKF_USER_PIN_COUNT_LOW, however often it is repeated; it never answers
    CKR_PIN_LOCKED nor sets CKF_USER_PIN_LOCKED or CKF_USER_PIN_FINAL_TRY. A real token
    locks; how the client reports that is tested on the mapping below, with the module's own
    exception, since no token we can run here locks."""
    _, created = accepted(client, store.certificates["ec"])
    for _ in range(12):
        client.confirm(created["confirm_url"], pin=WRONG_PIN)
        assert client.poll(created["id"]).json()["error"] == "pin_incorrect"

    client.confirm(created["confirm_url"], pin=PIN)

    assert client.poll(created["id"]).json()["status"] == "done"


def test_a_locked_token_is_reported_with_the_mau_06_path():
    locked = error_for_login_failure(pkcs11_errors.PinLocked(), 0)
    assert (locked.code, locked.retries_left) == ("pin_locked", 0)
    assert error_text(locked.code, locked.message_key, 0, False) == PIN_LOCKED_MESSAGE
    # A module that answers CKR_PIN_INCORRECT on the try that locked it, with the lock flag up.
    flagged = error_for_login_failure(pkcs11_errors.PinIncorrect(), TokenFlag.USER_PIN_LOCKED)
    assert (flagged.code, flagged.retries_left) == ("pin_locked", 0)
    final = error_for_login_failure(pkcs11_errors.PinIncorrect(), TokenFlag.USER_PIN_FINAL_TRY)
    assert (final.code, final.retries_left) == ("pin_incorrect", 1)
    assert "lần nhập cuối" in error_text(final.code, final.message_key, 1, False)


def test_a_token_whose_user_pin_was_never_set_says_so_and_ends_the_request(client, store):
    _, created = accepted(client, store.certificates["nopin"])

    page = client.confirm(created["confirm_url"], pin=PIN)

    assert "Mã PIN của thiết bị chưa được khởi tạo" in page.text
    data = client.poll(created["id"]).json()
    assert data["status"] == "error"
    assert data["error"] == "failed"
    assert "chưa được khởi tạo" in data["message"]


def test_a_token_removed_while_the_request_waits_is_reported_missing(tmp_path):
    own_store = TokenStore(tmp_path / "softhsm")
    certificate = own_store.make_token("LEAVING")
    client = ClientProcess(own_store)
    try:
        _, created = accepted(client, certificate)
        subprocess.run(
            ["softhsm2-util", "--delete-token", "--token", "LEAVING"],
            env=own_store.env,
            check=True,
            capture_output=True,
        )

        page = client.confirm(created["confirm_url"], pin=PIN)
        data = client.poll(created["id"]).json()
        tokens = client.get("/v1/status").json()["tokens"]
    finally:
        client.stop()

    assert "Không tìm thấy thiết bị ký số" in page.text
    assert (data["status"], data["error"]) == ("error", "token_missing")
    assert tokens == []


def test_cancel_ends_the_request_unsigned(client, store):
    _, created = accepted(client, store.certificates["rsa"])

    page = client.confirm(created["confirm_url"], pin="", action="cancel")

    assert "Đã hủy" in page.text
    data = client.poll(created["id"]).json()
    assert (data["status"], data["error"]) == ("error", "cancelled")
    assert "signature" not in data


def test_an_empty_pin_does_not_reach_the_token(client, store):
    _, created = accepted(client, store.certificates["rsa"])

    page = client.confirm(created["confirm_url"], pin="")

    assert "Vui lòng nhập mã PIN." in page.text
    assert client.poll(created["id"]).json() == {"status": "pending"}


def test_a_result_is_handed_out_once(client, store):
    _, created = accepted(client, store.certificates["rsa"])
    client.confirm(created["confirm_url"])
    assert client.poll(created["id"]).json()["status"] == "done"

    again = client.poll(created["id"])

    assert again.status == 404
    assert again.json()["error"] == "not_found"
    # The page cannot be used to sign it again either.
    assert client.request("GET", created["confirm_url"].removeprefix(client.base)).status == 404


def test_another_portal_origin_cannot_read_the_result(store, tmp_path):
    client = ClientProcess(store, origins=(PORTAL, "https://other.portal.test"))
    try:
        _, created = accepted(client, store.certificates["rsa"])
        client.confirm(created["confirm_url"])

        assert (
            client.get(f"/v1/sign/{created['id']}", origin="https://other.portal.test").status
            == 404
        )
        assert client.poll(created["id"]).json()["status"] == "done"
    finally:
        client.stop()


def test_the_confirm_post_needs_the_page_token_and_the_clients_own_origin(client, store):
    _, created = accepted(client, store.certificates["rsa"])

    assert client.confirm(created["confirm_url"], csrf="forged").status == 403
    # The portal page itself cannot submit the form: its Origin is not the client's.
    assert client.confirm(created["confirm_url"], origin=PORTAL).status == 403
    assert client.confirm(created["confirm_url"], origin="null").status == 403
    assert client.poll(created["id"]).json() == {"status": "pending"}

    assert client.confirm(created["confirm_url"], origin=None).status == 200
    assert client.poll(created["id"]).json()["status"] == "done"


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expires_at",
    [
        lambda: (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        lambda: (datetime.now(UTC) + timedelta(minutes=11)).isoformat(),
    ],
    ids=["past", "too-far-ahead"],
)
def test_an_expired_or_too_long_request_is_refused(client, store, expires_at):
    response = client.sign(store.certificates["rsa"], expires_at=expires_at())

    assert response.status == 410
    assert response.json()["error"] == "expired"
    assert response.json()["message"]
    assert response.headers["access-control-allow-origin"] == PORTAL


def test_a_request_is_forgotten_when_it_expires(client, store):
    expires_at = (datetime.now(UTC) + timedelta(seconds=1.5)).isoformat()
    _, created = accepted(client, store.certificates["rsa"], expires_at=expires_at)
    _, csrf = client.confirm_page(created["confirm_url"])
    time.sleep(2)

    assert client.confirm(created["confirm_url"], csrf=csrf).status == 404
    data = client.poll(created["id"]).json()
    assert (data["status"], data["error"]) == ("error", "expired")
    assert client.poll(created["id"]).status == 404


@pytest.mark.parametrize(
    "change",
    [
        {"digest": base64.b64encode(b"short").decode()},
        {"digest": "not base64!"},
        {"digest_algorithm": "sha1"},
        {"certificate_sha256": "zz"},
        {"expires_at": "tomorrow"},
        {"expires_at": "2030-01-01T00:00:00"},  # no time zone
        {"request_id": ""},
        {"document": "15/2026"},
    ],
)
def test_a_malformed_request_is_refused(client, store, change):
    response = client.sign(store.certificates["rsa"], **change)

    assert response.status == 400
    assert response.json()["error"] == "bad_request"


def test_a_certificate_on_no_present_token_is_refused(client):
    response = client.sign(b"not a certificate on any token")

    assert response.status == 400
    assert response.json()["error"] == "unknown_certificate"
    assert "Không tìm thấy chứng thư số" in response.json()["message"]


def test_a_body_over_64_kib_is_refused(client, store):
    body = sign_body(store.certificates["rsa"], document={"number": "1", "title": "x" * 70_000})

    response = client.post_json("/v1/sign", body)

    assert response.status == 413


def test_at_most_twenty_requests_wait_at_once(store):
    client = ClientProcess(store)
    try:
        for _ in range(20):
            accepted(client, store.certificates["rsa"])

        response = client.sign(store.certificates["rsa"])

        assert response.status == 429
        assert response.json()["error"] == "too_many_requests"
    finally:
        client.stop()


# -- logging, configuration --------------------------------------------------------------------


def test_the_pin_never_reaches_the_log(store):
    client = ClientProcess(store, "--log-level", "DEBUG")
    try:
        body, created = accepted(client, store.certificates["rsa"])
        client.confirm(created["confirm_url"], pin=WRONG_PIN)
        client.confirm(created["confirm_url"], pin=PIN)
        assert client.poll(created["id"]).json()["status"] == "done"
        log = client.log()
    finally:
        client.stop()

    assert created["id"] in log
    assert body["request_id"] in log
    assert "15/2026/CV-STC" in log
    assert "outcome=pin_incorrect" in log
    assert "outcome=done" in log
    assert PIN not in log
    assert WRONG_PIN not in log
    assert body["digest"] not in log
    assert hashlib.sha256(PIN.encode()).hexdigest() not in log


def test_demo_mode_marks_the_tokens_and_the_confirm_page(store):
    client = ClientProcess(store, "--demo")
    try:
        tokens = client.get("/v1/status").json()["tokens"]
        _, created = accepted(client, store.certificates["rsa"])
        html, _ = client.confirm_page(created["confirm_url"])
    finally:
        client.stop()

    assert tokens and all(t["demo"] is True for t in tokens)
    assert "THIẾT BỊ DEMO" in html


def test_the_token_label_option_shows_only_that_token(store):
    client = ClientProcess(store, "--token-label", "HEAD-EC")
    try:
        tokens = client.get("/v1/status").json()["tokens"]
        refused = client.sign(store.certificates["rsa"])
    finally:
        client.stop()

    assert [t["label"] for t in tokens] == ["HEAD-EC"]
    assert refused.json()["error"] == "unknown_certificate"


def test_the_demo_client_lists_neither_the_ca_slot_nor_the_system_seal(tmp_path):
    # The demo's token store holds the CA's HSM slot and the portal's system seal beside the
    # signers' devices; `make run` (runportal) starts the client with the labels to leave out.
    store = TokenStore(tmp_path)
    ca_slot = store.make_token(settings.CA_HSM_TOKEN_LABEL, key_id="ca01", name="CA mô phỏng")
    seal = store.make_token(SYSTEM_SEAL_LABEL, key_id="5e01", name="Cổng thông tin")
    own = store.make_token("VT2600101", key_id="d001", name="Nguyễn Văn Thủ Trưởng")
    excluded = demo_excluded_labels()
    assert excluded == sorted({settings.CA_HSM_TOKEN_LABEL, SYSTEM_SEAL_LABEL})
    client = ClientProcess(
        store, "--demo", *(arg for label in excluded for arg in ("--exclude-label", label))
    )
    try:
        tokens = client.get("/v1/status").json()["tokens"]
        listed = client.get("/v1/certificates").json()["certificates"]
        refused = [client.sign(der).json()["error"] for der in (ca_slot, seal)]
        _, created = accepted(client, own)
    finally:
        client.stop()

    assert [t["label"] for t in tokens] == ["VT2600101"]
    assert [(c["token"], base64.b64decode(c["certificate"])) for c in listed] == [
        ("VT2600101", own)
    ]
    assert refused == ["unknown_certificate", "unknown_certificate"]
    assert created["confirm_url"]


def test_it_listens_on_loopback_only(client):
    # /proc/net/tcp lists listening sockets (state 0A) as hex address:port, little-endian IPv4.
    port_hex = f"{client.port:04X}"
    with open("/proc/net/tcp") as table:
        listening = [
            line.split()[1] for line in table.read().splitlines()[1:] if line.split()[3] == "0A"
        ]
    assert f"0100007F:{port_hex}" in listening
    assert not [a for a in listening if a.endswith(f":{port_hex}") and a != f"0100007F:{port_hex}"]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "localhost"])  # noqa: S104
def test_binding_anything_but_127_0_0_1_is_refused(host):
    result = subprocess.run(
        [sys.executable, "-m", "portal_signing_client", "--host", host, "--origin", PORTAL],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "chỉ được nghe trên 127.0.0.1" in result.stderr


def test_it_will_not_start_without_a_portal_origin():
    result = subprocess.run(
        [sys.executable, "-m", "portal_signing_client"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 2
    assert "--origin" in result.stderr


def test_help_is_offered_in_vietnamese():
    result = subprocess.run(
        [sys.executable, "-m", "portal_signing_client", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0
    assert "--module" in result.stdout
    assert "127.0.0.1" in result.stdout
