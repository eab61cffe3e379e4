"""Keys on PKCS#11 tokens (portal/lib/pkcs11.py) on a real SoftHSM2 token store: generated
inside the token, never extractable, usable by the `cryptography` builders; PINs reset and
tokens wiped by the security officer (docs/ca.md, "Keys on tokens")."""

import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import NameOID
from django.conf import settings

from portal.lib import pkcs11 as p11

SO_PIN, PIN = "so-12345678", "123456"


def _token(label="TK-TEST") -> str:
    return p11.token_create(label=label, so_pin=SO_PIN, user_pin=PIN)


def _csr(key, name="Nguyễn Văn A"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


@pytest.mark.parametrize("algorithm", ["rsa2048", "ec_p256"])
def test_a_key_generated_on_the_token_signs_a_request_and_never_leaves(algorithm):
    serial = _token()
    with p11.session(serial, user_pin=PIN, rw=True) as session:
        public_der = p11.keypair_generate(
            session, key_id=b"\x01", label="TK-TEST", algorithm=algorithm
        )
        key = p11.signing_key(session, key_id=b"\x01", public_der=public_der)
        request = _csr(key)
        flags = p11.private_key_flags(session, key_id=b"\x01")
        with pytest.raises(p11.TokenError):
            key.private_bytes()
    assert request.is_signature_valid
    assert flags == {
        "extractable": False,
        "sensitive": True,
        "always_sensitive": True,
        "never_extractable": True,
    }
    if algorithm == "ec_p256":
        assert isinstance(request.public_key(), ec.EllipticCurvePublicKey)


def test_pkcs11_tool_reads_the_private_key_as_sensitive_and_not_extractable():
    serial = _token("TK-TOOL")
    with p11.session(serial, user_pin=PIN, rw=True) as session:
        p11.keypair_generate(session, key_id=b"\x07", label="TK-TOOL", algorithm="rsa2048")
    listing = subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            settings.PKCS11_MODULE,
            "--token-label",
            "TK-TOOL",
            "--login",
            "--pin",
            PIN,
            "--list-objects",
            "--type",
            "privkey",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Private Key Object; RSA" in listing
    assert "never extractable" in listing
    assert "sensitive" in listing
    assert "  extractable" not in listing


def test_a_certificate_written_onto_the_token_is_read_back():
    serial = _token()
    with p11.session(serial, user_pin=PIN, rw=True) as session:
        public_der = p11.keypair_generate(session, key_id=b"\x02", label="k", algorithm="rsa2048")
        key = p11.signing_key(session, key_id=b"\x02", public_der=public_der)
        now = datetime.now(UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA thử")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        p11.certificate_store(session, key_id=b"\x02", label="k", der=der)
        assert p11.certificates(session) == [der]
    cert.public_key().verify(
        cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256()
    )


def test_a_wrong_pin_is_told_apart_and_opens_nothing():
    serial = _token()
    with pytest.raises(p11.TokenError) as error, p11.session(serial, user_pin="000000"):
        pass
    assert error.value.code == "pin_incorrect"


def test_the_security_officer_resets_the_pin_and_the_old_one_fails():
    serial = _token()
    p11.pin_reset(serial, so_pin=SO_PIN, new_pin="654321")
    with pytest.raises(p11.TokenError) as error, p11.session(serial, user_pin=PIN):
        pass
    assert error.value.code == "pin_incorrect"
    with p11.session(serial, user_pin="654321") as session:
        assert p11.certificates(session) == []


def test_a_wiped_token_holds_no_key_and_no_pin():
    serial = _token()
    with p11.session(serial, user_pin=PIN, rw=True) as session:
        p11.keypair_generate(session, key_id=b"\x03", label="k", algorithm="ec_p256")
    p11.token_wipe(serial, so_pin=SO_PIN, label="KHO")
    assert p11.token(serial).label == "KHO"
    with pytest.raises(p11.TokenError) as error, p11.session(serial, user_pin=PIN):
        pass
    assert error.value.code == "pin_not_initialised"
    p11.pin_reset(serial, so_pin=SO_PIN, new_pin=PIN)
    with p11.session(serial, user_pin=PIN) as session:
        with pytest.raises(p11.TokenError) as error:
            p11.signing_key(session, key_id=b"\x03", public_der=b"")
        assert error.value.code == "key_missing"


def test_a_wrong_so_pin_wipes_nothing():
    serial = _token()
    with pytest.raises(p11.TokenError) as error:
        p11.token_wipe(serial, so_pin="wrong-so-pin", label="KHO")
    assert error.value.code == "pin_incorrect"
    assert p11.token(serial).label == "TK-TEST"


def test_an_unknown_serial_is_a_missing_token():
    with pytest.raises(p11.TokenError) as error:
        p11.token("0000000000000000")
    assert error.value.code == "token_missing"


def test_the_shared_session_finds_a_token_another_process_created_after_loading():
    p11.module()  # loaded before the token exists, as a web process started before the ceremony
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "TK-OTHER",
         "--so-pin", SO_PIN, "--pin", PIN],
        capture_output=True,
        check=True,
    )  # fmt: skip
    slots = subprocess.run(
        ["softhsm2-util", "--show-slots"], capture_output=True, text=True, check=True
    ).stdout
    (serial,) = [
        re.search(r"Serial number:\s*(\w+)", block).group(1)
        for block in slots.split("\nSlot ")
        if re.search(r"Label:\s*TK-OTHER\s", block)
    ]
    assert p11.token_serials("TK-OTHER") == []  # SoftHSM2 listed its tokens when loaded

    session = p11.shared_session(serial, user_pin=PIN)  # found by a rescan
    public_der = p11.keypair_generate(session, key_id=b"\x09", label="k", algorithm="rsa2048")
    key = p11.slot_signing_key(serial, user_pin=PIN, key_id=b"\x09", public_der=public_der)

    assert p11.shared_session(serial, user_pin=PIN) is session  # one per process
    p11.shared_session_close(serial)  # a lost session is opened again for the next signature
    signature = key.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())
    p11.shared_session_close(serial)
