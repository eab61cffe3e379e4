"""Long-term signatures for the documents the portal keeps (docs/ca.md, "Long-term
signatures"): the validation data of every signature and a document time-stamp of the portal's
own time-stamping authority, added to a signed PDF (`certificates.signing.archive`)."""

from __future__ import annotations

from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from certificates.models import CertificateAuthority
from certificates.services.publication import crl_current, ocsp_respond
from certificates.services.timestamps import timestamp_token
from certificates.signing.archive import ArchiveExtended, archive_extend, signing_certificates
from certificates.signing.context import ValidationMaterial, validation_material

# What OCSP requests name a certificate by (RFC 5019 §2.1.1): a lookup key, not a signature.
CERT_ID_HASH = hashes.SHA1()  # noqa: S303


def _crls_current() -> None:
    """Every CA still in use has a CRL that has not lapsed (a validator would refuse one)."""
    for authority in CertificateAuthority.objects.public().publishing_crls():
        crl_current(authority=authority)


def _ocsp_answers(pdf: bytes, material: ValidationMaterial) -> list[asn1_ocsp.OCSPResponse]:
    """The CA's own OCSP answer (asked in process) for every signer of `pdf` whose issuer is
    one of the portal's CAs; a signer of another CA gets none (its chain fails anyway)."""
    issuers = {c.subject.dump(): c for c in (*material.intermediates, *material.roots)}
    answers = []
    for certificate in signing_certificates(pdf):
        issuer = issuers.get(certificate.issuer.dump())
        if issuer is None:
            continue
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(
                x509.load_der_x509_certificate(certificate.dump()),
                x509.load_der_x509_certificate(issuer.dump()),
                CERT_ID_HASH,
            )
            .build()
        )
        answer = asn1_ocsp.OCSPResponse.load(
            ocsp_respond(request_der=request.public_bytes(serialization.Encoding.DER))
        )
        if answer["response_status"].native == "successful":
            answers.append(answer)
    return answers


def document_archive_extend(*, pdf: bytes) -> ArchiveExtended:
    """`pdf` as B-LTA: the DSS (chains and each CA's newest CRL, published first when it has
    lapsed) and a document time-stamp. Raises `CertificateError` (nothing written) when a
    chain cannot be shown unrevoked or the authority grants no token."""
    _crls_current()
    material = validation_material()
    return archive_extend(
        pdf,
        material=material,
        stamp=lambda digest: timestamp_token(digest=digest),
        ocsps=_ocsp_answers(pdf, material),
    )
