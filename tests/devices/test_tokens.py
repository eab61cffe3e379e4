"""Devices' PKCS#11 tokens on a real SoftHSM2 store (docs/ca.md, "Subscribers' tokens"): the
key pair generated inside the device's token, the CA issuing from the token's PKCS#10 request,
the certificate written back; the user PIN sealed until its envelope is opened once; recovery
resetting the PIN, a return wiping the token, a loss retiring it; stock tokens keyed ahead."""

import secrets
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from certificates.backends import get_backend
from certificates.backends.base import IssueRequest
from certificates.exceptions import CertificateError
from certificates.models import DeviceKey
from certificates.services import (
    certificate_renew,
    certificate_revoke,
    certificate_signing_material,
)
from certificates.subjects import subject_for
from devices.choices import DeviceKind, TokenState
from devices.models import DeviceToken
from devices.services import (
    TokenOrder,
    device_lock,
    device_recover,
    device_register_stock,
    device_token_pin_reveal,
    device_token_wipe,
    device_tokens_key_ahead,
    device_tokens_personalise,
    loss_report_create,
    return_minutes_confirm,
    return_minutes_create,
)
from devices.services.tokens import token_so_pin
from devices.tasks import device_tokens_key_ahead_task
from portal.errors import DomainError
from portal.lib import pkcs11 as p11
from portal.models import AuditEvent
from tests import factories as f
from tests.celery_processes import CeleryProcesses, producing_to
from tests.devices.helpers import hand_over, issue_on_token, send
from tests.helpers import postgresql_only, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token_store(settings):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "token"


@pytest.fixture
def stock(cast):
    """Three USB tokens in the CA's stock, serials unique to the test (labels repeat across
    runs of the suite, serials of tokens never)."""
    prefix = secrets.token_hex(3).upper()
    return [
        device_register_stock(
            kind=DeviceKind.USB_TOKEN, serial=f"T{prefix}{n}", by=cast.ca_operator
        )
        for n in range(3)
    ]


def _pin(device, cast) -> str:
    return device_token_pin_reveal(device=device, by=cast.ca_operator)


def _sign(serial: str, pin: str, token: DeviceToken) -> bytes:
    with p11.session(serial, user_pin=pin) as session:
        key = p11.signing_key(
            session, key_id=token.key_id_bytes, public_der=bytes(token.public_key_der)
        )
        return key.sign(b"Mau 06", padding.PKCS1v15(), hashes.SHA256())


