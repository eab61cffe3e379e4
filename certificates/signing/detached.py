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

from certificates.choices import RevocationReason, SubjectKind
from certificates.models import Certificate
from certificates.signing.context import validation_context, validation_material
from certificates.signing.verify import certificate_revoked_at, portal_certificate
from portal.lib.loops import run_outside_event_loop

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
    except Exception:  # hostile input: anything asn1crypto cannot read is "unreadable"
        return None
    return signed_data


def speaks_for(certificate: Certificate, organization) -> bool:
    """Whether `certificate` may speak for `organization` between systems: its own seal (an
    organisation certificate whose subject is that organisation, not a unit it manages), or
    a certificate of one of its own systems (Mẫu 03, managed by it, naming no other unit);
    never a person's."""
    if certificate.subject_kind == SubjectKind.ORGANIZATION:
        return certificate.subject_organization_id == organization.pk
    if certificate.subject_kind == SubjectKind.DEVICE_SERVICE:
        return certificate.agency_id == organization.pk and certificate.subject_organization_id in (
            None,
            organization.pk,
        )
    return False


def _revocation_problem(certificate: Certificate, signing_time: datetime | None) -> str:
    """Why a revocation of the signer's certificate makes its stated time worthless: any
    revocation at or before it, and any but a supersession (a renewal, a change of
    information) after it, since the time is the signer's own word."""
    revoked_at = certificate_revoked_at(certificate)
    if revoked_at is None:
        return ""
    if (
        signing_time is not None
        and revoked_at > signing_time
        and certificate.revocation_reason == RevocationReason.SUPERSEDED
    ):
        return ""
    return _("Chứng thư người ký đã bị thu hồi")


def verify_detached(
    data: bytes, signature_der: bytes, *, organization, earliest: datetime | None = None
) -> DetachedReport:
    """Whether `signature_der` is a valid signature over `data` by a certificate that speaks
    for `organization` (`speaks_for`): intact, chaining to a trust root, in the registry, not
    revoked (`_revocation_problem`), its stated signing time not before `earliest` nor ahead
    of our clock."""
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
    if (
        signing_time is None
        or signing_time > timezone.now() + CLOCK_SKEW
        or (earliest is not None and signing_time < earliest)
    ):
        problems.append(_("Thời điểm ký không hợp lệ"))
    if certificate is None:
        problems.append(_("Chứng thư ký không có trong sổ đăng ký chứng thư số của hệ thống"))
    else:
        if not speaks_for(certificate, organization):
            problems.append(
                _("Chứng thư ký không phải chứng thư của cơ quan hoặc hệ thống của cơ quan gửi")
            )
        revoked = _revocation_problem(certificate, signing_time)
        if revoked:
            problems.append(revoked)
    names = signer_cert.subject.native.get("common_name", "") or ""
    return DetachedReport(
        signer_name=names if isinstance(names, str) else ", ".join(names),
        signer_serial=f"{signer_cert.serial_number:X}",
        signing_time=signing_time,
        certificate=certificate,
        problems=tuple(problems),
    )
