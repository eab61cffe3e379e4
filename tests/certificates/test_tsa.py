"""The time-stamping authority (RFC 3161; docs/ca.md, "Time-stamping authority"): requests made
by `openssl ts -query`, posted to /ca/tsa, read and verified by `openssl ts -reply/-verify`
against the root, and by pyHanko; its certificate and key made by the key ceremony."""

import hashlib
import re
import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from certificates import services
from certificates.backends import ca_keys
from certificates.backends.ca_keys import ca_token_serial, hsm_pin, load_timestamp_unit
from certificates.backends.tsa import TimeStampResp
from certificates.choices import SigningEventKind, SigningOutcome
from certificates.models import CertificateAuthority, SigningEvent, Timestamp, TimestampUnit
from certificates.pem import der_to_pem
from certificates.tasks import timestamp_unit_ensure_task
from portal.lib import pkcs11
from portal.lib.loops import run_outside_event_loop
from portal.models import AuditEvent
from tests.certificates.relying_party import openssl
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"
NEVER_EXPORTED = {
    "extractable": False,
    "sensitive": True,
    "always_sensitive": True,
    "never_extractable": True,
}


@pytest.fixture
def unit(ca):
    return TimestampUnit.objects.get(is_active=True)


@pytest.fixture
def stamp(tmp_path, client, ca, unit):
    """A relying party: the data, `openssl ts -query`, the POST, and files to verify with."""

    class Stamp:
        directory = tmp_path
        root = tmp_path / "root.pem"
        chain = tmp_path / "chain.pem"

        def query(self, data: bytes = b"Van ban can dong dau thoi gian\n", *args) -> bytes:
            path = tmp_path / "data.txt"
            path.write_bytes(data)
            run = openssl("ts", "-query", "-data", path, *args)
            assert run.returncode == 0, run.stderr
            return run.stdout

        def post(self, body: bytes, *, content_type: str = QUERY, status: int = 200) -> bytes:
            response = client.post(reverse("certificates:tsa"), body, content_type=content_type)
            assert response.status_code == status
            assert response["Content-Type"] == REPLY
            return response.content

        def text(self, reply: bytes) -> str:
            path = self.write("resp.tsr", reply)
            run = openssl("ts", "-reply", "-in", path, "-text")
            assert run.returncode == 0, run.stderr
            return run.stdout.decode()

        def verify(self, reply: bytes, query: bytes) -> subprocess.CompletedProcess:
            return openssl(
                "ts",
                "-verify",
                "-in",
                self.write("resp.tsr", reply),
                "-queryfile",
                self.write("req.tsq", query),
                "-CAfile",
                self.root,
                "-untrusted",
                self.chain,
            )

        def write(self, name: str, content: bytes):
            path = tmp_path / name
            path.write_bytes(content)
            return path

    stamp = Stamp()
    stamp.root.write_text(der_to_pem(ca.root.certificate_der))
    stamp.chain.write_text(
        der_to_pem(ca.issuing.certificate_der) + der_to_pem(unit.certificate_der)
    )
    return stamp


def status_of(reply: bytes) -> tuple[str, set]:
    status = TimeStampResp.load(reply)["status"]
    return status["status"].native, status["fail_info"].native or set()


def tst_info(reply: bytes) -> tsp.TSTInfo:
    signed_data = TimeStampResp.load(reply)["time_stamp_token"]["content"]
    return signed_data["encap_content_info"]["content"].parsed


# --- answers verified by openssl -------------------------------------------------------------
def test_a_sha256_query_without_nonce_is_granted_and_verifies_against_the_root(stamp, settings):
    query = stamp.query(b"Van ban can dong dau thoi gian\n", "-sha256", "-cert", "-no_nonce")

    reply = stamp.post(query)

    text = stamp.text(reply)
    assert "Status: Granted." in text
    assert f"Policy OID: {settings.CA_TSA_POLICY_OID}" in text
    assert "Nonce: unspecified" in text
    assert "Accuracy: 0x01 seconds" in text
    assert "Ordering: no" in text
    assert "TSA: DirName:" in text  # openssl escapes the name's UTF-8
    assert tst_info(reply)["tsa"].chosen.native["common_name"] == settings.CA_TSA_NAME
    verified = stamp.verify(reply, query)
    assert b"Verification: OK" in verified.stdout, verified.stderr


def test_the_nonce_is_echoed_and_the_answer_verifies(stamp):
    query = stamp.query(b"Van ban co nonce\n", "-sha256", "-cert")
    nonce = tsp.TimeStampReq.load(query)["nonce"].native
    assert nonce is not None

    reply = stamp.post(query)

    assert tst_info(reply)["nonce"].native == nonce
    (printed,) = re.findall(r"^Nonce: 0x([0-9A-F]+)$", stamp.text(reply), re.M)
    assert int(printed, 16) == nonce
    verified = stamp.verify(reply, query)
    assert b"Verification: OK" in verified.stdout, verified.stderr