def test_personalisation_keeps_the_key_in_the_token_and_writes_the_certificate_back(
    cast, ca, stock
):
    certificate, device = issue_on_token(cast)

    token = DeviceToken.objects.get(device=device)
    assert token.state == TokenState.PERSONALISED
    key = DeviceKey.objects.get(pk=certificate.key_id)
    assert key.store == DeviceKey.Store.TOKEN and bytes(key.private_key_pem) == b""
    assert bytes(key.public_key_der) == bytes(token.public_key_der)
    leaf = x509.load_der_x509_certificate(bytes(certificate.der))
    assert leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == bytes(token.public_key_der)
    assert p11.token(token.serial).label == device.serial
    pin = _pin(device, cast)
    assert len(pin) == 8 and pin.isdigit()
    with p11.session(token.serial, user_pin=pin) as session:
        flags = p11.private_key_flags(session, key_id=token.key_id_bytes)
        assert p11.certificates(session) == [bytes(certificate.der)]
    assert flags["extractable"] is False and flags["sensitive"] is True
    assert flags["never_extractable"] and flags["always_sensitive"]
    listing = subprocess.run(  # noqa: S603 - our own arguments
        [
            "pkcs11-tool", "--module", settings.PKCS11_MODULE,
            "--token-label", device.serial,
            "--login", "--pin", pin, "--list-objects",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Private Key Object; RSA" in listing and f"label:      {device.serial}" in listing
    assert "never extractable" in listing and "sensitive" in listing
    assert "  extractable" not in listing
    assert "Certificate Object" in listing
    personalise = AuditEvent.objects.get(action="device_token.personalise")
    assert personalise.after["device"] == device.serial


def test_the_registry_keeps_no_private_key_and_the_server_cannot_sign_with_it(cast, ca, stock):
    certificate, _device = issue_on_token(cast)

    with pytest.raises(CertificateError) as error:
        certificate_signing_material(certificate=certificate, by=cast.clerk_a)
    assert error.value.code == "key_on_token"
    assert not DeviceKey.objects.exclude(private_key_pem=b"").exists()


def test_the_ca_refuses_a_request_whose_signature_does_not_match_its_key(cast, ca):
    subject = subject_for(node=cast.unit_a, common_name="Nguyễn Văn A", email="a@laichau.gov.vn")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn A")])
    request = x509.CertificateSigningRequestBuilder().subject_name(name)
    signed = request.sign(rsa.generate_private_key(65537, 2048), hashes.SHA256())
    der = bytearray(signed.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF  # a bit of the signature flipped
    now = timezone.now()
    with pytest.raises(CertificateError) as error:
        get_backend().issue(
            requests=[
                IssueRequest(
                    subject=subject,
                    not_before=now,
                    not_after=now + timezone.timedelta(days=30),
                    key_algorithm="rsa2048",
                    csr_der=bytes(der),
                )
            ]
        )
    assert error.value.code == "bad_csr"


def test_the_pin_envelope_is_opened_once_by_the_ca_and_audited_without_the_pin(cast, ca, stock):
    _certificate, device = issue_on_token(cast)
    with pytest.raises(PermissionDenied):
        device_token_pin_reveal(device=device, by=cast.clerk_a)

    pin = _pin(device, cast)

    with pytest.raises(DomainError) as error:
        _pin(device, cast)
    assert error.value.code == "pin_envelope_opened"
    token = DeviceToken.objects.get(device=device)
    assert bytes(token.pin_envelope) == b"" and token.pin_revealed_at is not None
    event = AuditEvent.objects.get(action="device_token.pin_reveal")
    assert event.after["device"] == device.serial and pin not in str(event.after)


def test_a_renewal_writes_its_certificate_over_the_old_one_on_the_token(cast, ca, stock):
    certificate, device = issue_on_token(cast)
    pin = _pin(device, cast)

    renewed = certificate_renew(certificate=certificate, by=cast.ca_operator)

    token = DeviceToken.objects.get(device=device)
    with p11.session(token.serial, user_pin=pin) as session:
        assert p11.certificates(session) == [bytes(renewed.der)]


def test_recovery_resets_the_pin_the_old_one_fails_and_the_new_one_signs(cast, ca, stock):
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)
    old_pin = _pin(device, cast)
    device_lock(device=device, by=cast.clerk_a, note="Nhập sai mã PIN")

    device_recover(device=device, by=cast.ca_operator, document_ref="3/STC-CKS")

    token = DeviceToken.objects.get(device=device)
    with pytest.raises(p11.TokenError) as error, p11.session(token.serial, user_pin=old_pin):
        pass
    assert error.value.code == "pin_incorrect"
    new_pin = _pin(device, cast)
    assert new_pin != old_pin
    signature = _sign(token.serial, new_pin, token)
    x509.load_der_x509_certificate(bytes(certificate.der)).public_key().verify(
        signature, b"Mau 06", padding.PKCS1v15(), hashes.SHA256()
    )
    event = AuditEvent.objects.get(action="device_token.pin_reset")
    assert event.after["device"] == device.serial


def test_a_returned_device_has_its_token_wiped_and_holding_no_key(cast, ca, stock):
    f.CAOrgFactory()
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)
    token = DeviceToken.objects.get(device=device)
    certificate_revoke(certificate=certificate, by=cast.ca_operator, reason="retired")
    minutes = return_minutes_create(
        agency=cast.agency_a, devices=[device], held_at=timezone.now(),
        place="Sở Tài chính", receiver_kind="ca", agency_representative="Nguyễn Thị Thu Hà",
        agency_representative_title="Chánh Văn phòng", by=cast.clerk_a,
    )  # fmt: skip
    send(cast, minutes)

    return_minutes_confirm(minutes=minutes, by=cast.ca_operator)

    token.refresh_from_db()
    assert token.state == TokenState.WIPED and token.key_id == ""
    assert bytes(token.public_key_der) == b"" and bytes(token.pin_envelope) == b""
    assert p11.token(token.serial).label == device.serial
    # The SO sets a PIN to look inside: no key and no certificate is left.
    p11.pin_reset(token.serial, so_pin=token_so_pin(token.serial), new_pin="11112222")
    with p11.session(token.serial, user_pin="11112222") as session:
        assert list(session.get_objects()) == []
    assert AuditEvent.objects.get(action="device_token.wipe").after["device"] == device.serial


def test_a_lost_device_retires_its_token_for_good(cast, ca, stock):
    certificate, device = issue_on_token(cast)
    hand_over(cast, device)

    loss_report_create(
        device=device, lost_on=timezone.localdate(), lost_place="Hà Nội",
        circumstances="Để quên trên xe khách", by=cast.clerk_a,
    )  # fmt: skip

    token = DeviceToken.objects.get(device=device)
    assert token.state == TokenState.RETIRED and bytes(token.pin_envelope) == b""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    with pytest.raises(DomainError) as error:
        device_tokens_personalise(
            orders=[TokenOrder(device=device, subject=name, algorithm="rsa2048")],
            issue=lambda csrs: pytest.fail("nothing goes to the CA"),
            by=cast.ca_operator,
        )
    assert error.value.code == "illegal_token_move"
    with pytest.raises(DomainError):
        device_token_wipe(device=device, by=cast.ca_operator)
    # The database itself: a retired token holds no PIN, and its serial goes to no device.
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceToken.objects.filter(pk=token.pk).update(pin_envelope=b"sealed")
    other = f.DeviceFactory(agency=cast.agency_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceToken.objects.create(
            device=other, serial=token.serial, state=TokenState.STOCK_KEYED,
            key_algorithm="rsa2048", key_id="01",
        )  # fmt: skip
    assert AuditEvent.objects.get(action="device_token.retire").after["token"] == token.serial


def test_keying_ahead_twice_keys_each_stock_device_once(cast, stock):
    assert device_tokens_key_ahead(limit=10) == 3
    assert device_tokens_key_ahead(limit=10) == 0

    tokens = list(DeviceToken.objects.order_by("device_id"))
    assert [t.device_id for t in tokens] == [d.pk for d in stock]
    assert {t.state for t in tokens} == {TokenState.STOCK_KEYED}
    assert len({t.serial for t in tokens}) == 3
    assert AuditEvent.objects.filter(action="device_token.key").count() == 3
    # A second token for a device is refused by the database, whatever a service decides.
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceToken.objects.create(
            device=stock[0], serial="FFFF0000", state=TokenState.STOCK_KEYED,
            key_algorithm="rsa2048", key_id="02",
        )  # fmt: skip


def test_issuance_takes_the_keyed_ahead_token_and_generates_no_key(cast, ca, stock):
    device_tokens_key_ahead(limit=1)
    keyed = DeviceToken.objects.get()

    certificate, device = issue_on_token(cast)

    assert device == keyed.device
    assert AuditEvent.objects.filter(action="device_token.key").count() == 1  # ahead only
    keyed.refresh_from_db()
    assert keyed.state == TokenState.PERSONALISED
    leaf = x509.load_der_x509_certificate(bytes(certificate.der))
    assert leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == bytes(keyed.public_key_der)


def test_the_software_store_keys_nothing_ahead(cast, stock, settings):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "software"

    assert device_tokens_key_ahead(limit=10) == 0
    assert not DeviceToken.objects.exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_keys_the_stock_once_and_this_process_personalises_it(
    cast, ca, stock, ci_redis_url, tmp_path
):
    """The beat task run twice by a real worker (its own process, on Redis) keys each stock
    device once; a token another process made is then found here (SoftHSM2 reads its store
    at C_Initialize) and personalised."""
    postgresql_only("worker processes on the test database")
    p11.module().get_slots()  # this process's library initialised before the worker keys
    processes = CeleryProcesses(ci_redis_url, tmp_path)
    try:
        processes.worker()
        with producing_to(ci_redis_url):
            device_tokens_key_ahead_task.delay()
            device_tokens_key_ahead_task.delay()  # a beat tick doubled, or a redelivery
        deadline = time.monotonic() + 120
        while DeviceToken.objects.count() < 3:
            assert time.monotonic() < deadline, processes.logs()
            time.sleep(0.2)
        time.sleep(3)  # the second run, behind the first on the solo worker, has finished too
    finally:
        processes.stop_all()
    assert DeviceToken.objects.count() == 3
    assert {t.state for t in DeviceToken.objects.all()} == {TokenState.STOCK_KEYED}
    assert AuditEvent.objects.filter(action="device_token.key").count() == 3

    certificate, device = issue_on_token(cast)

    token = DeviceToken.objects.get(device=device)
    assert device == stock[0] and token.state == TokenState.PERSONALISED
    with p11.session(token.serial, user_pin=_pin(device, cast)) as session:
        assert p11.certificates(session) == [bytes(certificate.der)]


def test_the_deploy_check_refuses_the_software_key_store(settings):
    settings.PORTAL_SUBSCRIBER_KEY_STORE = "software"
    with pytest.raises(SystemCheckError, match="certificates.E008"):
        call_command("check", "--deploy", "--tag", "security")

    settings.PORTAL_SUBSCRIBER_KEY_STORE = "token"
    settings.PORTAL_TOKEN_SO_KEY = ""
    with pytest.raises(SystemCheckError, match="certificates.E009"):
        call_command("check", "--deploy", "--tag", "security")


def test_the_device_page_opens_the_pin_envelope_once_for_the_ca_only(client, cast, ca, stock):
    _certificate, device = issue_on_token(cast)
    page = reverse("devices:detail", args=[device.pk])
    envelope = reverse("devices:pin_envelope", args=[device.pk])

    sign_in(client, cast.clerk_a)
    assert "Mở phong bì PIN" not in client.get(page).content.decode()
    assert client.post(envelope).status_code == 403

    sign_in(client, cast.ca_operator)
    assert "Mở phong bì PIN" in client.get(page).content.decode()
    opened = client.post(envelope)
    assert opened.status_code == 200 and opened["Cache-Control"] == "no-store"
    pin = opened.context["pin"]
    token = DeviceToken.objects.get(device=device)
    with p11.session(token.serial, user_pin=pin):
        pass
    again = client.post(envelope)
    assert again.status_code == 302
    assert "Mở phong bì PIN" not in client.get(page).content.decode()
    assert AuditEvent.objects.filter(action="device_token.pin_reveal").count() == 1


def test_the_token_store_fills_no_software_key_pool(settings):
    from certificates.services import device_key_pool_fill

    settings.CA_KEY_POOL_SIZE = settings.CA_KEY_POOL_BATCH = 5

    assert device_key_pool_fill() == 0
    assert not DeviceKey.objects.exists()
