"""Verifying the signatures of a PDF on receipt (docs/ca.md, "Signing and verification").

For each signature: is it intact (digest and signature valid), does it cover the document (no
later change beyond further signatures), who signed and which portal certificate that is, does
the chain reach a trust root (SIGNING_TRUST_ROOTS, default the simulated CA's root), and was the
signer's certificate revoked before the signing time (the registry, and the CA's latest CRL).
Uploaded PDFs are hostile: size cap first, any parser failure is a `CertificateError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.utils.translation import gettext_noop
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from certificates.choices import RevocationReason
from certificates.exceptions import CertificateError
from certificates.models import Certificate, RevocationList
from certificates.signing.context import (
    ValidationMaterial,
    validation_context,
    validation_material,
)
from certificates.signing.files import open_pdf
from portal.lib.loops import outside_event_loop
from portal.texts import Text, joined, plural, text

# Revocations after which someone else may hold the key: a B-B signature states its own time,
# so such a signer's signature is flagged whatever time it states (docs/ca.md).
KEY_AT_RISK = frozenset(
    {RevocationReason.KEY_COMPROMISE, RevocationReason.DEVICE_LOST, RevocationReason.DEVICE_UNSAFE}
)

# What a later revision may do without breaking an earlier signature: add signatures (and
# their fields and appearances) or validation data, nothing else (docs/ca.md).
ALLOWED_LATER_CHANGES = ModificationLevel.FORM_FILLING


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str
    signer_serial: str  # upper-case hex, as in the registry
    # The signature time-stamp's time when it has a valid one (PAdES B-T: a time the signer
    # cannot choose), else the time the signer states.
    signing_time: datetime | None
    intact: bool
    covers_document: bool
    trusted: bool
    certificate: Certificate | None
    revoked_at: datetime | None
    revoked_before_signing: bool
    key_at_risk: bool  # revoked because the key may be in other hands (any stated time)
    belongs_to_agency: bool | None  # None when no agency was asked about
    problems: tuple[str, ...] = field(default=())
    timestamped: bool = False  # carries a valid signature time-stamp of a trusted authority

    @property
    def ok(self) -> bool:
        return not self.problems


def serial_hex(number: int) -> str:
    """A certificate's serial as the registry writes it (upper-case hex)."""
    return f"{number:X}"


def portal_certificate(signer_cert: asn1_x509.Certificate) -> Certificate | None:
    """The registry's certificate that is exactly `signer_cert` (same serial, same bytes)."""
    candidate = (
        Certificate.objects.select_related("issuer")
        .filter(serial=serial_hex(signer_cert.serial_number))
        .first()
    )
    if candidate is None or bytes(candidate.der or b"") != signer_cert.dump():
        return None
    return candidate


def _crl_revocation_time(certificate: Certificate) -> datetime | None:
    """When the issuing CA's latest stored CRL says the certificate was revoked (or None)."""
    latest = RevocationList.objects.latest_for(certificate.issuer)
    if latest is None:
        return None
    crl = x509.load_der_x509_crl(bytes(latest.der))
    entry = crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))
    return entry.revocation_date_utc if entry is not None else None


def _revocation_time(certificate: Certificate | None) -> datetime | None:
    if certificate is None:
        return None
    times = [t for t in (certificate.revoked_at, _crl_revocation_time(certificate)) if t]
    return min(times) if times else None


def certificate_revoked_at(certificate: Certificate) -> datetime | None:
    """When the registry or the issuing CA's latest CRL says `certificate` was revoked."""
    return _revocation_time(certificate)


def covers_document(coverage, level, docmdp_ok) -> bool:
    """Whether a signature still covers the document: the whole file, or its revision with
    nothing after it but further signatures and validation data (pyHanko's coverage, the later
    revisions' modification level, the DocMDP verdict)."""
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ALLOWED_LATER_CHANGES
        and docmdp_ok is not False
    )


def _unreadable(embedded, index: int) -> SignatureReport:
    return SignatureReport(
        field_name=str(getattr(embedded, "field_name", "") or index),
        signer_name="",
        signer_serial="",
        signing_time=None,
        intact=False,
        covers_document=False,
        trusted=False,
        certificate=None,
        revoked_at=None,
        revoked_before_signing=False,
        key_at_risk=False,
        belongs_to_agency=None,
        problems=(text(gettext_noop("Chữ ký không đọc được")),),
    )