@pytest.mark.parametrize("algorithm", ["-sha384", "-sha512"])
def test_sha384_and_sha512_imprints_are_granted(stamp, algorithm):
    query = stamp.query(b"Du lieu\n", algorithm, "-cert")

    reply = stamp.post(query)

    verified = stamp.verify(reply, query)
    assert b"Verification: OK" in verified.stdout, verified.stderr


def test_the_answer_to_other_data_does_not_verify(stamp):
    asked = stamp.query(b"Du lieu A\n", "-sha256", "-cert")
    other = stamp.query(b"Du lieu B\n", "-sha256", "-cert")

    reply = stamp.post(asked)

    assert b"Verification: OK" in stamp.verify(reply, asked).stdout
    verified = stamp.verify(reply, other)
    assert verified.returncode != 0
    assert b"Verification: OK" not in verified.stdout


def test_the_certificate_is_in_the_token_only_when_asked_for(stamp):
    with_cert = TimeStampResp.load(stamp.post(stamp.query(b"x\n", "-sha256", "-cert")))
    without = TimeStampResp.load(stamp.post(stamp.query(b"x\n", "-sha256")))

    assert len(with_cert["time_stamp_token"]["content"]["certificates"]) == 1
    assert not without["time_stamp_token"]["content"]["certificates"].native


def test_the_token_names_its_certificate_in_signing_certificate_v2(stamp, unit):
    reply = stamp.post(stamp.query(b"x\n", "-sha256"))

    signer = TimeStampResp.load(reply)["time_stamp_token"]["content"]["signer_infos"][0]
    attributes = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attributes["content_type"].native == "tst_info"
    ess = attributes["signing_certificate_v2"]["certs"][0]
    assert ess["hash_algorithm"]["algorithm"].native == "sha256"
    assert ess["cert_hash"].native == hashlib.sha256(bytes(unit.certificate_der)).digest()


# --- rejections ----------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["-md5", "-sha1"])
def test_weak_hashes_are_rejected_with_bad_alg(stamp, algorithm):
    reply = stamp.post(stamp.query(b"x\n", algorithm, "-cert"))

    assert status_of(reply) == ("rejection", {"bad_alg"})
    assert "Status: Rejected." in stamp.text(reply)
    assert not Timestamp.objects.exists()


def test_garbage_gets_400_and_a_parseable_bad_data_format_rejection(stamp):
    reply = stamp.post(b"\x30\x03\x02\x01\x01 khong phai yeu cau", status=400)

    assert status_of(reply) == ("rejection", {"bad_data_format"})
    assert "Status: Rejected." in stamp.text(reply)


def test_the_wrong_content_type_gets_400_and_a_rejection(stamp):
    query = stamp.query(b"x\n", "-sha256")

    reply = stamp.post(query, content_type="application/octet-stream", status=400)

    assert status_of(reply) == ("rejection", {"bad_data_format"})
    assert not Timestamp.objects.exists()


def test_an_oversized_body_gets_400_and_a_rejection(stamp):
    reply = stamp.post(b"\x30" * 10_000, status=400)

    assert status_of(reply) == ("rejection", {"bad_data_format"})


def test_get_is_not_allowed(client, ca):
    assert client.get(reverse("certificates:tsa")).status_code == 405


def test_another_policy_is_rejected(stamp):
    query = stamp.query(b"x\n", "-sha256", "-tspolicy", "1.2.3.4.5")

    assert status_of(stamp.post(query)) == ("rejection", {"unaccepted_policy"})


# --- the record ----------------------------------------------------------------------------
def test_every_answer_is_recorded_and_serials_are_unique(stamp, settings):
    queries = [stamp.query(f"van ban {i}\n".encode(), "-sha256") for i in range(25)]

    serials = [tst_info(stamp.post(query))["serial_number"].native for query in queries]
    stamp.post(stamp.query(b"x\n", "-sha1"))  # a rejection: no token, one event

    assert len(set(serials)) == 25
    rows = Timestamp.objects.order_by("serial")
    assert sorted(serials) == [row.serial for row in rows]
    last = rows.last()
    assert last.policy == settings.CA_TSA_POLICY_OID
    assert last.hash_algorithm == "sha256"
    assert last.message_imprint == hashlib.sha256(b"van ban 24\n").hexdigest()
    assert last.nonce == format(tsp.TimeStampReq.load(queries[-1])["nonce"].native, "x")
    events = SigningEvent.objects.filter(kind=SigningEventKind.TSA)
    assert events.filter(outcome=SigningOutcome.OK).count() == 25
    assert events.filter(outcome=SigningOutcome.INVALID).count() == 1


