"""A letter signed outside the portal (docs/domain.md §9, docs/documents.md §8): the head
of an agency that signs with its own token downloads the unsigned PDF the portal rendered,
signs it, and uploads the signed file here.

The upload is hostile until inspected. It is accepted only when it is a readable PDF within
the size cap; every signature is intact and covers the document, chains to a configured trust
root, was not made with a certificate revoked before the signing time and belongs to the
drafting agency; one of them is the personal signature of someone holding the head's role
there and another the agency's seal (its organisation certificate); and the signed revision is the rendered PDF byte for byte plus signatures only. Each
refusal names the check that failed, is audited (`letter_document.upload_refused`) and stores
nothing; an accepted file becomes the issuance's signed version through `letter_signed_store`,
which hands the letter to the province.

The right to upload is decided on the letter as locked (action "upload_signed" of the
lifecycle table), before the file is inspected and again when it is stored; the inspection
itself runs outside any transaction, so a large file never holds the letter's lock."""

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from certificates.choices import SignedDocumentKind, SigningEventKind, SubjectKind
from certificates.services import signing_events_record_reports
from certificates.signing import SignatureReport, signed_revision_matches, verify_pdf
from certificates.signing.files import check_pdf_size, max_pdf_bytes, open_pdf
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.errors import DomainError
from requests_app.models import CertRequest, LetterDocument
from requests_app.services.signing import letter_signed_store
from requests_app.workflow import acting

ACTION = "upload_signed"


def rendered_of(locked: CertRequest) -> LetterDocument | None:
    return LetterDocument.objects.filter(
        letter=locked, kind=DocumentKind.RENDERED, number=locked.number
    ).first()


def check_awaiting_upload(locked: CertRequest) -> None:
    """The issued letter (the lifecycle's "upload_signed" decides the status) has its unsigned
    PDF rendered: the file the signed one must start with."""
    if rendered_of(locked) is None:
        raise DomainError(
            _("Bản PDF chưa ký của văn bản đang được tạo; hãy tải lại trang sau ít phút."),
            code="not_rendered",
        )


def _read(uploaded) -> bytes:
    """The bytes of an uploaded file (or of `bytes`), never more than the cap plus one byte."""
    if isinstance(uploaded, bytes | bytearray):
        return bytes(uploaded)
    uploaded.seek(0)
    return uploaded.read(max_pdf_bytes() + 1)  # one byte over the cap is enough to refuse


def _refusal(report, agency) -> DomainError | None:
    """The first check this signature fails, in the words of the agency's staff."""
    who = report.signer_name or _("không rõ")
    if not report.intact:
        return DomainError(
            _("Chữ ký số của %(who)s không còn nguyên vẹn: tệp đã bị sửa sau khi ký.")
            % {"who": who},
            code="not_intact",
        )
    if report.outside_data:
        return DomainError(
            _(
                "Tệp có dữ liệu nằm ngoài mọi phần đã ký (%(what)s): không chữ ký nào bảo đảm "
                "phần này nên tệp không được nhận. Hãy tải lên đúng tệp do phần mềm ký tạo ra."
            )
            % {"what": report.outside_data},
            code="outside_signatures",
        )
    if not report.covers_document:
        return DomainError(
            _("Tệp đã bị thay đổi sau khi %(who)s ký: chữ ký không còn bao trùm toàn bộ văn bản.")
            % {"who": who},
            code="not_covering",
        )
    if not report.trusted:
        return DomainError(
            _(
                "Chứng thư số của người ký (%(who)s) không chuỗi về CA gốc tin cậy: hãy ký "
                "bằng chứng thư số chuyên dùng công vụ."
            )
            % {"who": who},
            code="untrusted",
        )
    if report.revoked_before_signing or report.key_at_risk:
        return DomainError(
            _("Chứng thư số của người ký (%(who)s) đã bị thu hồi: chữ ký không có giá trị.")
            % {"who": who},
            code="revoked",
        )
    if not report.belongs_to_agency:
        return DomainError(
            _("Người ký (%(who)s) không thuộc %(agency)s, cơ quan soạn văn bản.")
            % {"who": who, "agency": agency.name},
            code="foreign_signer",
        )
    return None


def _signed_by_head(certificate, agency) -> bool:
    """Whether `certificate` is the personal certificate of someone who may sign the agency's
    letters: a person whose account holds the head's role there (the lifecycle's model)."""
    if certificate is None or certificate.subject_kind != SubjectKind.PERSON:
        return False
    user = certificate.person.user if certificate.person_id else None
    return user is not None and scope_for(user).holds(Role.AGENCY_HEAD, agency.path)


def _sealed_by(certificate, agency) -> bool:
    """Whether `certificate` is an organisation certificate of the agency itself: its seal."""
    return (
        certificate is not None
        and certificate.subject_kind == SubjectKind.ORGANIZATION
        and certificate.subject_organization_id == agency.pk
    )


def _same_letter(rendered: bytes, pdf: bytes, *, built_here: bool) -> bool:
    """Whether `pdf` is the rendered letter plus signatures. A file signed outside is read
    revision by revision (`signed_revision_matches`). A PDF signed at the desk was built here,
    each signature an incremental update the portal itself wrote over the rendered bytes (the
    client returns a signature value, never a file): the byte-for-byte prefix is the check."""
    if built_here:
        return pdf.startswith(rendered)
    return signed_revision_matches(rendered, pdf)


