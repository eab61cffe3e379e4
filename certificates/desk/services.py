"""Signing at the signer's desk (docs/ca.md, "Signing at the signer's desk"): the portal
prepares the PDF and the digest, the signer's token signs the digest on their own computer
(the signing client), and the portal embeds the signature only after checking it.

`desk_signing_prepare` stores the request (nonce, deadline, expected certificate, prepared
PDF, signed attributes) and returns it; `desk_signing_complete` locks it and either refuses
the answer (Vietnamese `CertificateError`; the request is then refused or expired, the refusal
audited with who, when and why, no PDF produced) or embeds the signature, verifies the result
with the portal's own verification, and returns the signed PDF. Every request completes at
most once (state decided under the row lock, constraint `desk_signing_one_done_per_purpose`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from asn1crypto import cms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.choices import CertStatus, SubjectKind
from certificates.desk.models import DESK_MOVES, DeskSigning, DeskState
from certificates.desk.pdf import (
    DIGEST_ALGORITHM,
    Prepared,
    finish_pdf,
    prepare_pdf,
    signature_imprint,
    signature_verifies,
)
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.services.timestamps import timestamp_token
from certificates.signing.base import Appearance
from certificates.signing.files import check_pdf_size
from certificates.signing.verify import SignatureReport, certificate_revoked_at, verify_pdf
from portal.audit import audit_record

# How many stale requests one sweep marks expired (the next sweep takes the rest).
SWEEP_BATCH = 500


def chain_der(certificate: Certificate) -> list[bytes]:
    """The issuing CA's certificate and those above it, to embed with the signature."""
    chain = []
    authority = certificate.issuer
    while authority is not None:
        chain.append(bytes(authority.certificate_der))
        authority = authority.parent
    return chain


def certificate_sha256(certificate: Certificate) -> str:
    return hashlib.sha256(bytes(certificate.der or b"")).hexdigest()


def _usable_problem(certificate: Certificate, by) -> str:
    """Why `certificate` (as the registry and the CA's CRL have it now) may not sign for `by`,
    or "" when it may: valid, within its validity, not revoked, its key not at risk (its
    device not reported lost), and for a personal certificate `by`'s own. An organisation certificate (a seal) is the caller's to attribute."""
    fresh = (
        Certificate.objects.select_related("person", "issuer")
        .with_key_at_risk()
        .filter(pk=certificate.pk)
        .first()
    )
    now = timezone.now()
    if (
        fresh is None
        or fresh.status != CertStatus.VALID
        or not (fresh.not_before <= now < fresh.not_after)
        or certificate_revoked_at(fresh) is not None
    ):
        return _("Chứng thư số này không còn hiệu lực hoặc đã bị thu hồi: không thể dùng để ký.")
    if fresh.key_at_risk:
        # The device holding its key was reported lost (docs/domain.md §3.8): whoever has it
        # may sign, so the portal takes no signature of it while its revocation is under way.
        return _(
            "Thiết bị lưu khóa bí mật của chứng thư số này đã được báo mất (Mẫu 09): khóa có "
            "nguy cơ bị lộ, không thể dùng chứng thư này để ký. Chứng thư đang chờ thu hồi."
        )
    if fresh.subject_kind == SubjectKind.PERSON and (
        fresh.person is None or fresh.person.user_id != getattr(by, "pk", None)
    ):
        return _("Chứng thư số này không phải của người đang ký.")
    return ""


