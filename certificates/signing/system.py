"""The portal's own seal on the PDFs it hands out in its own name (a person's export of their
own data, docs/privacy.md): a PAdES signature made server-side with the portal's system
certificate, whose key stays on the PKCS#11 token named by the PORTAL_SYSTEM_SIGNING_*
settings (as the edXML status messages are signed with the exchange token,
exchange/edxml/signer.py). No private key on the server's disk: the token signs with
C_Sign. Every other document is signed at its signer's desk (docs/ca.md).

No token configured: `system_signer_configured()` is False and callers refuse the document
rather than hand it out unsigned.
"""

from __future__ import annotations

from io import BytesIO

from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from certificates.exceptions import CertificateError
from certificates.signing.detached import KeySigner
from certificates.signing.files import keep_pdfa_metadata
from certificates.signing.verify import portal_certificate
from portal.lib import pkcs11
from portal.lib.loops import run_outside_event_loop

FIELD_NAME = "DauHeThong"


def system_signer_configured() -> bool:
    return bool(settings.PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL)


def _unavailable(why: str) -> CertificateError:
    return CertificateError(
        _(
            "Không ký được tệp PDF bằng chứng thư của hệ thống (%(why)s): hãy kiểm tra thiết bị "
            "ký khai báo ở PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL."
        )
        % {"why": why},
        code="system_signer_unavailable",
    )


def _chain(certificate_der: bytes) -> tuple[bytes, ...]:
    """The issuing CAs of the system certificate, from the registry (none when the registry
    does not hold it): embedded so that a verifier can build the path to the root."""
    certificate = portal_certificate(asn1_x509.Certificate.load(certificate_der))
    chain, authority = [], certificate.issuer if certificate is not None else None
    while authority is not None:
        chain.append(bytes(authority.certificate_der))
        authority = authority.parent
    return tuple(chain)


def system_sign_pdf(pdf: bytes, *, reason: str, location: str = "") -> bytes:
    """`pdf` with the portal's invisible PAdES signature (B-B) made on the system token;
    a `CertificateError` when no token is configured or it cannot sign."""
    serial = settings.PORTAL_SYSTEM_SIGNING_TOKEN_SERIAL
    if not serial:
        raise _unavailable(_("chưa khai báo thiết bị ký"))
    try:
        key_id = bytes.fromhex(settings.PORTAL_SYSTEM_SIGNING_KEY_ID)
    except ValueError:
        raise _unavailable("PORTAL_SYSTEM_SIGNING_KEY_ID") from None
    try:
        with pkcs11.session(serial, user_pin=settings.PORTAL_SYSTEM_SIGNING_PIN) as session:
            certified = pkcs11.certified_signing_key(session, key_id=key_id)
            if certified is None:
                raise _unavailable(_("thiết bị không có chứng thư của khóa"))
            key, certificate_der = certified
            signer = KeySigner(key, certificate_der, _chain(certificate_der))
            pdf_signer = signers.PdfSigner(
                signers.PdfSignatureMetadata(
                    field_name=FIELD_NAME,
                    md_algorithm="sha256",
                    subfilter=fields.SigSeedSubFilter.PADES,
                    reason=reason or None,
                    location=location or None,
                ),
                signer=signer,
            )

            async def run():
                writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
                keep_pdfa_metadata(writer)
                output = await pdf_signer.async_sign_pdf(writer)
                return output.getvalue()

            return run_outside_event_loop(run())
    except pkcs11.TokenError as error:
        raise _unavailable(error.code) from error
