"""The CA's keys in its HSM slot (docs/ca.md, "Keys on tokens"): generated inside a real SoftHSM2
token by the key ceremony, sensitive and never extractable, nothing private in the database;
PIN rules; `check --deploy` refuses the development file store; signing survives a fork."""

import os
import subprocess
from io import StringIO
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from certificates import services
from certificates.backends import ca_keys
from certificates.backends.ca_keys import (
    DEV_CA_HSM_PIN,
    ca_token_serial,
    hsm_pin,
    load_authority,
)
from certificates.backends.remote_keys import DEV_RSSP_HSM_PIN
from certificates.checks import check_ca_key_store
from certificates.choices import AuthorityKind, RevocationReason
from certificates.models import CertificateAuthority
from portal.lib import pkcs11
from portal.models import AuditEvent
from tests.certificates.ocsp_requests import post, request_for
from tests.helpers import TEST_CA_HSM_PIN, TEST_CA_HSM_SO_PIN

pytestmark = pytest.mark.django_db

NEVER_EXPORTED = {
    "extractable": False,
    "sensitive": True,
    "always_sensitive": True,
    "never_extractable": True,
}
# Markers of private-key encodings: PEM armour, PKCS#8 PrivateKeyInfo (version 0 then the
# rsaEncryption or id-ecPublicKey algorithm), PKCS#1 RSAPrivateKey (version 0 then a 2048- or
# 3072-bit modulus INTEGER) and SEC1 ECPrivateKey (version 1 then a 32-byte OCTET STRING).
PRIVATE_KEY_MARKERS = [
    b"PRIVATE KEY",
    bytes.fromhex("020100300d06092a864886f70d0101010500"),
    bytes.fromhex("020100301306072a8648ce3d0201"),
    bytes.fromhex("0201000282010100"),
    bytes.fromhex("0201000282018100"),
    bytes.fromhex("0201010420"),
]


def ca_init(*args) -> str:
    out = StringIO()
    call_command("ca_init", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rsa_ca(db, settings):
    """The ceremony with RSA keys, as production makes them (the suite's CA is EC P-256 for
    speed: tests/conftest.py)."""
    settings.CA_ROOT_KEY_ALGORITHM = "rsa3072"
    settings.CA_ISSUING_KEY_ALGORITHM = "rsa2048"
    services.ca_initialize()
    return SimpleNamespace(
        root=CertificateAuthority.objects.public().get(kind="root", is_active=True),
        issuing=CertificateAuthority.objects.public().get(kind="issuing", is_active=True),
    )


@pytest.mark.parametrize("authorities", ["ca", "rsa_ca"])
def test_the_ceremony_generates_each_ca_key_on_the_token_never_extractable(request, authorities):
    ca = request.getfixturevalue(authorities)
    serial = ca_token_serial()
    session = pkcs11.shared_session(serial, user_pin=hsm_pin())
    for authority in (ca.root, ca.issuing):
        row = CertificateAuthority.objects.get(pk=authority.pk)
        assert row.token_serial == serial
        assert row.private_key_pem is None
        flags = pkcs11.private_key_flags(session, key_id=bytes.fromhex(row.token_key_id))
        assert flags == NEVER_EXPORTED
        key = load_authority(row).private_key
        with pytest.raises(pkcs11.TokenError):
            key.private_bytes()
    created = AuditEvent.objects.get(action="ca.create", object_id=str(ca.issuing.pk))
    assert created.after["token_serial"] == serial
    assert created.after["token_key_id"] == ca.issuing.token_key_id
    issuing = x509.load_der_x509_certificate(bytes(ca.issuing.certificate_der))
    issuing.verify_directly_issued_by(
        x509.load_der_x509_certificate(bytes(ca.root.certificate_der))
    )


def test_pkcs11_tool_lists_every_key_of_the_ca_token_as_sensitive_and_never_extractable(
    ca, settings
):
    listing = subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            settings.PKCS11_MODULE,
            "--token-label",
            settings.CA_HSM_TOKEN_LABEL,
            "--login",
            "--pin",
            settings.CA_HSM_PIN,
            "--list-objects",
            "--type",
            "privkey",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keys = listing.count("Private Key Object")
    assert keys >= 2
    assert listing.count("never extractable") == keys
    assert "  extractable" not in listing
    assert settings.CA_ROOT_NAME in listing  # the key's label


def test_no_ca_private_key_material_is_in_the_authority_table(ca):
    services.ca_initialize(rotate=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {CertificateAuthority._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()

    assert len(rows) == 3
    cells = [
        bytes(cell) if isinstance(cell, bytes | memoryview) else str(cell).encode()
        for row in rows
        for cell in row
        if cell is not None
    ]
    for cell in cells:
        for marker in PRIVATE_KEY_MARKERS:
            assert marker not in cell
    assert not CertificateAuthority.objects.filter(private_key_pem__isnull=False).exists()


def test_rotation_makes_the_new_issuing_key_on_the_roots_token_and_the_old_ca_still_signs(
    ca, issue, cast
):
    certificate = issue()
    (new,) = services.ca_initialize(rotate=True)

    old = CertificateAuthority.objects.get(pk=ca.issuing.pk)
    assert new.kind == AuthorityKind.ISSUING and new.generation == 2
    assert new.token_serial == old.token_serial == ca.root.token_serial
    assert new.token_key_id not in {old.token_key_id, ca.root.token_key_id}
    services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )
    crl = x509.load_der_x509_crl(bytes(services.crl_publish(authority=old).der))
    old_cert = x509.load_der_x509_certificate(bytes(old.certificate_der))
    assert crl.is_signature_valid(old_cert.public_key())
    assert crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))


