"""Detached CMS signatures over bytes that are not a PDF: the edXML status messages a portal
sends back about a letter it received (docs/exchange.md, "Signed status messages").

Made with pyHanko's CMS builder (signing time, content digest and the signer's certificate as
signed attributes) over a key that signs on its PKCS#11 token; verified with pyHanko against
the portal's trust material (the roots, CAs and CRLs of `validation_material`, nothing fetched),
then against the registry: which certificate signed, whether it is an organisation's or a
system's, whose, and whether it was revoked before it signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator.registry import SimpleCertificateStore

from certificates.choices import SubjectKind
from certificates.models import Certificate
from certificates.signing.context import validation_context, validation_material
from certificates.signing.verify import KEY_AT_RISK, certificate_revoked_at, portal_certificate
from portal.lib.loops import run_outside_event_loop

# The certificates that may speak for an organisation in a message between systems: its seal
# (Mẫu 02) or a certificate of one of its systems (Mẫu 03), never a person's.
ORGANISATION_KINDS = frozenset({SubjectKind.ORGANIZATION, SubjectKind.DEVICE_SERVICE})
# How far ahead of our clock a signer's stated time may be.
CLOCK_SKEW = timedelta(minutes=5)
# A CMS structure bigger than this is not a status message's signature.
MAX_SIGNATURE_BYTES = 64 * 1024


class KeySigner(signers.Signer):
    """pyHanko's signer over a `cryptography` private key object: a token's key
    (portal.lib.pkcs11.signing_key) signs with C_Sign and never leaves the token."""

    def __init__(self, key, certificate_der: bytes, chain_der: tuple[bytes, ...] = ()):
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(certificate_der),
            cert_registry=SimpleCertificateStore.from_certs(
                [asn1_x509.Certificate.load(der) for der in chain_der]
            ),
            embed_roots=False,
        )
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[digest_algorithm]
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), algorithm)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(algorithm))
        raise TypeError(f"unsupported key {type(self._key).__name__}")


def sign_detached(
    data: bytes, *, key, certificate_der: bytes, chain_der: tuple[bytes, ...] = ()
) -> bytes:
    """A detached CMS SignedData (DER) over `data`, made with `key` and its certificate: the
    content's digest, the signing time and the signer's certificate (CAdES-BES's
    signing-certificate-v2) as signed attributes."""
    signer = KeySigner(key, certificate_der, chain_der)
    content_info = run_outside_event_loop(
        signer.async_sign_general_data(
            data,
            "sha256",
            detached=True,
            use_cades=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=timezone.now()),
        )
    )
    return content_info.dump()


@dataclass(frozen=True)
class DetachedReport:
    """What a detached signature says about `data`, and why it cannot be relied on."""

    signer_name: str = ""
    signer_serial: str = ""
    signing_time: datetime | None = None
    certificate: Certificate | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _signed_data(signature_der: bytes) -> cms.SignedData | None:
    if not signature_der or len(signature_der) > MAX_SIGNATURE_BYTES:
        return None
    try:
        content_info = cms.ContentInfo.load(signature_der)
        if content_info["content_type"].native != "signed_data":
            return None
        signed_data = content_info["content"]
        signed_data.native  # noqa: B018 - asn1crypto parses lazily: fail here
    except (ValueError, TypeError, KeyError):
        return None
    return signed_data


def verify_detached(data: bytes, signature_der: bytes, *, organization) -> DetachedReport:
    """Whether `signature_der` is a valid signature over `data` by a certificate that speaks
    for `organization`: intact, chaining to a trust root, in the registry as that
    organisation's seal or system certificate, not revoked before it signed."""
    signed_data = _signed_data(signature_der)
    if signed_data is None:
        return DetachedReport(problems=(_("Chữ ký không đọc được"),))
    context = validation_context(validation_material(), revocation=False)
    try:
        status = run_outside_event_loop(
            async_validate_detached_cms(data, signed_data, signer_validation_context=context)
        )
    except Exception:  # hostile input: a malformed signature is "unreadable", never a 500
        return DetachedReport(problems=(_("Chữ ký không đọc được"),))
    signer_cert = status.signing_cert
    certificate = portal_certificate(signer_cert)
    signing_time = status.signer_reported_dt
    problems = []
    if not (status.intact and status.valid):
        problems.append(_("Chữ ký bị sửa đổi"))
    if not status.trusted:
        problems.append(_("Chứng thư người ký không chuỗi về CA gốc tin cậy"))
    if signing_time is None or signing_time > timezone.now() + CLOCK_SKEW:
        problems.append(_("Thời điểm ký không hợp lệ"))
    if certificate is None:
        problems.append(_("Chứng thư ký không có trong sổ đăng ký chứng thư số của hệ thống"))
    else:
        if certificate.subject_kind not in ORGANISATION_KINDS:
            problems.append(
                _("Chứng thư ký không phải của cơ quan hoặc hệ thống thông tin của cơ quan")
            )
        if organization.pk not in (certificate.agency_id, certificate.subject_organization_id):
            problems.append(_("Người ký không thuộc cơ quan"))
        revoked_at = certificate_revoked_at(certificate)
        # The stated time is the signer's own: after a revocation for a key that may be in
        # other hands, no stated time is believed.
        if revoked_at is not None and (
            signing_time is None
            or revoked_at <= signing_time
            or certificate.revocation_reason in KEY_AT_RISK
        ):
            problems.append(_("Chứng thư người ký đã bị thu hồi trước thời điểm ký"))
    return DetachedReport(
        signer_name=signer_cert.subject.native.get("common_name", "") or "",
        signer_serial=f"{signer_cert.serial_number:X}",
        signing_time=signing_time,
        certificate=certificate,
        problems=tuple(problems),
    )
