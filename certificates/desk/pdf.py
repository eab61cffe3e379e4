"""pyHanko's interrupted signing for the signer's desk (docs/ca.md, "Signing at the signer's
desk"): prepare the PDF with a reserved signature placeholder and compute the CMS signed
attributes, whose SHA-256 the signer's token signs; later embed the returned signature value.

Pure functions over bytes: no database here (`run_outside_event_loop` may run them in a thread).

The documents are PDF/A-3b (docs/documents.md §8) and a signature is an incremental update
that keeps their objects: the XMP packet, the output intent, the embedded fonts (the stamps'
font is embedded too, certificates/signing/appearance.py). pyHanko rewrites the XMP packet with
the update's date and itself as its producer (`pdf:Producer`), but adds itself to the document
information's /Producer after the renderer's name; PDF/A wants both to say the same, so
`keep_pdfa_metadata` makes the information's producer pyHanko's before pyHanko writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certificates.exceptions import CertificateError
from certificates.signing.appearance import stamp_style, stamp_text_params
from certificates.signing.base import Appearance
from certificates.signing.files import keep_pdfa_metadata
from portal.lib.loops import run_outside_event_loop

DIGEST_ALGORITHM = "sha256"
# Room in the placeholder for the signature time-stamp token (PAdES B-T) beyond the CMS
# itself: the token's TSTInfo, its signer info and the TSA's certificate, with a margin.
TIMESTAMP_ROOM = 8192
CMS_ROOM = 4096  # signed attributes, signature value, structure


class SignatureTimestamp(TimeStamper):
    """The signature time-stamp token, obtained from the portal's TSA before pyHanko asks for
    it (the TSA writes to the database, which cannot be reached from inside pyHanko's event
    loop): pyHanko embeds it as the signature's unsigned attribute, after checking that it
    stamps this very signature value."""

    def __init__(self, *, imprint: bytes, token: cms.ContentInfo):
        super().__init__(include_nonce=False)
        self._imprint = imprint
        self._token = token

    async def async_timestamp(self, message_digest, md_algorithm) -> cms.ContentInfo:
        if md_algorithm != DIGEST_ALGORITHM or message_digest != self._imprint:
            raise CertificateError(
                _("Dấu thời gian không khớp với chữ ký: không nhận."), code="timestamp_mismatch"
            )
        return self._token


def signature_imprint(signature: bytes) -> bytes:
    """What a signature time-stamp stamps: the hash of the signature value (RFC 3161 over
    SignerInfo.signature, ETSI EN 319 122-1)."""
    return hashlib.new(DIGEST_ALGORITHM, signature).digest()


def _reserved(certificate_der: bytes, chain_der: list[bytes]) -> int:
    """Bytes reserved for the CMS: the certificates it embeds, its own structure and the
    time-stamp token."""
    size = len(certificate_der) + sum(len(der) for der in chain_der) + CMS_ROOM + TIMESTAMP_ROOM
    return size + size % 2  # pyHanko wants an even count


@dataclass(frozen=True)
class Prepared:
    """What the portal keeps between the two halves of an interrupted signature."""

    pdf: bytes  # the output with the zeroed /Contents placeholder
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attrs_der: bytes

    @property
    def digest(self) -> bytes:
        """What the token signs: SHA-256 of the DER of the signed attributes."""
        return hashlib.sha256(self.signed_attrs_der).digest()


def _placeholder_size(certificate_der: bytes) -> int:
    """A signature value of the key's size, for pyHanko's estimate of the CMS size."""
    key = x509.load_der_x509_certificate(certificate_der).public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return (key.key_size + 7) // 8
    if isinstance(key, ec.EllipticCurvePublicKey):
        return 2 * ((key.curve.key_size + 7) // 8) + 9  # DER (r, s) at its longest
    raise CertificateError(_("Loại khóa của chứng thư không được hỗ trợ."), code="bad_key")


def _external_signer(certificate_der: bytes, chain_der: list[bytes], value) -> signers.Signer:
    return signers.ExternalSigner(
        signing_cert=asn1_x509.Certificate.load(certificate_der),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(der) for der in chain_der]
        ),
        signature_value=value,
        embed_roots=True,
    )


def prepare_pdf(
    pdf: bytes,
    *,
    certificate_der: bytes,
    chain_der: list[bytes],
    field_name: str,
    appearance: Appearance,
    reason: str = "",
    location: str = "",
) -> Prepared:
    """`pdf` with a new visible signature field `field_name` whose /Contents is reserved, and
    the PAdES signed attributes over its byte range (raises `CertificateError` when pyHanko
    cannot update the PDF)."""
    signer = _external_signer(certificate_der, chain_der, _placeholder_size(certificate_der))
    position = appearance.position
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST_ALGORITHM,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason or None,
            location=location or None,
        ),
        signer=signer,
        stamp_style=stamp_style(appearance),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name, on_page=position.page, box=position.box
        ),
    )
    text_params = stamp_text_params(appearance, signed_at=timezone.now())

    async def run():
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        keep_pdfa_metadata(writer)
        digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer,
            appearance_text_params=text_params,
            bytes_reserved=_reserved(certificate_der, chain_der),
        )
        attrs = await signer.signed_attrs(digest.document_digest, DIGEST_ALGORITHM, use_pades=True)
        return digest, output.getvalue(), attrs.dump()

    try:
        digest, prepared, attrs_der = run_outside_event_loop(run())
    except CertificateError:
        raise
    except Exception as exc:  # a PDF pyHanko cannot update: a refusal, never a 500
        raise CertificateError(
            _("Không ký được văn bản: tệp PDF không hợp lệ hoặc đã có chữ ký ở ô này."),
            code="sign_failed",
        ) from exc
    return Prepared(
        pdf=prepared,
        document_digest=digest.document_digest,
        reserved_start=digest.reserved_region_start,
        reserved_end=digest.reserved_region_end,
        signed_attrs_der=attrs_der,
    )


def signature_verifies(
    *, certificate_der: bytes, signed_attrs_der: bytes, signature: bytes
) -> bool:
    """Whether `signature` is the key of `certificate_der` signing these signed attributes
    (RSASSA-PKCS1-v1_5 or ECDSA with SHA-256, as the signing client makes it)."""
    key = x509.load_der_x509_certificate(certificate_der).public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_attrs_der, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_attrs_der, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def finish_pdf(
    prepared: Prepared,
    *,
    certificate_der: bytes,
    chain_der: list[bytes],
    signature: bytes,
    timestamp: cms.ContentInfo | None = None,
) -> bytes:
    """The prepared PDF with the CMS around `signature` (already checked) in its placeholder,
    with `timestamp` (a token over `signature_imprint(signature)`) as its signature time-stamp
    when given (PAdES B-T)."""
    signer = _external_signer(certificate_der, chain_der, signature)
    digest = PreparedByteRangeDigest(
        document_digest=prepared.document_digest,
        reserved_region_start=prepared.reserved_start,
        reserved_region_end=prepared.reserved_end,
    )

    async def run():
        signed_attrs = cms.CMSAttributes.load(prepared.signed_attrs_der)
        signature_cms = await signer.async_sign_prescribed_attributes(
            DIGEST_ALGORITHM,
            signed_attrs=signed_attrs,
            timestamper=(
                SignatureTimestamp(imprint=signature_imprint(signature), token=timestamp)
                if timestamp is not None
                else None
            ),
        )
        output = BytesIO(prepared.pdf)
        await PdfTBSDocument.async_finish_signing(
            output, prepared_digest=digest, signature_cms=signature_cms
        )
        return output.getvalue()

    return run_outside_event_loop(run())
