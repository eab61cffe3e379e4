"""The signing client's fixtures: a token store and a client process for each module
(the tools are in tests/signing_client/client_tools.py)."""

import subprocess

import pytest

from tests.signing_client.client_tools import ClientProcess, TokenStore


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store for a module's tests: a token without user PIN (first: see TokenStore), an RSA
    token, an EC token, and an RSA token whose certificate's CKA_ID differs from its key's."""
    store = TokenStore(tmp_path_factory.mktemp("softhsm"))
    stranger = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "/dev/null", "-subj", "/CN=Chưa khởi tạo PIN", "-utf8",
         "-days", "30", "-outform", "DER"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    store.make_token_without_user_pin("NOPIN", stranger)
    store.certificates = {
        "nopin": stranger,
        "rsa": store.make_token("HEAD-RSA", key="rsa", key_id="a1b2c3"),
        "ec": store.make_token(
            "HEAD-EC", key="ec", key_id="0e0e", name="Trần Thị Phó", title="Phó Giám đốc"
        ),
        "other_id": store.make_token(
            "HEAD-OTHER-ID", key="rsa", key_id="7777", cert_id="8888", name="Lê Văn Khác"
        ),
    }
    return store


@pytest.fixture(scope="module")
def client(store):
    process = ClientProcess(store)
    yield process
    process.stop()
