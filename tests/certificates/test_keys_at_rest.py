"""Private keys: the CA's on its HSM token (the development store's encrypted at rest), the
devices' encrypted at rest, and never rendered by any page, download, admin or dump."""

import base64
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from certificates.models import Certificate, CertificateAuthority, DeviceKey, RevocationList
from tests.helpers import TEST_CA_PASSPHRASE, TEST_DEVICE_PASSPHRASE, sign_in

pytestmark = pytest.mark.django_db

ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"


def raw_column(table: str, column: str) -> list[bytes]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - fixed names
        return [bytes(row[0]) for row in cursor.fetchall()]


@pytest.fixture
def file_store_ca(db, settings):
    """The CA made with the development key store (CA_KEY_STORE "file")."""
    from certificates.services import ca_initialize

    settings.CA_KEY_STORE = "file"
    ca_initialize()


def test_the_file_store_keeps_ca_keys_encrypted_pkcs8_in_the_database(file_store_ca):
    stored = raw_column(CertificateAuthority._meta.db_table, "private_key_pem")

    assert len(stored) == 2
    for blob in stored:
        assert blob.startswith(ENCRYPTED_PEM)
        with pytest.raises(TypeError, match="encrypted"):
            serialization.load_pem_private_key(blob, password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(blob, password=b"not the passphrase")
        serialization.load_pem_private_key(blob, password=TEST_CA_PASSPHRASE.encode())


def test_device_keys_are_encrypted_with_their_own_passphrase(issue):
    issue()
    (blob,) = raw_column(DeviceKey._meta.db_table, "private_key_pem")

    assert blob.startswith(ENCRYPTED_PEM)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(blob, password=TEST_CA_PASSPHRASE.encode())
    serialization.load_pem_private_key(blob, password=TEST_DEVICE_PASSPHRASE.encode())


def key_fragments() -> tuple[list[bytes], list[bytes]]:
    """(fragments of the stored encrypted keys, fragments of the keys in clear), as PEM body,
    base64 (what a JSON dump carries) and hex."""
    encrypted, plain = [], [b"PRIVATE KEY"]
    keys = [(bytes(k), TEST_CA_PASSPHRASE) for k in CertificateAuthority.objects.values_list(
        "private_key_pem", flat=True
    ) if k] + [(bytes(k), TEST_DEVICE_PASSPHRASE) for k in DeviceKey.objects.values_list(
        "private_key_pem", flat=True
    ) if k]  # fmt: skip
    for blob, passphrase in keys:
        encrypted.append(b"".join(blob.splitlines()[1:-1])[100:140])
        encrypted.append(base64.b64encode(blob)[100:140])
        clear = serialization.load_pem_private_key(blob, passphrase.encode()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Fragments of the secret itself (RSA private exponent, EC private scalar): the
        # public modulus also sits in every certificate, so it must not be what we look for.
        start = secret_offset(clear, passphrase, blob) + 3
        start -= start % 3  # a base64 window that lines up with the dump's encoding
        plain.append(base64.b64encode(clear)[start // 3 * 4 :][:40])
        plain.append(clear[start : start + 20].hex().encode())
        plain.append(clear[start : start + 20].hex().upper().encode())
    return encrypted, plain


def secret_offset(clear: bytes, passphrase: str, blob: bytes) -> int:
    key = serialization.load_pem_private_key(blob, passphrase.encode())
    numbers = key.private_numbers()
    secret = numbers.d if hasattr(numbers, "d") else numbers.private_value
    raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
    offset = clear.find(raw)
    assert offset >= 0
    return offset


def secrets_of_the_database() -> list[bytes]:
    encrypted, plain = key_fragments()
    return encrypted + plain


@pytest.fixture
def world(issue, cast):
    from certificates import services
    from certificates.choices import RevocationReason

    certificate = issue()
    services.certificate_revoke(
        certificate=issue(), by=cast.ca_operator, reason=RevocationReason.RESIGNED
    )
    services.crl_publish()
    return certificate


def every_url(certificate) -> list[str]:
    authorities = list(CertificateAuthority.objects.public())
    key = DeviceKey.objects.get(pk=certificate.key_id)
    crl = RevocationList.objects.latest("created_at")
    urls = [
        reverse("certificates:list"),
        reverse("certificates:detail", args=[certificate.serial]),
        reverse("certificates:cer", args=[certificate.serial]),
        reverse("certificates:pem", args=[certificate.serial]),
        reverse("certificates:crl"),
        reverse("certificates:crl_pem"),
        reverse("certificates:chain"),
        reverse("admin:certificates_certificateauthority_changelist"),
        reverse("admin:certificates_devicekey_changelist"),
        reverse("admin:certificates_certificate_changelist"),
        reverse("admin:certificates_revocationlist_changelist"),
        reverse("admin:certificates_devicekey_change", args=[key.pk]),
        reverse("admin:certificates_certificate_change", args=[certificate.pk]),
        reverse("admin:certificates_revocationlist_change", args=[crl.pk]),
        reverse("admin:certificates_certificate_history", args=[certificate.pk]),
    ]
    for authority in authorities:
        urls += [
            reverse("certificates:authority_cert", args=[authority.pk]),
            reverse("certificates:authority_crl", args=[authority.pk]),
            reverse("certificates:authority_crl_pem", args=[authority.pk]),
            reverse("admin:certificates_certificateauthority_change", args=[authority.pk]),
            reverse("admin:certificates_certificateauthority_history", args=[authority.pk]),
        ]
    return urls


# How many of every_url() each user may open: the 9 public CA artefacts (chain, CRLs and CA
# certificates of both authorities) for everyone; the list for any user; the certificate's
# page and downloads (3) for those in its scope; the 12 admin pages for the administrator.
PAGES_OPENED = {
    "admin": 9 + 1 + 3 + 12,
    "ca_operator": 9 + 1 + 3,
    "clerk_a": 9 + 1 + 3,
    "head_a": 9 + 1 + 3,
    "clerk_b": 9 + 1,
    "officer_1": 9 + 1 + 3,
    "officer_2": 9 + 1,
    "subscriber_user": 9 + 1 + 3,
    None: 9,
}


@pytest.mark.parametrize("who", list(PAGES_OPENED))
def test_no_page_download_or_admin_view_renders_key_material(client, cast, world, who):
    if who is not None:
        sign_in(client, getattr(cast, who))
    fragments = secrets_of_the_database()
    fetched = 0
    for url in every_url(world):
        response = client.get(url)
        if who == "admin" and "/quan-tri/" in url:
            assert response.status_code == 200, url
        body = response.content
        fetched += response.status_code == 200
        for fragment in fragments:
            assert fragment not in body, (url, fragment)
    assert fetched == PAGES_OPENED[who]


def test_admin_forms_do_not_offer_the_key_fields(client, cast, ca):
    sign_in(client, cast.admin)
    response = client.get(
        reverse("admin:certificates_certificateauthority_change", args=[ca.root.pk])
    )

    assert response.status_code == 200
    assert b"private_key_pem" not in response.content
    assert "khóa bí mật (mã hóa)".encode() not in response.content  # the field's label


def test_a_database_dump_holds_no_key_in_clear(world):
    out = StringIO()
    call_command("dumpdata", "certificates", stdout=out)
    dump = out.getvalue().encode()
    encrypted, plain = key_fragments()

    assert Certificate.objects.exists()
    assert any(fragment in dump for fragment in encrypted)  # the dump does carry the keys…
    for fragment in plain:  # …but only encrypted
        assert fragment not in dump
