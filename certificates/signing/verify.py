"""Verifying the signatures of a PDF on receipt (docs/ca.md, "Signing and verification").

For each signature: is it intact (digest and signature valid), does it cover the document (no
later change beyond further signatures), who signed and which portal certificate that is, does
the chain reach a trust root (SIGNING_TRUST_ROOTS, default the simulated CA's root), and was the
signer's certificate revoked before the signing time (the registry, and the CA's latest CRL).
Uploaded PDFs are hostile: size cap first, any parser failure is a `CertificateError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.xref import XRefSectionType
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
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
# What a revision no signature covers may do: add validation data (a DSS, document
# time-stamps), nothing else (docs/ca.md, "Data outside the signatures").
ALLOWED_UNSIGNED_CHANGES = ModificationLevel.LTA_UPDATES
# The end of a revision: its startxref and the end-of-file marker, then at most one end of line.
_REVISION_END = re.compile(rb"\s*startxref\s+(\d+)\s+%%EOF(?:\r\n|\r|\n)?")


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
    # The file holds data no signature covers (`outside_signatures`): what, in Vietnamese.
    outside_data: str = ""

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


def _last_revision_end(reader) -> int:
    """Where the file's last revision ends as pyHanko read it: past its cross-reference section
    (the table's trailer, or the stream object), its startxref and its end-of-file marker with
    at most one end of line. Raises ValueError when what follows the section is not that."""
    xrefs = reader.xrefs
    last = xrefs.total_revisions - 1
    info = xrefs.get_xref_container_info(last)
    stream = reader.stream
    stream.seek(info.end_location)
    if info.xref_section_type == XRefSectionType.STREAM:
        tail = stream.read()
        closing = re.match(rb"\s*endobj", tail)
        if closing is None:
            raise ValueError("xref stream object not closed")
        position = info.end_location + closing.end()
    else:
        tail = stream.read()
        keyword = re.match(rb"\s*trailer", tail)
        if keyword is None:
            raise ValueError("no trailer after the xref table")
        stream.seek(info.end_location + keyword.end())
        generic.DictionaryObject.read_from_stream(stream, generic.TrailerReference(reader))
        position = stream.tell()
    stream.seek(position)
    rest = stream.read()
    end = _REVISION_END.match(rest)
    if end is None or int(end.group(1)) != info.declared_startxref:
        raise ValueError("the last revision does not end with its own startxref")
    return position + end.end()


def outside_signatures(reader, pdf: bytes) -> str:
    """What of `pdf` no signature covers, in Vietnamese ("" when nothing): bytes after the end
    of the last revision (its end-of-file marker and one end of line), or a revision after the
    last signature (or document time-stamp) that does more than add validation data (pyHanko's
    diff policy). docs/ca.md, "Data outside the signatures"."""
    try:
        end = _last_revision_end(reader)
    except Exception:  # hostile input: an unreadable ending is not a covered one
        end = None
    if end is None:
        return _("phần cuối tệp không phải là phần kết thúc của một phiên bản PDF")
    if end < len(pdf):
        return ngettext(
            "%(n)d byte sau dấu kết thúc tệp của phiên bản cuối cùng",
            "%(n)d byte sau dấu kết thúc tệp của phiên bản cuối cùng",
            len(pdf) - end,
        ) % {"n": len(pdf) - end}
    try:  # document time-stamps included
        last_signed = max(signature.signed_revision for signature in reader.embedded_signatures)
    except Exception:  # hostile input (or no signature): nothing is covered
        last_signed = -1
    if last_signed >= reader.xrefs.total_revisions - 1:
        return ""
    try:
        later = DEFAULT_DIFF_POLICY.review_file(reader, last_signed)
    except Exception:  # hostile input: a revision pyHanko cannot review is not covered
        later = None
    if isinstance(later, DiffResult) and later.modification_level <= ALLOWED_UNSIGNED_CHANGES:
        return ""
    return _("một lần cập nhật không có chữ ký sau chữ ký cuối cùng")


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


def _report(embedded, context: ValidationContext, agency, outside: str) -> SignatureReport:
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
    # A change pyHanko already finds beyond what a later signature may do is said as such;
    # only a file that passes that has its data outside the signatures reported.
    if not covers_document(status.coverage, status.modification_level, status.docmdp_ok):
        outside = ""
        covers = False
    else:
        covers = not outside
    trusted = bool(status.trusted)
    belongs = None
    if agency is not None:
        belongs = certificate is not None and certificate.agency_id == agency.pk
    problems = []
    if not intact:
        problems.append(text(gettext_noop("Chữ ký bị sửa đổi")))
    elif outside:
        problems.append(text(gettext_noop("Tệp có dữ liệu nằm ngoài mọi phần đã ký")))
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
        outside_data=outside,
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
    outside = outside_signatures(reader, pdf) if embedded_signatures else ""
    reports = []
    for index, embedded in enumerate(embedded_signatures):
        try:
            reports.append(_report(embedded, context, agency, outside))
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