def test_a_wrong_pin_stops_the_ceremony_before_any_row(db, settings):
    serial = ca_token_serial()
    pkcs11.shared_session_close(serial)  # the process's session would not ask for the PIN
    settings.CA_HSM_PIN = "ma-pin-sai-cua-khe-hsm-ca"
    try:
        with pytest.raises(CommandError, match="HSM"):
            ca_init()
    finally:
        pkcs11.shared_session_close(serial)
    assert not CertificateAuthority.objects.exists()


def test_production_without_a_pin_fails_loudly(db, settings):
    settings.CA_HSM_PIN = ""
    settings.CA_ALLOW_DEV_PASSPHRASE = False

    with pytest.raises(ImproperlyConfigured, match="CA_HSM_PIN"):
        ca_init()
    assert not CertificateAuthority.objects.exists()


def test_a_short_pin_is_refused_in_production(db, settings):
    settings.CA_HSM_SO_PIN = "12345678"
    settings.CA_HSM_TOKEN_LABEL = "portal-ca-pin-ngan"  # a token still to be created
    settings.CA_ALLOW_DEV_PASSPHRASE = False

    with pytest.raises(ImproperlyConfigured, match="CA_HSM_SO_PIN must be at least 16"):
        ca_init()


def test_the_marked_dev_pins_make_a_token_only_where_allowed(db, settings):
    settings.CA_HSM_PIN = settings.CA_HSM_SO_PIN = ""
    settings.CA_ALLOW_DEV_PASSPHRASE = True
    settings.CA_HSM_TOKEN_LABEL = "portal-ca-dev"

    ca_init()

    (serial,) = pkcs11.token_serials("portal-ca-dev")
    assert "DEV-ONLY" in DEV_CA_HSM_PIN
    assert set(CertificateAuthority.objects.values_list("token_serial", flat=True)) == {serial}
    assert check_ca_key_store(None)  # and the deploy check says so


def test_the_deploy_check_rejects_the_file_store_and_development_pins(settings):
    assert check_ca_key_store(None) == []  # the tests' own PINs, the HSM store

    settings.CA_KEY_STORE = "file"
    assert {m.id for m in check_ca_key_store(None)} == {"certificates.E009"}

    settings.CA_KEY_STORE = "hsm"
    settings.CA_HSM_PIN = DEV_CA_HSM_PIN
    settings.CA_HSM_SO_PIN = ""
    ids = {m.id for m in check_ca_key_store(None)}
    assert ids == {"certificates.E010", "certificates.E011"}

    settings.CA_HSM_PIN, settings.CA_HSM_SO_PIN = TEST_CA_HSM_PIN, TEST_CA_HSM_SO_PIN
    settings.RSSP_HSM_PIN = DEV_RSSP_HSM_PIN
    settings.RSSP_HSM_SO_PIN = "x" * 15  # one short of the least
    ids = {m.id for m in check_ca_key_store(None)}
    assert ids == {"certificates.E014", "certificates.E015"}
    settings.RSSP_HSM_SO_PIN = "x" * 16
    assert {m.id for m in check_ca_key_store(None)} == {"certificates.E014"}


def test_a_forked_child_signs_with_the_ca_key_its_parent_used(rsa_ca):
    ca = rsa_ca
    key = load_authority(ca.issuing).private_key
    key.sign(b"parent", padding.PKCS1v15(), hashes.SHA256())  # library loaded, session open
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no test machinery, only the key, then _exit
        status = 1
        try:
            inherited = pkcs11.library.state.inherited
            signature = key.sign(b"child", padding.PKCS1v15(), hashes.SHA256())
            os.write(write_end, bytes([inherited]) + signature)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert answer[0] == 1  # the child saw the parent's library and initialised it again
    key.public_key().verify(answer[1:], b"child", padding.PKCS1v15(), hashes.SHA256())
    key.sign(b"parent again", padding.PKCS1v15(), hashes.SHA256())


def test_the_ocsp_responder_answers_internal_error_when_the_token_refuses_its_pin(
    client, issue, settings
):
    certificate = issue()
    serial = ca_token_serial()
    pkcs11.shared_session_close(serial)
    ca_keys._CACHE.clear()  # this process's loaded CAs, as in a web process started anew
    settings.CA_HSM_PIN = "ma-pin-sai-cua-khe-hsm-ca"
    try:
        answer = post(client, request_for(certificate))
    finally:
        pkcs11.shared_session_close(serial)
        ca_keys._CACHE.clear()

    assert answer.response_status == ocsp.OCSPResponseStatus.INTERNAL_ERROR