def desk_signing_prepare(
    *,
    pdf: bytes,
    certificate: Certificate,
    field_name: str,
    appearance: Appearance,
    reason: str,
    by,
    document_number: str,
    title: str,
    purpose: str,
    location: str = "",
) -> DeskSigning:
    """Prepare `pdf` for a signature in `field_name` made with `certificate`'s key at the
    signer's desk. The returned request's `digest` is what the token signs."""
    problem = _usable_problem(certificate, by)
    if problem:
        raise CertificateError(problem, code="not_usable")
    if not certificate.der:
        raise CertificateError(_("Chứng thư số này không có bản DER."), code="no_der")
    check_pdf_size(pdf)
    prepared = prepare_pdf(
        pdf,
        certificate_der=bytes(certificate.der),
        chain_der=chain_der(certificate),
        field_name=field_name,
        appearance=appearance,
        reason=reason,
        location=location,
    )
    with transaction.atomic():
        desk_signing = DeskSigning.objects.create(
            nonce=secrets.token_urlsafe(24),
            user=by,
            certificate=certificate,
            purpose=purpose,
            field_name=field_name,
            document_number=document_number[:64],
            title=title[:255],
            prepared_pdf=prepared.pdf,
            document_digest=prepared.document_digest,
            reserved_start=prepared.reserved_start,
            reserved_end=prepared.reserved_end,
            signed_attrs_der=prepared.signed_attrs_der,
            expires_at=timezone.now() + timedelta(seconds=settings.PORTAL_DESK_SIGNING_SECONDS),
        )
        audit_record(
            actor=by,
            action="desk_signing.prepare",
            obj=desk_signing,
            after={
                "purpose": purpose,
                "certificate": certificate.serial,
                "digest": digest_of(desk_signing).hex(),
                "expires_at": desk_signing.expires_at.isoformat(),
            },
        )
    return desk_signing


def _prepared(desk_signing: DeskSigning) -> Prepared:
    return Prepared(
        pdf=bytes(desk_signing.prepared_pdf),
        document_digest=bytes(desk_signing.document_digest),
        reserved_start=desk_signing.reserved_start,
        reserved_end=desk_signing.reserved_end,
        signed_attrs_der=bytes(desk_signing.signed_attrs_der),
    )


def digest_of(desk_signing: DeskSigning) -> bytes:
    """The 32 bytes the token signs: SHA-256 of the DER of the signed attributes."""
    return hashlib.sha256(bytes(desk_signing.signed_attrs_der)).digest()


def _move(locked: DeskSigning, target: str, *, at: datetime, refusal: str = "") -> None:
    """The one transition helper: only the lifecycle table's moves (models.DESK_MOVES)."""
    if target not in DESK_MOVES[locked.state]:
        raise CertificateError(_("Yêu cầu ký đã kết thúc."), code="finished")
    locked.state = target
    locked.finished_at = at
    locked.refusal = refusal[:500]
    locked.save(update_fields=["state", "finished_at", "refusal", "signed_pdf"])


def _already_done() -> CertificateError:
    return CertificateError(
        _("Văn bản này đã được ký bằng một yêu cầu ký khác: không nhận thêm chữ ký."),
        code="already_done",
    )


def _refusal(locked: DeskSigning, *, nonce, signature, certificate_der, by, now):
    """(state to move to or None, error) for the first check the answer fails, or None."""
    if locked.user_id != getattr(by, "pk", None):
        return DeskState.REFUSED, CertificateError(
            _("Yêu cầu ký này không phải của bạn."), code="not_yours"
        )
    if locked.state != DeskState.PENDING:
        return None, CertificateError(
            _("Yêu cầu ký này đã được dùng hoặc đã kết thúc: hãy bấm Ký lại."), code="used"
        )
    if locked.expires_at <= now:
        return DeskState.EXPIRED, CertificateError(
            _("Yêu cầu ký đã hết hạn: hãy bấm Ký lại."), code="expired"
        )
    if not hmac.compare_digest(str(nonce or "").encode(), locked.nonce.encode()):
        return DeskState.REFUSED, CertificateError(
            _("Kết quả ký không khớp với yêu cầu ký (nonce sai): không nhận."), code="nonce"
        )
    expected = locked.certificate
    if not certificate_der or bytes(certificate_der) != bytes(expected.der or b""):
        return DeskState.REFUSED, CertificateError(
            _("Chữ ký được tạo bằng chứng thư số khác chứng thư đã chọn để ký: không nhận."),
            code="other_certificate",
        )
    if DeskSigning.objects.done_for(locked.purpose).exists():
        return DeskState.REFUSED, _already_done()
    problem = _usable_problem(expected, by)
    if problem:
        return DeskState.REFUSED, CertificateError(problem, code="not_usable")
    if not signature_verifies(
        certificate_der=bytes(expected.der),
        signed_attrs_der=bytes(locked.signed_attrs_der),
        signature=bytes(signature or b""),
    ):
        return DeskState.REFUSED, CertificateError(
            _(
                "Chữ ký không khớp với văn bản đã chuẩn bị (ký trên nội dung khác hoặc bằng "
                "khóa khác): không nhận."
            ),
            code="bad_signature",
        )
    return None


