"""The OCSP responder (RFC 6960): GET and POST, checked with cryptography and `openssl ocsp`."""

import base64
import os
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509 import ocsp
from django.urls import reverse

from certificates import services
from certificates.choices import RevocationReason
from certificates.pem import der_to_pem
from tests.certificates.ocsp_requests import (
    CERT_ID_HASH,
    OCSP_REQUEST,
    issuer_x509,
    post,
    request_for,
)
from tests.certificates.relying_party import openssl

pytestmark = pytest.mark.django_db


def test_a_valid_certificate_is_good(issue, client):
    certificate = issue()

    answer = post(client, request_for(certificate))

    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == int(certificate.serial, 16)
    issuer = issuer_x509(certificate)
    issuer_key = issuer.public_key()
    if isinstance(issuer_key, ec.EllipticCurvePublicKey):
        issuer_key.verify(
            answer.signature, answer.tbs_response_bytes, ec.ECDSA(answer.signature_hash_algorithm)
        )
    else:
        issuer_key.verify(
            answer.signature,
            answer.tbs_response_bytes,
            padding.PKCS1v15(),
            answer.signature_hash_algorithm,
        )
    assert (
        answer.responder_key_hash
        == x509.SubjectKeyIdentifier.from_public_key(issuer.public_key()).digest
    )


def test_a_revoked_certificate_is_revoked_with_time_and_reason(issue, cast, client):
    certificate = issue()
    services.certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.DEVICE_LOST
    )
    certificate.refresh_from_db()

    answer = post(client, request_for(certificate, algorithm=hashes.SHA256()))

    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.key_compromise
    assert answer.revocation_time_utc == certificate.revoked_at.replace(microsecond=0)


def test_a_superseded_certificate_is_revoked_as_superseded(issue, cast, client):
    certificate = issue()
    services.certificate_change_info(certificate=certificate, by=cast.officer_1, common_name="Mới")

    answer = post(client, request_for(certificate))

    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.superseded


def test_an_unknown_serial_is_unknown(issue, client):
    certificate = issue()
    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            *_issuer_hashes(certificate), serial_number=12345, algorithm=CERT_ID_HASH
        )
        .build()
        .public_bytes(serialization.Encoding.DER)
    )

    assert post(client, body).certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def _issuer_hashes(certificate):
    request = ocsp.load_der_ocsp_request(request_for(certificate))
    return request.issuer_name_hash, request.issuer_key_hash


def test_the_nonce_is_echoed(issue, client):
    nonce = os.urandom(16)

    answer = post(client, request_for(issue(), nonce=nonce))

    assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce


def test_get_takes_the_base64_request_in_the_path(issue, client):
    certificate = issue()
    encoded = quote(base64.b64encode(request_for(certificate)).decode(), safe="")

    response = client.get(f"/ca/ocsp/{encoded}")

    assert response.status_code == 200
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_garbage_gets_a_malformed_request_status(ca, client):
    assert post(client, b"not an OCSP request").response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    bad_get = client.get("/ca/ocsp/%%%not-base64")
    assert ocsp.load_der_ocsp_response(bad_get.content).response_status == (
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_a_request_for_another_ca_is_unauthorized(ca, client):
    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(b"\0" * 20, b"\1" * 20, 1, CERT_ID_HASH)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )

    assert post(client, body).response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_the_root_answers_for_the_issuing_ca(ca, client):
    issuing = x509.load_der_x509_certificate(bytes(ca.issuing.certificate_der))
    root = x509.load_der_x509_certificate(bytes(ca.root.certificate_der))
    body = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(issuing, root, CERT_ID_HASH)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )

    answer = post(client, body)

    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.certificates[0] == root


def test_openssl_checks_a_response_posted_through_the_client(issue, cast, client, files):
    good, revoked = issue(), issue()
    services.certificate_revoke(
        certificate=revoked, by=cast.ca_operator, reason=RevocationReason.KEY_COMPROMISE
    )
    root, intermediates = files.split_chain()
    for certificate, expected in ((good, "good"), (revoked, "revoked")):
        leaf = files.certificate(certificate)
        request_path = files.directory / f"{certificate.serial}.req"
        made = openssl(
            "ocsp", "-issuer", intermediates, "-cert", leaf, "-reqout", request_path, "-no_nonce"
        )
        assert made.returncode == 0, made.stderr
        response = client.post(
            reverse("certificates:ocsp"), request_path.read_bytes(), content_type=OCSP_REQUEST
        )
        response_path = files.write(f"{certificate.serial}.resp", response.content)

        result = openssl(
            "ocsp", "-respin", response_path, "-issuer", intermediates, "-cert", leaf,
            "-CAfile", root, "-no_nonce",
        )  # fmt: skip

        output = (result.stdout + result.stderr).decode()
        assert result.returncode == 0, output
        assert "Response verify OK" in output
        assert f"{leaf}: {expected}" in output
        if expected == "revoked":
            assert "Reason: keyCompromise" in output


@pytest.mark.django_db(transaction=True)
def test_openssl_ocsp_queries_the_live_responder(live_server, cast, tmp_path):
    # A transactional test: the live server thread must see the committed CA and certificate.
    services.ca_initialize()
    certificate = services.certificate_issue(
        subject_kind="person", agency=cast.agency_a, person=cast.subscriber, by=cast.ca_operator
    )
    chain = services.ca_chain_pem().split("-----END CERTIFICATE-----\n")
    issuing = tmp_path / "issuing.pem"
    issuing.write_text(chain[0] + "-----END CERTIFICATE-----\n")
    root = tmp_path / "root.pem"
    root.write_text(chain[1] + "-----END CERTIFICATE-----\n")
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(der_to_pem(certificate.der))

    result = openssl(
        "ocsp", "-url", f"{live_server.url}/ca/ocsp", "-issuer", issuing, "-cert", leaf,
        "-CAfile", root,
    )  # fmt: skip

    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, output
    assert "Response verify OK" in output  # nonce sent by openssl and echoed
    assert f"{leaf}: good" in output