def inspect_upload(
    *,
    pdf: bytes,
    rendered: bytes,
    agency,
    number: str,
    kind: str = SigningEventKind.UPLOADED,
    document_id: int | None = None,
    reports: list[SignatureReport] | None = None,
    built_here: bool = False,
) -> list[SignatureReport]:
    """Raise a `DomainError` naming the first check the signed `pdf` fails (see the module);
    else its signatures' reports, every one valid. Its signatures go to the signing monitor as
    `kind` (uploaded, or signed at the desk). `reports`: a verification of these very bytes for
    `agency` the caller has just made; `built_here`: signed at the desk (`_same_letter`)."""
    check_pdf_size(pdf)
    open_pdf(pdf)
    if reports is None:
        reports = verify_pdf(pdf, agency=agency)
    signing_events_record_reports(
        kind=kind,
        reports=reports,
        agency=agency,
        document_kind=SignedDocumentKind.LETTER,
        document_id=document_id,
        document_number=number,
    )
    if not reports:
        raise DomainError(
            _("Tệp tải lên chưa có chữ ký số: hãy ký văn bản bằng thiết bị của mình rồi tải lên."),
            code="unsigned",
        )
    for report in reports:
        refusal = _refusal(report, agency)
        if refusal is not None:
            raise refusal
    if not any(_signed_by_head(r.certificate, agency) for r in reports):
        raise DomainError(
            _(
                "Tệp chưa có chữ ký số của người có thẩm quyền (chứng thư số cá nhân của lãnh "
                "đạo cơ quan)."
            ),
            code="no_person_signature",
        )
    # The agency's seal, as at the desk (docs/domain.md §10): a letter counts
    # only with both the competent person's signature and the agency's.
    if not any(_sealed_by(r.certificate, agency) for r in reports):
        raise DomainError(
            _(
                "Tệp chưa có chữ ký số của cơ quan (chứng thư số cơ quan, tổ chức của "
                "%(agency)s): hãy ký bằng chứng thư số của lãnh đạo rồi đóng dấu số của cơ quan."
            )
            % {"agency": agency.name},
            code="no_seal",
        )
    if not _same_letter(rendered, pdf, built_here=built_here):
        raise DomainError(
            _(
                "Nội dung tệp đã ký khác với văn bản số %(number)s do cổng tạo: hãy tải bản PDF "
                "chưa ký của chính văn bản này, ký mà không sửa nội dung rồi tải lên."
            )
            % {"number": number},
            code="content_differs",
        )
    return reports


def _audit_refusal(cert_request: CertRequest, *, by, pdf: bytes, error: DomainError) -> None:
    with transaction.atomic():
        audit_record(
            actor=by,
            action="letter_document.upload_refused",
            obj=cert_request,
            after={
                "number": cert_request.number,
                "code": error.code,
                "sha256": hashlib.sha256(pdf).hexdigest(),
                "size": len(pdf),
            },
            reason=str(error.message),
        )


def letter_signed_accept(
    *, cert_request: CertRequest, pdf: bytes, by, source: str, reports=None
) -> LetterDocument | None:
    """Accept `pdf` as the signed version of the issued letter after the upload's inspection
    (the module's checks), or refuse it with a `DomainError` (audited, nothing stored). The one
    way in for a letter signed with the head's own device, uploaded (`source="upload"`) or
    signed at their desk through the signing client (`source="desk"`, with `reports`: the
    desk completion's verification of these very bytes for the agency)."""
    with acting(cert_request, ACTION, by=by, check=check_awaiting_upload) as locked:
        number = locked.number
        rendered = bytes(rendered_of(locked).content)
        agency = locked.agency
    try:
        reports = inspect_upload(
            pdf=pdf,
            rendered=rendered,
            agency=agency,
            number=number,
            kind=SigningEventKind.SIGNED if source == "desk" else SigningEventKind.UPLOADED,
            document_id=cert_request.pk,
            reports=reports,
            built_here=source == "desk",
        )
    except DomainError as exc:  # CertificateError too: too big, not a PDF, unreadable
        _audit_refusal(cert_request, by=by, pdf=pdf, error=exc)
        raise
    with acting(cert_request, ACTION, by=by, check=check_awaiting_upload) as locked:
        if locked.number != number:  # issued again while the file was inspected
            raise DomainError(
                _("Văn bản đã được cấp số khác trong lúc kiểm tra tệp; hãy tải lên lại."),
                code="stale_number",
            )
        # The inspection's reports are the verification on receipt: the same bytes, checked
        # a moment ago, so the letter reaches the province without a second verification.
        stored = letter_signed_store(
            cert_request_id=locked.pk, number=number, pdf=pdf, by=by, source=source,
            reports=reports,
        )  # fmt: skip
    cert_request.refresh_from_db()
    return stored


def letter_signed_upload(*, cert_request: CertRequest, uploaded, by) -> LetterDocument:
    """Accept `uploaded` (a file or bytes) as the signed version of the issued letter, or
    refuse it with a `DomainError` that says which check failed; nothing is stored then."""
    return letter_signed_accept(
        cert_request=cert_request, pdf=_read(uploaded), by=by, source="upload"
    )