def _sound(report: SignatureReport) -> bool:
    return (
        report.timestamped  # PAdES B-T: the token of the portal's authority validates
        and report.intact
        and report.covers_document
        and report.trusted
        and not report.revoked_before_signing
        and not report.key_at_risk
    )


@dataclass(frozen=True)
class DeskAnswer:
    """What the page posts back once the signing client answered request `desk_signing_id`:
    the request's nonce, the signature over its digest and the certificate that made it."""

    desk_signing_id: object
    nonce: str
    signature: bytes
    certificate_der: bytes


class DeskSigned(NamedTuple):
    """The PDF with the signature embedded, and the portal's verification of every signature
    in it (for `agency` when the caller named one): what the caller's own inspection of these
    very bytes would compute again."""

    pdf: bytes
    reports: list[SignatureReport]


def _signature_timestamp(signature: bytes) -> cms.ContentInfo:
    """A token of the portal's time-stamping authority over the signature value (PAdES B-T:
    the signature provably existed at the token's time), or a `CertificateError` when the
    authority grants none."""
    try:
        return timestamp_token(digest=signature_imprint(signature), hash_algorithm=DIGEST_ALGORITHM)
    except CertificateError as exc:
        raise CertificateError(
            _(
                "Dịch vụ cấp dấu thời gian chưa cấp được dấu thời gian cho chữ ký: chữ ký chưa "
                "được nhận, hãy bấm Ký lại sau ít phút."
            ),
            code="no_timestamp",
        ) from exc


def _embedded(locked: DeskSigning, signature: bytes, agency, timestamp) -> DeskSigned:
    """The signed PDF, checked by the portal's own verification (docs/ca.md)."""
    certificate = locked.certificate
    signed = finish_pdf(
        _prepared(locked),
        certificate_der=bytes(certificate.der),
        chain_der=chain_der(certificate),
        signature=signature,
        timestamp=timestamp,
    )
    every = verify_pdf(signed, agency=agency)
    reports = [r for r in every if r.field_name == locked.field_name]
    # The new signature's own checks; whether its signer belongs to the agency is the
    # caller's to judge (its inspection reads `belongs_to_agency`).
    if len(reports) != 1 or not _sound(reports[0]) or reports[0].certificate != certificate:
        raise CertificateError(
            _("Văn bản sau khi gắn chữ ký không kiểm tra được là hợp lệ: không nhận."),
            code="not_verified",
        )
    return DeskSigned(pdf=signed, reports=every)


def _audit_refusal(locked: DeskSigning, *, by, error: CertificateError, certificate_der) -> None:
    audit_record(
        actor=by,
        action="desk_signing.refuse",
        obj=locked,
        after={
            "purpose": locked.purpose,
            "state": locked.state,
            "code": error.code,
            "certificate_sha256": hashlib.sha256(bytes(certificate_der or b"")).hexdigest(),
        },
        reason=str(error.message),
    )


