"""The simulated signer: PAdES B-B with the key of a simulated device (docs/ca.md).

The key comes from the CA backend through `certificate_signing_material` (decrypted with
CA_DEVICE_KEY_PASSPHRASE, each use audited); the signature embeds the signer's certificate and
its chain (issuing CA and root), so any PDF reader can build the path to the root.
No signature timestamp (B-T): the simulated CA runs no time-stamping authority, and a timestamp
by the portal itself would add no independent evidence of time.
"""

from __future__ import annotations

from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from certificates.backends.base import SigningMaterial
from certificates.choices import CertStatus
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.services import certificate_signing_material
from certificates.signing.appearance import stamp_style, stamp_text_params
from certificates.signing.base import Appearance, Signer
from certificates.signing.files import check_pdf_size
from certificates.signing.loops import outside_event_loop


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

    No check of the certificate's status here: that is the caller's (`SimulatedSigner.sign`).
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
        text_params = stamp_text_params(appearance, signed_at=signed_at)
        output = outside_event_loop(
            lambda: pdf_signer.sign_pdf(writer, appearance_text_params=text_params)
        )
    except Exception as exc:  # a PDF pyHanko cannot update: a refusal, never a 500
        raise CertificateError(
            _("Không ký được văn bản: tệp PDF không hợp lệ hoặc đã có chữ ký ở ô này."),
            code="sign_failed",
        ) from exc
    return output.getvalue()


class SimulatedSigner(Signer):
    """Signs with the private key the simulated device holds for `certificate`."""

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
                _("Chứng thư số này không còn hiệu lực: không thể dùng để ký."),
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