def test_a_query_without_nonce_keeps_no_nonce(stamp):
    stamp.post(stamp.query(b"x\n", "-sha256", "-no_nonce"))

    assert Timestamp.objects.get().nonce == ""


# --- the TSA's certificate and key ---------------------------------------------------------
def test_the_tsa_certificate_has_only_the_critical_time_stamping_usage(ca, unit):
    certificate = x509.load_der_x509_certificate(bytes(unit.certificate_der))

    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issuing = x509.load_der_x509_certificate(bytes(ca.issuing.certificate_der))
    certificate.verify_directly_issued_by(issuing)
    assert unit.issuer_id == ca.issuing.pk
    assert unit.not_after <= ca.issuing.not_after


def test_the_tsa_key_is_generated_on_the_ca_token_never_extractable(ca, unit):
    assert unit.token_serial == ca.root.token_serial == ca_token_serial()
    assert unit.private_key_pem is None
    session = pkcs11.shared_session(unit.token_serial, user_pin=hsm_pin())
    flags = pkcs11.private_key_flags(session, key_id=bytes.fromhex(unit.token_key_id))
    assert flags == NEVER_EXPORTED
    with pytest.raises(pkcs11.TokenError):
        load_timestamp_unit(unit).private_key.private_bytes()
    created = AuditEvent.objects.get(action="tsa.create", object_id=str(unit.pk))
    assert created.after["token_key_id"] == unit.token_key_id


def query_and_verify(tmp_path, client, unit) -> tuple[bytes, subprocess.CompletedProcess]:
    """A query posted to the TSA of `unit` and `openssl ts -verify` of its answer."""
    data = tmp_path / "data.txt"
    data.write_bytes(b"Van ban\n")
    query = openssl("ts", "-query", "-data", data, "-sha256", "-cert").stdout
    reply = client.post(reverse("certificates:tsa"), query, content_type=QUERY).content
    issuing = unit.issuer
    (tmp_path / "root.pem").write_text(der_to_pem(issuing.parent.certificate_der))
    (tmp_path / "chain.pem").write_text(
        der_to_pem(issuing.certificate_der) + der_to_pem(unit.certificate_der)
    )
    (tmp_path / "resp.tsr").write_bytes(reply)
    (tmp_path / "req.tsq").write_bytes(query)
    verified = openssl(
        "ts", "-verify", "-in", tmp_path / "resp.tsr", "-queryfile", tmp_path / "req.tsq",
        "-CAfile", tmp_path / "root.pem", "-untrusted", tmp_path / "chain.pem",
    )  # fmt: skip
    return reply, verified


def test_an_rsa_tsa_key_signs_pkcs1_tokens_that_verify(db, settings, tmp_path, client):
    settings.CA_TSA_KEY_ALGORITHM = "rsa2048"
    services.ca_initialize()
    unit = TimestampUnit.objects.get(is_active=True)
    public_key = x509.load_der_x509_certificate(bytes(unit.certificate_der)).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)

    reply, verified = query_and_verify(tmp_path, client, unit)

    signer = TimeStampResp.load(reply)["time_stamp_token"]["content"]["signer_infos"][0]
    assert signer["signature_algorithm"]["algorithm"].native == "sha256_rsa"
    assert b"Verification: OK" in verified.stdout, verified.stderr


def test_the_development_file_store_keeps_the_tsa_key_encrypted_and_signs(
    db, settings, tmp_path, client
):
    settings.CA_KEY_STORE = "file"
    services.ca_initialize()
    unit = TimestampUnit.objects.get(is_active=True)
    assert unit.token_serial == "" and unit.token_key_id == ""
    assert bytes(unit.private_key_pem).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    _reply, verified = query_and_verify(tmp_path, client, unit)

    assert b"Verification: OK" in verified.stdout, verified.stderr