def desk_signing_complete(*, answer: DeskAnswer, by, agency=None) -> DeskSigned:
    """The prepared PDF with the signer's signature embedded (and its verification, for
    `agency`), or a `CertificateError` saying why the `answer` is refused (the request is then
    finished; see the module)."""
    signature, certificate_der = answer.signature, answer.certificate_der
    now = timezone.now()
    with transaction.atomic():
        locked = (
            DeskSigning.objects.select_for_update(of=("self",))
            .select_related("certificate__issuer")
            .filter(pk=answer.desk_signing_id)
            .first()
        )
        if locked is None:
            raise CertificateError(_("Không tìm thấy yêu cầu ký."), code="not_found")
        refused = _refusal(
            locked, nonce=answer.nonce, signature=signature, certificate_der=certificate_der, by=by,
            now=now,
        )  # fmt: skip
        if refused is None:
            try:
                timestamp = _signature_timestamp(bytes(signature))
            except CertificateError as exc:
                refused = None, exc  # still pending: the same answer may be sent again
        if refused is None:
            try:
                signed = _embedded(locked, bytes(signature), agency, timestamp)
                locked.signed_pdf = signed.pdf
                # One done request per purpose (constraint): of two completed at once for the
                # same document, the second is refused here.
                with transaction.atomic():
                    _move(locked, DeskState.DONE, at=now)
            except CertificateError as exc:
                refused = DeskState.REFUSED, exc
            except IntegrityError:
                locked.state, locked.finished_at, locked.signed_pdf = (
                    DeskState.PENDING, None, b""
                )  # fmt: skip
                refused = DeskState.REFUSED, _already_done()
        if refused is not None:
            target, error = refused
            if target is not None and locked.state == DeskState.PENDING:
                _move(locked, target, at=now, refusal=str(error.message))
            _audit_refusal(locked, by=by, error=error, certificate_der=certificate_der)
        else:
            audit_record(
                actor=by,
                action="desk_signing.complete",
                obj=locked,
                after={
                    "purpose": locked.purpose,
                    "certificate": locked.certificate.serial,
                    "sha256": hashlib.sha256(signed.pdf).hexdigest(),
                },
            )
    if refused is not None:
        raise refused[1]
    return signed


def desk_signings_abandon(desk_signing_ids, *, purposes, by) -> int:
    """Set aside the done requests `desk_signing_ids` of a document signed again from its first
    round (certificates/desk/rounds.py), audited, and refuse the requests of its `purposes`
    still pending (a seal prepared over the head's signature set aside must not complete);
    how many done requests moved (none already moved)."""
    now = timezone.now()
    moved = 0
    with transaction.atomic():
        pending = DeskSigning.objects.pending().filter(purpose__in=list(purposes))
        for locked in pending.select_for_update(of=("self",)).order_by("pk"):
            _move(locked, DeskState.REFUSED, at=now, refusal=_("Ký lại từ đầu"))
        done = DeskSigning.objects.filter(pk__in=list(desk_signing_ids), state=DeskState.DONE)
        for locked in done.select_for_update(of=("self",)).order_by("pk"):
            locked.signed_pdf = b""
            _move(locked, DeskState.ABANDONED, at=now)
            audit_record(
                actor=by,
                action="desk_signing.abandon",
                obj=locked,
                after={"purpose": locked.purpose},
            )
            moved += 1
    return moved


def desk_signing_sweep(*, now: datetime | None = None) -> int:
    """Beat: mark pending requests past their deadline expired (audited), and empty the
    stored PDFs of requests finished more than PORTAL_DESK_SIGNING_KEEP_HOURS ago. Returns
    how many expired; idempotent."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        stale = DeskSigning.objects.stale(now).select_for_update(skip_locked=True)[:SWEEP_BATCH]
        for locked in stale:
            _move(locked, DeskState.EXPIRED, at=now, refusal=_("Hết hạn"))
            audit_record(
                actor=None,
                action="desk_signing.expire",
                obj=locked,
                after={"purpose": locked.purpose},
            )
            expired += 1
    keep_until = now - timedelta(hours=settings.PORTAL_DESK_SIGNING_KEEP_HOURS)
    DeskSigning.objects.finished_before(keep_until).update(prepared_pdf=b"", signed_pdf=b"")
    return expired
