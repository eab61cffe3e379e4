"""No private key in the database (docs/ca.md, "Subscribers' tokens"): with the token store,
a database seeded with the demo and a processed letter of each form (Mẫu 01–06) is read
table by table, every value, for private-key material: PEM ("PRIVATE KEY"), PKCS#8 or PKCS#1
DER (whole values and embedded, raw or base64), encrypted PKCS#8, and RSA primes of the
registry's keys (a DER INTEGER or a long decimal/hex run sharing a factor with a modulus).

The same scan finds the keys of the software store (the control), so a scan that finds
nothing is not a scan that cannot see."""

import base64
import binascii
import json
import math
import re
from base64 import b32decode
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from agencies.demo import DEMO_TOTP_SECRET
from agencies.models import Organization, Person
from certificates.backends.remote_keys import remote_key_flags
from certificates.models import Certificate, DeviceKey
from devices.choices import DeviceStatus
from devices.models import Device, RemoteCredential
from devices.services import DEMO_PIN
from portal.lib import pkcs11 as p11
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.demo import FINANCE, issue_signed, load_full_demo
from tests.requests_app.letters import CONTACT, row_data

pytestmark = pytest.mark.django_db

# DER prefixes: PKCS#8 PrivateKeyInfo (version 0, rsaEncryption / id-ecPublicKey), PKCS#1
# RSAPrivateKey (version 0, then a 2048/3072/4096-bit modulus), SEC1 ECPrivateKey (P-256),
# and PBES2 (an EncryptedPrivateKeyInfo).
DER_MARKS = (
    bytes.fromhex("020100300d06092a864886f70d0101010500"),
    bytes.fromhex("02010030130607 2a8648ce3d0201".replace(" ", "")),
    bytes.fromhex("0201000282010100"),
    bytes.fromhex("0201000282018100"),
    bytes.fromhex("0201000282020100"),
    bytes.fromhex("307702010104 20".replace(" ", "")),
    bytes.fromhex("06092a864886f70d01050d"),
)
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/=\r\n]{100,}")
NUMBER_RUN = re.compile(r"[0-9]{150,}|[0-9A-Fa-f]{120,}")
PRIME_INTEGER = re.compile(rb"\x02\x81\x81\x00|\x02\x81\x80|\x02\x81\xc1\x00|\x02\x81\xc0")


def _is_private_key(blob: bytes) -> bool:
    for load in (serialization.load_der_private_key, serialization.load_pem_private_key):
        try:
            load(blob, None)
        except TypeError:  # "private key is encrypted": a private key all the same
            return True
        except Exception:  # noqa: BLE001, S112 - not a key in that form
            continue
        return True
    return False


def _factors(number: int, moduli: list[int]) -> bool:
    return any(1 < math.gcd(number, n) < n for n in moduli) or any(number == n - 1 for n in moduli)


def findings_in(value, moduli: list[int]) -> list[str]:
    """What in one database value looks like private-key material (empty if nothing)."""
    if value is None or isinstance(value, int | float | bool):
        return []
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, memoryview):
        value = bytes(value)
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    found = []
    if b"PRIVATE KEY" in raw:
        found.append("PEM header")
    blobs = [raw]
    for run in BASE64_RUN.findall(raw):
        try:
            blobs.append(base64.b64decode(re.sub(rb"\s", b"", run) + b"==", validate=False))
        except (binascii.Error, ValueError):
            continue
    for blob in blobs:
        if len(blob) >= 100 and _is_private_key(blob):
            found.append("loads as a private key")
        found.extend(f"DER {mark.hex()}" for mark in DER_MARKS if mark in blob)
        for match in PRIME_INTEGER.finditer(blob):
            start = match.end()
            size = 128 if blob[match.start() + 2] in (0x80, 0x81) else 192
            candidate = int.from_bytes(blob[start : start + size], "big")
            if candidate > 1 and _factors(candidate, moduli):
                found.append("an RSA prime of a registry key (DER INTEGER)")
    if not isinstance(value, bytes):
        for run in NUMBER_RUN.findall(str(value)):
            for base in (10, 16):
                try:
                    number = int(run, base)
                except ValueError:
                    continue
                if _factors(number, moduli):
                    found.append("an RSA private number of a registry key (text)")
    return found


def scan_database() -> list[str]:
    """Every value of every table, with where it was found."""
    moduli = []
    for der in DeviceKey.objects.values_list("public_key_der", flat=True):
        key = serialization.load_der_public_key(bytes(der))
        if hasattr(key, "public_numbers") and hasattr(key.public_numbers(), "n"):
            moduli.append(key.public_numbers().n)
    findings = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    findings.extend(
                        f"{table}.{column}: {what}" for what in findings_in(value, moduli)
                    )
    return findings


def _process(letter, form, *, clerk, head, officer, operator):
    services.cert_request_submit(cert_request=letter, by=clerk)
    # signed on the head's and the seal's demo tokens and uploaded: the server holds no key
    issue_signed(letter, head=head, agency=letter.agency)
    letter.refresh_from_db()
    by = officer
    if form not in (FormKind.RENEW_CHANGE, FormKind.RECOVER_DEVICE):
        services.cert_request_forward(cert_request=letter, by=officer)
        by = operator
    services.cert_request_accept_valid_rows(cert_request=letter, by=by)
    services.cert_request_process(cert_request=letter, by=by)
    services.cert_request_run_processing(cert_request_id=letter.pk)  # the worker's body
    letter.refresh_from_db()
    assert letter.status == Status.DONE, (form, letter.status)
    assert all(row.outcome == "done" for row in letter.rows.all()), form