def test_the_admin_shows_the_tsa_read_only_and_never_its_key(db, settings, client, cast):
    settings.CA_KEY_STORE = "file"
    services.ca_initialize()
    unit = TimestampUnit.objects.get(is_active=True)
    services.timestamp_respond(request_der=tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(b"x").digest(),
            },
        }
    ).dump())  # fmt: skip
    sign_in(client, cast.admin)

    pages = [
        reverse("admin:certificates_timestampunit_changelist"),
        reverse("admin:certificates_timestampunit_change", args=[unit.pk]),
        reverse("admin:certificates_timestamp_changelist"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert b"PRIVATE KEY" not in response.content
        assert bytes(unit.private_key_pem)[40:80] not in response.content
    assert client.post(pages[1], {"name": "x"}).status_code == 403


def test_a_token_refusing_its_pin_gets_a_system_failure_and_leaves_no_row(stamp, settings):
    query = stamp.query(b"x\n", "-sha256")
    serial = ca_token_serial()
    pkcs11.shared_session_close(serial)
    ca_keys._CACHE.clear()  # this process's loaded keys, as in a web process started anew
    settings.CA_HSM_PIN = "ma-pin-sai-cua-khe-hsm-ca"
    try:
        reply = stamp.post(query)
    finally:
        pkcs11.shared_session_close(serial)
        ca_keys._CACHE.clear()

    assert status_of(reply) == ("rejection", {"system_failure"})
    assert not Timestamp.objects.exists()
    assert SigningEvent.objects.get(kind=SigningEventKind.TSA).outcome == SigningOutcome.INVALID


def test_the_ceremony_on_an_existing_ca_without_a_tsa_makes_one(ca):
    TimestampUnit.objects.all().delete()
    out = StringIO()

    call_command("ca_init", stdout=out)

    assert TimestampUnit.objects.filter(is_active=True, issuer=ca.issuing).count() == 1
    assert "dấu thời gian" in out.getvalue()
    out = StringIO()
    call_command("ca_init", stdout=out)
    assert "không có gì thay đổi" in out.getvalue()
    assert TimestampUnit.objects.count() == 1


def test_rotation_issues_a_new_tsa_certificate_under_the_new_issuing_ca(ca, unit):
    (new_issuing,) = services.ca_initialize(rotate=True)

    new_unit = TimestampUnit.objects.get(is_active=True)
    old = TimestampUnit.objects.get(pk=unit.pk)
    assert new_unit.issuer_id == new_issuing.pk
    assert new_unit.token_key_id != old.token_key_id
    assert not old.is_active and old.retired_at is not None
    assert AuditEvent.objects.filter(action="tsa.retire", object_id=str(old.pk)).exists()


def test_ocsp_knows_the_tsa_certificate_as_good(ca, unit, client):
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(
            x509.load_der_x509_certificate(bytes(unit.certificate_der)),
            x509.load_der_x509_certificate(bytes(ca.issuing.certificate_der)),
            hashes.SHA256(),
        )
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    response = client.post(
        reverse("certificates:ocsp"), request, content_type="application/ocsp-request"
    )

    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD


# --- pyHanko -------------------------------------------------------------------------------
def test_pyhanko_accepts_the_token_for_its_digest(stamp, ca):
    data = b"Van ban ky so PAdES B-T\n"
    reply = stamp.post(stamp.query(data, "-sha256", "-cert"))
    signed_data = TimeStampResp.load(reply)["time_stamp_token"]["content"]
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(bytes(ca.root.certificate_der))],
        other_certs=[asn1_x509.Certificate.load(bytes(ca.issuing.certificate_der))],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )

    status = TimestampSignatureStatus(
        **run_outside_event_loop(
            validate_tst_signed_data(
                signed_data, context, lambda _alg: hashlib.sha256(data).digest()
            )
        )
    )

    assert status.intact and status.valid
    assert status.trusted and status.trust_problem_indic is None  # a path to the root
    assert status.timestamp == tst_info(reply)["gen_time"].native
    other = run_outside_event_loop(
        validate_tst_signed_data(signed_data, context, lambda _alg: hashlib.sha256(b"x").digest())
    )
    assert not other["intact"]


def test_the_daily_check_replaces_the_tsa_certificate_before_it_ends(ca, unit, settings):
    assert services.timestamp_unit_ensure() is None  # years left: nothing to do
    ending = timezone.now() + timedelta(days=settings.CA_TSA_RENEW_DAYS - 1)
    TimestampUnit.objects.filter(pk=unit.pk).update(not_after=ending)

    created = timestamp_unit_ensure_task()

    new_unit = TimestampUnit.objects.get(is_active=True)
    assert created == new_unit.pk != unit.pk and new_unit.not_after > ending
    assert timestamp_unit_ensure_task() is None  # run twice: one new unit


def test_a_tsa_certificate_ending_with_its_issuing_ca_is_not_replaced_every_day(ca, unit):
    ends = timezone.now() + timedelta(days=10)
    CertificateAuthority.objects.filter(pk=ca.issuing.pk).update(not_after=ends)
    TimestampUnit.objects.filter(pk=unit.pk).update(not_after=ends)

    assert timestamp_unit_ensure_task() is None
    assert TimestampUnit.objects.get(is_active=True).pk == unit.pk
