"""OCSP requests as a relying party builds them, for the tests that ask the responder
(tests/certificates/test_ocsp.py and others)."""

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.urls import reverse

from certificates.models import Certificate

OCSP_REQUEST = "application/ocsp-request"
# What clients put in OCSP CertIDs (RFC 5019 §2.1.1); only a lookup key, not a signature.
CERT_ID_HASH = hashes.SHA1()  # noqa: S303


def as_x509(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.der))


def issuer_x509(certificate: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(certificate.issuer.certificate_der))


def request_for(certificate: Certificate, *, algorithm=None, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        as_x509(certificate), issuer_x509(certificate), algorithm or CERT_ID_HASH
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def post(client, body: bytes) -> ocsp.OCSPResponse:
    response = client.post(reverse("certificates:ocsp"), body, content_type=OCSP_REQUEST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)