def _seed_and_process_every_form():
    load_full_demo()
    users = {
        name: get_user_model().objects.get(username=username)
        for name, username in (
            ("clerk", "canbo.stc"), ("head", "lanhdao.stc"), ("officer", "so.khcn"),
            ("operator", "cuc.cts"),
        )
    }  # fmt: skip
    finance = Organization.objects.get(name=FINANCE)
    certificates = iter(
        Certificate.objects.filter(agency=finance, status="valid", person__isnull=False)
        .filter(not_after__gt=timezone.now() + timedelta(days=60))
        # the demo's own Mẫu 04 and 05 name the first two, the third is on the locked
        # device, the fourth is the head who signs every letter
        .exclude(
            person__full_name__in=["Trần Đức Minh", "Vàng A Sử", "Đỗ Thị Lan Anh", "Lò Văn Thắng"]
        )
        .order_by("pk")
    )
    for form in FormKind.values:
        if form == FormKind.RENEW_CHANGE:
            data = {"certificate": next(certificates), "renew": True}
        elif form == FormKind.REVOKE:
            data = {"certificate": next(certificates), "revoke_reason": "retired"}
        elif form == FormKind.RECOVER_DEVICE:
            data = {"device": Device.objects.get(agency=finance, status=DeviceStatus.LOCKED)}
        else:
            data = row_data(form, finance)
            if form == FormKind.ISSUE_PERSON:
                data["work_agency"] = FINANCE
        letter = services.cert_request_create(
            agency=finance, form=form, by=users["clerk"], **CONTACT
        )
        services.row_save(cert_request=letter, by=users["clerk"], data=data)
        _process(letter, form, **users)


def test_a_seeded_database_with_every_form_processed_holds_no_private_key(settings):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "token"
    _seed_and_process_every_form()

    assert DeviceKey.objects.filter(store="token").count() == DeviceKey.objects.count() > 10
    # The demo's devices are SoftHSM2 tokens marked as demo devices with the documented PIN.
    head = Person.objects.get(user__username="lanhdao.stc")
    token = Certificate.objects.filter(person=head).first().device.token
    assert token.is_demo
    with p11.session(token.serial, user_pin=DEMO_PIN) as session:
        assert p11.private_key_flags(session, key_id=token.key_id_bytes)["extractable"] is False
    assert Person.objects.exists()
    # The demo's remote-signing holder (remote_signing/demo.py): the key in the CA's HSM slot,
    # sensitive and not extractable; the database holds neither its PIN nor the
    # authenticator's secret in clear.
    credential = RemoteCredential.objects.get(device__holder__user__username="thuebao")
    flags = remote_key_flags(credential_id=credential.credential_id)
    assert (flags["sensitive"], flags["extractable"]) == (True, False)
    secret_hex = b32decode(DEMO_TOTP_SECRET).hex()
    found = values_containing([DEMO_PIN, DEMO_TOTP_SECRET, secret_hex])
    # The demo accounts' sign-in authenticators (django-otp's devices) are bound to the same
    # published secret on purpose (README): that table is the only place it may be.
    assert {place for place in found if place != "otp_totp_totpdevice.key"} == set(), found
    # The CA's own keys are in its HSM slot (CA_KEY_STORE="hsm", the suite's): nothing either.
    assert scan_database() == []


def values_containing(secrets: list[str]) -> list[str]:
    """Where any of `secrets` appears as text in a value of any table (whole or within)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        text = bytes(value).decode("latin-1")
                    elif isinstance(value, dict | list):
                        text = json.dumps(value, ensure_ascii=False)
                    else:
                        text = str(value)
                    found.extend(f"{table}.{column}" for secret in secrets if secret in text)
    return found


def test_the_scan_finds_the_keys_of_the_software_store(settings, cast, ca):
    """The control: the simulated CA's old store, encrypted PKCS#8 in DeviceKey."""
    from certificates.services import certificate_issue

    settings.PORTAL_SUBSCRIBER_KEY_STORE = "software"
    certificate_issue(
        subject_kind="person", agency=cast.agency_a, person=cast.subscriber, by=cast.ca_operator
    )

    findings = scan_database()

    assert any("certificates_devicekey.private_key_pem: PEM header" in f for f in findings)
    assert any("loads as a private key" in f for f in findings)


@pytest.mark.parametrize(
    "shape",
    ["pem", "pkcs8_der", "pkcs8_base64", "pkcs1_der", "prime_text", "prime_der", "ec_der"],
)
def test_the_scan_sees_each_shape_of_a_private_key(shape):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = rsa.generate_private_key(65537, 2048)
    n = key.public_key().public_numbers().n
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    values = {
        "pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "pkcs8_der": b"prefix" + pkcs8,
        "pkcs8_base64": "ghi chú " + base64.b64encode(pkcs8).decode(),
        "pkcs1_der": key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        "prime_text": json.dumps({"p": str(key.private_numbers().p)}),
        "prime_der": b"\x02\x81\x81\x00" + key.private_numbers().q.to_bytes(128, "big"),
        "ec_der": ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    }
    assert findings_in(values[shape], [n])
