"""What an official's own signing software does OUTSIDE the portal, for the tests: PAdES B-B
over a whole PDF with the key of a certificate, then uploaded (docs/domain.md §9). The portal
itself never signs for anyone (docs/ca.md, "Signing at the signer's desk").

The key is the simulated CA's, from `certificate_signing_material` (the software key store the
suite runs with); the signature embeds the signer's certificate and its chain, and its visible
stamp is the portal's own (`certificates.signing.appearance`), as the signing plug-ins the
agencies use draw theirs."""

from __future__ import annotations

from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from certificates.backends.base import SigningMaterial
from certificates.choices import CertStatus
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.services import certificate_signing_material
from certificates.signing.appearance import signature_position, stamp_style, stamp_text_params
from certificates.signing.base import Appearance, Position
from certificates.signing.files import check_pdf_size, keep_pdfa_metadata
from certificates.signing.seal import (
    SEAL_FIELD,
    SIGNATURE_FIELD,
    SigningPair,
    personal_signing_certificate,
    seal_certificate,
    signature_appearance,
)
from portal.lib.loops import outside_event_loop


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, signing with the key object already decrypted instead of
    parsing its DER (and re-checking the RSA key) for every raw signature."""

    def __init__(self, *, private_key, **kwargs):
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, asym_padding.PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)


def pyhanko_signer(material: SigningMaterial) -> signers.SimpleSigner:
    """A pyHanko signer over a key in memory, with the chain to embed."""
    key_der = material.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _LoadedKeySigner(
        private_key=material.private_key,
        signing_cert=asn1_x509.Certificate.load(material.certificate_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(der) for der in material.chain_der]
        ),
        embed_roots=True,
    )


def sign_with_material(
    pdf: bytes,
    *,
    material: SigningMaterial,
    field_name: str,
    appearance: Appearance,
    reason: str = "",
    location: str = "",
) -> bytes:
    """Add one visible PAdES B-B signature made with `material` as an incremental update.

    No check of the certificate's status here: that is the caller's (`OutsideSigner.sign`).
    """
    check_pdf_size(pdf)
    signed_at = timezone.now()
    position = appearance.position
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason or None,
            location=location or None,
        ),
        signer=pyhanko_signer(material),
        stamp_style=stamp_style(appearance),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name, on_page=position.page, box=position.box
        ),
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        keep_pdfa_metadata(writer)  # a PDF/A document stays one, as at the desk
        text_params = stamp_text_params(appearance, signed_at=signed_at)
        output = outside_event_loop(
            lambda: pdf_signer.sign_pdf(writer, appearance_text_params=text_params)
        )
    except Exception as exc:  # a PDF pyHanko cannot update: a refusal, never a 500
        raise CertificateError(
            "Không ký được văn bản: tệp PDF không hợp lệ hoặc đã có chữ ký ở ô này.",
            code="sign_failed",
        ) from exc
    return output.getvalue()


class OutsideSigner:
    """Signs with the private key the simulated device holds for `certificate`, as the
    holder's own software would; refuses a certificate no longer valid."""

    def sign(
        self,
        pdf: bytes,
        *,
        certificate,
        field_name: str,
        appearance: Appearance,
        reason: str = "",
        location: str = "",
        by=None,
    ) -> bytes:
        # The registry's state now, not the caller's copy: a certificate revoked meanwhile
        # must not sign.
        now = timezone.now()
        if not (
            Certificate.objects.filter(pk=certificate.pk, not_before__lte=now, not_after__gt=now)
            .filter(status=CertStatus.VALID)
            .exists()
        ):
            raise CertificateError(
                "Chứng thư số này không còn hiệu lực: không thể dùng để ký.",
                code="not_valid",
            )
        check_pdf_size(pdf)
        material = certificate_signing_material(certificate=certificate, by=by)
        return sign_with_material(
            pdf,
            material=material,
            field_name=field_name,
            appearance=appearance,
            reason=reason,
            location=location,
        )


def signing_pair(*, user, agency, seal_required: bool = True) -> SigningPair:
    """`user`'s personal certificate and `agency`'s seal, or a `CertificateError` naming the
    missing one."""
    personal = personal_signing_certificate(user)
    if personal is None:
        raise CertificateError("Chưa có chứng thư số cá nhân.", code="no_personal_certificate")
    seal = seal_certificate(agency)
    if seal is None and seal_required:
        raise CertificateError("Chưa có chứng thư số cơ quan.", code="no_seal_certificate")
    return SigningPair(personal=personal, seal=seal)


def sign_and_seal(
    pdf: bytes,
    *,
    pair: SigningPair,
    agency_name: str,
    by,
    reason: str,
    location: str = "",
    position: Position | None = None,
) -> bytes:
    """`pdf` with the head's signature, then the agency's seal over its left third: two PAdES
    signatures, each an incremental update, so the first stays verifiable (one when the pair
    has no seal)."""
    position = position or signature_position(pdf)
    signer = OutsideSigner()
    signed = signer.sign(
        pdf,
        certificate=pair.personal,
        field_name=SIGNATURE_FIELD,
        appearance=signature_appearance(position, pair.personal, agency_name=agency_name),
        reason=reason,
        location=location,
        by=by,
    )
    if pair.seal is None:
        return signed
    return signer.sign(
        signed,
        certificate=pair.seal,
        field_name=SEAL_FIELD,
        appearance=Appearance.seal(position, agency=agency_name),
        reason="Đóng dấu cơ quan",
        location=location,
        by=by,
    )