def _report(embedded, context: ValidationContext, agency) -> SignatureReport:
    status = outside_event_loop(
        lambda: validate_pdf_signature(
            embedded, signer_validation_context=context, ts_validation_context=context
        )
    )
    signer_cert = status.signing_cert
    stamp = status.timestamp_validity
    timestamped = bool(stamp is not None and stamp.intact and stamp.valid and stamp.trusted)
    signing_time = (
        stamp.timestamp
        if timestamped
        else status.signer_reported_dt or embedded.self_reported_timestamp
    )
    certificate = portal_certificate(signer_cert)
    revoked_at = _revocation_time(certificate)
    # Without a stated time a revoked signer cannot show it signed before the revocation.
    revoked_before = revoked_at is not None and (signing_time is None or revoked_at < signing_time)
    key_at_risk = (
        revoked_at is not None
        and not revoked_before
        and certificate.revocation_reason in KEY_AT_RISK
    )
    intact = bool(status.intact and status.valid)
    covers = covers_document(status.coverage, status.modification_level, status.docmdp_ok)
    trusted = bool(status.trusted)
    belongs = None
    if agency is not None:
        belongs = certificate is not None and certificate.agency_id == agency.pk
    problems = []
    if not intact:
        problems.append(text(gettext_noop("Chữ ký bị sửa đổi")))
    elif not covers:
        problems.append(text(gettext_noop("Văn bản bị thay đổi sau khi ký")))
    if not trusted:
        problems.append(text(gettext_noop("Chứng thư người ký không chuỗi về CA gốc tin cậy")))
    if stamp is not None and not timestamped:
        problems.append(text(gettext_noop("Dấu thời gian của chữ ký không hợp lệ")))
    if revoked_before:
        problems.append(text(gettext_noop("Chứng thư người ký đã bị thu hồi trước thời điểm ký")))
    if key_at_risk:
        problems.append(
            text(
                gettext_noop(
                    "Chứng thư người ký đã bị thu hồi do khóa bị lộ hoặc mất: "
                    "không tin được thời điểm ký"
                )
            )
        )
    if belongs is False:
        problems.append(text(gettext_noop("Người ký không thuộc cơ quan")))
    return SignatureReport(
        field_name=str(embedded.field_name),
        signer_name=signer_cert.subject.native.get("common_name", "") or "",
        signer_serial=serial_hex(signer_cert.serial_number),
        signing_time=signing_time,
        intact=intact,
        covers_document=covers,
        trusted=trusted,
        certificate=certificate,
        revoked_at=revoked_at,
        revoked_before_signing=revoked_before,
        key_at_risk=key_at_risk,
        belongs_to_agency=belongs,
        problems=tuple(problems),
        timestamped=timestamped,
    )


def verify_pdf(
    pdf: bytes, *, agency=None, material: ValidationMaterial | None = None
) -> list[SignatureReport]:
    """One report per signature, in signing order. With `agency`, a signer whose portal
    certificate is not the agency's is flagged ("Người ký không thuộc cơ quan"). `material`:
    the trust material the caller has already read (read here otherwise)."""
    reader = open_pdf(pdf)
    try:
        embedded_signatures = list(reader.embedded_regular_signatures)
    except Exception as exc:  # hostile input: a broken form tree is "unreadable"
        raise CertificateError(
            text(gettext_noop("Không đọc được chữ ký trong tệp PDF.")), code="bad_pdf"
        ) from exc
    # Revocation is judged against the signing time in `_report`, from the registry and the
    # CRL; nothing is fetched from the network while a letter is received.
    context = validation_context(material or validation_material(), revocation=False)
    reports = []
    for index, embedded in enumerate(embedded_signatures):
        try:
            reports.append(_report(embedded, context, agency))
        except CertificateError:
            raise
        except Exception:  # a malformed signature is reported, not a 500
            reports.append(_unreadable(embedded, index))
    return reports


def verification_summary(reports: list[SignatureReport]) -> Text:
    """One line for the letter page: "2 chữ ký hợp lệ" or what is wrong; a `Text`, so that
    what stores it shows it in the reader's language (portal/texts.py)."""
    if not reports:
        return text(gettext_noop("Văn bản chưa có chữ ký số"))
    if all(report.ok for report in reports):
        return plural(
            gettext_noop("%(n)d chữ ký hợp lệ"), gettext_noop("%(n)d chữ ký hợp lệ"), len(reports)
        )
    problems: list[str] = []
    for report in reports:
        problems.extend(p for p in report.problems if p not in problems)
    return joined(problems)
