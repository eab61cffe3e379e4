"""edXML packages (docs/exchange.md, "edXML packages"): an issued, signed letter exported
for the exchange axis, the same package imported on the receiving side (the letter created
in the CA's queue, or the Sở KH&CN's inbox, with its signed PDF byte-identical and verified),
(the status messages that flow back are taken in by `exchange_status`)."""

import hashlib
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import OrgKind, Role
from agencies.documents import place_name
from agencies.models import Organization
from certificates.exceptions import CertificateError
from certificates.signing import verification_summary, verify_pdf
from exchange.edxml import messages as m
from exchange.edxml.outbox import status_record
from exchange.models import EdxmlMessage
from portal.audit import audit_record
from portal.documents import DocumentKind
from portal.lib.filenames import safe_file_name
from requests_app.choices import CA_FORMS, FormKind, Status
from requests_app.documents import TO_PROVINCE, recipients_of
from requests_app.models import CertRequest, LetterDocument
from requests_app.services.documents import issuer_of
from requests_app.services.verification import letter_signed_verify
from requests_app.workflow import lock, move

TYPE_NAME = "Công văn"


def _organ(org: Organization) -> m.Organ:
    if not org.code:
        raise m.EdxmlError(
            _("“%(name)s” chưa có mã định danh điện tử: không thể tạo gói edXML.")
            % {"name": org.name},
            code="edxml_no_code",
        )
    return m.Organ(code=org.code, name=org.name[:255])


def receivers_of(cert_request: CertRequest) -> list[Organization]:
    """Who the letter goes to by code: the province's Sở KH&CN, and the CA unless the Sở
    processes the letter itself (docs/domain.md §4)."""
    agency = cert_request.agency
    office = Organization.objects.provincial_office_of(
        agency.province if agency.province_id else None
    )
    receivers = [office] if office is not None else []
    if cert_request.form not in TO_PROVINCE and not cert_request.processed_by_province:
        ca = Organization.objects.active().filter(kind=OrgKind.CA).order_by("pk").first()
        if ca is not None:
            receivers.append(ca)
    if not receivers:
        raise m.EdxmlError(
            _("Không xác định được nơi nhận của văn bản: không thể tạo gói edXML."),
            code="edxml_no_receiver",
        )
    return receivers


def document_id_of(cert_request: CertRequest) -> str:
    """The package's DocumentId, "sender code,yyyy/mm/dd,number" as the public SDKs write
    it: the same for every export of one issuance, a new one when the letter is issued again."""
    return f"{cert_request.agency.code},{cert_request.issued_on:%Y/%m/%d},{cert_request.number}"[
        :128
    ]


def letter_edxml_package(cert_request: CertRequest) -> tuple[m.LetterPackage, list[str]]:
    """The letter as an edXML package (plain data) and its receivers' codes; refused for a
    letter without a signed version or an organisation without a code."""
    signed = LetterDocument.objects.signed_for(cert_request).first()
    if signed is None or not cert_request.issued_on:
        raise m.EdxmlError(
            _("Văn bản chưa có bản đã ký số: chưa thể tạo gói edXML."), code="edxml_not_signed"
        )
    sender = _organ(cert_request.agency)
    receivers = [_organ(org) for org in receivers_of(cert_request)]
    number, _slash, notation = cert_request.number.partition("/")
    issuer = issuer_of(cert_request)
    person = getattr(issuer, "person", None) if issuer is not None else None
    package = m.LetterPackage(
        document_id=document_id_of(cert_request),
        sender=sender,
        receivers=tuple(receivers),
        number=number,
        notation=notation,
        place=place_name(cert_request.agency),
        promulgated_on=cert_request.issued_on,
        form=cert_request.form,
        type_name=TYPE_NAME,
        subject=cert_request.subject or cert_request.get_form_display(),
        signer_competence="",
        signer_position=(getattr(person, "position", "") or "")[:255],
        signer_name=(
            getattr(person, "full_name", "") or (issuer.get_full_name() if issuer else "")
        )[:255],
        due_on=cert_request.due_on,
        to_places=tuple(line[:255] for line in recipients_of(cert_request)[:50]),
        priority=0,
        attachments=(
            m.Attachment(
                name=signed.download_name,
                content=signed.content,
                description="Văn bản đã ký số",
            ),
        ),
        sent_at=timezone.now(),
    )
    return package, [r.code for r in receivers]


def letter_edxml_export(*, cert_request: CertRequest) -> bytes:
    """The signed letter as an edXML file for the exchange axis, valid against the schema. A
    read: nothing is recorded (a status message finds the letter again by its DocumentId)."""
    package, _receivers = letter_edxml_package(cert_request)
    return m.letter_xml(package)


def letter_of_document_id(document_id: str) -> CertRequest | None:
    """The letter a DocumentId of ours names ("sender code,yyyy/mm/dd,number"): the sender by
    its code (a former code too), then its letter of that number issued that day."""
    code, _comma, rest = document_id.partition(",")
    day, _comma, number = rest.partition(",")
    agency = Organization.objects.by_code(code)
    try:
        issued_on = datetime.strptime(day, "%Y/%m/%d").date()
    except ValueError:
        return None
    if agency is None or not number:
        return None
    # a letter we received under the same number is not one we sent (one database holding
    # both sides, as in the tests, keeps them apart)
    return (
        CertRequest.objects.filter(agency=agency, number=number, issued_on=issued_on)
        .exclude(
            edxml_messages__direction=EdxmlMessage.Direction.RECEIVED,
            edxml_messages__kind=EdxmlMessage.Kind.LETTER,
        )
        .select_related("agency__province")
        .first()
    )


def edxml_file_name(cert_request: CertRequest) -> str:
    return safe_file_name(f"Mau{cert_request.form}_{cert_request.number}_edxml", extension=".xml")


# Import --------------------------------------------------------------------------------------


def _refuse(message: str, code: str):
    raise m.EdxmlError(message, code=code)


def _receiving(package: m.LetterPackage, by, agency: Organization) -> tuple[Organization, str]:
    """The organisation of `by` that the package is addressed to, and the move that brings
    the letter there: the CA's queue, or the Sở KH&CN's inbox."""
    scope = scope_for(by)
    for receiver in package.receivers:
        org = Organization.objects.by_code(receiver.code)
        if org is None:
            continue
        if org.kind == OrgKind.CA and scope.is_ca:
            return org, "exchange_receive"
        if org.kind == OrgKind.PROVINCIAL_OFFICE and scope.holds(
            Role.PROVINCIAL_OFFICER, agency.path
        ):
            return org, "receive"
    _refuse(
        _("Gói edXML không gửi đến cơ quan của bạn (nơi nhận: %(codes)s).")
        % {"codes": ", ".join(r.code for r in package.receivers)},
        "edxml_not_for_you",
    )


def _signed_pdf(package: m.LetterPackage) -> m.Attachment:
    pdfs = [a for a in package.attachments if a.content_type == "application/pdf"]
    if len(pdfs) != 1 or not pdfs[0].content.startswith(b"%PDF-"):
        _refuse(_("Gói edXML phải có đúng một tệp PDF văn bản đã ký số."), "edxml_no_pdf")
    return pdfs[0]


def _verified(pdf: bytes, agency: Organization):
    """The signatures of the PDF, checked as on every receipt; refused unless all are valid."""
    try:
        reports = verify_pdf(pdf, agency=agency)
    except CertificateError as exc:
        _refuse(
            _("Chữ ký số của văn bản không hợp lệ: %(why)s") % {"why": exc.message},
            "edxml_bad_signature",
        )
    if not reports or not all(report.ok for report in reports):
        summary = verification_summary(reports) if reports else _("văn bản không có chữ ký số")
        _refuse(
            _("Chữ ký số của văn bản không hợp lệ: %(why)s") % {"why": summary},
            "edxml_bad_signature",
        )
    return reports


def _received_package(document_id: str) -> EdxmlMessage | None:
    return (
        EdxmlMessage.objects.filter(
            direction=EdxmlMessage.Direction.RECEIVED,
            kind=EdxmlMessage.Kind.LETTER,
            document_id=document_id,
        )
        .select_related("letter")
        .first()
    )


def _already_received(
    done: EdxmlMessage, *, pdf_sha256: str, receiver: Organization, document_id: str
) -> CertRequest:
    """A DocumentId received before: its letter, for the same receiving side and the same
    signed PDF only; anything else under that DocumentId is refused."""
    if done.pdf_sha256 != pdf_sha256:
        _refuse(
            _(
                "Mã văn bản “%(id)s” đã được nhận với một văn bản PDF khác: gói này bị từ chối "
                "(một văn bản ban hành lại phải có số, ngày mới)."
            )
            % {"id": document_id},
            "edxml_conflict",
        )
    if done.parties.get("receiver", {}).get("code") != receiver.code:
        _refuse(
            _("Mã văn bản “%(id)s” đã được một cơ quan khác tiếp nhận.") % {"id": document_id},
            "edxml_received_elsewhere",
        )
    return done.letter


def _refuse_replay(document_id: str) -> None:
    _refuse(
        _(
            "Văn bản PDF đã ký số trong gói “%(id)s” đã được nhận trước đây qua một gói edXML "
            "khác: gói này bị từ chối."
        )
        % {"id": document_id},
        "edxml_replayed_pdf",
    )


# The letter statuses in which a letter of this portal has already reached the Sở KH&CN's
# inbox (it goes there when issued); the CA's queue is reached once it is forwarded.
_BEFORE_THE_PROVINCE = {Status.DRAFT, Status.AWAITING_HEAD, Status.ISSUED, Status.CANCELLED}


def _refuse_own_letter(document_id: str, *, action: str, receiver: Organization) -> None:
    """A package of a letter this portal holds, which has already reached the importer's
    office inside the portal, is refused: importing it would make a second, row-less copy."""
    original = letter_of_document_id(document_id)
    if original is None:
        return
    if action == "exchange_receive":
        arrived = original.forwarded_at is not None
    else:
        arrived = original.status not in _BEFORE_THE_PROVINCE
    if arrived:
        _refuse(
            _(
                "Văn bản “%(number)s” đã đến %(receiver)s ngay trên Cổng (trạng thái: "
                "%(status)s): không nhận thêm một bản từ gói edXML."
            )
            % {
                "number": original.number,
                "receiver": receiver.name,
                "status": original.get_status_display(),
            },
            "edxml_already_here",
        )


def letter_edxml_import(*, data: bytes, by) -> CertRequest:
    """Create the letter a package carries, as received by `by`'s organisation: the sender
    matched by its code (an unknown code is refused), the importer's right to receive it
    decided first, the signed PDF stored byte for byte and its signatures verified. A package
    imported again by the same receiving side returns the letter it made; its DocumentId
    with another PDF, or its PDF under another DocumentId (a replay), is refused."""
    package = m.read_letter(data)
    agency = Organization.objects.by_code(package.sender.code)
    if agency is None:
        _refuse(
            _("Cơ quan gửi có mã định danh “%(code)s” không có trong hệ thống: không nhận gói.")
            % {"code": package.sender.code},
            "edxml_unknown_sender",
        )
    if package.form not in FormKind.values:
        _refuse(_("Loại văn bản trong gói edXML không được hỗ trợ."), "edxml_form")
    receiver, action = _receiving(package, by, agency)
    if action == "exchange_receive" and package.form not in CA_FORMS:
        # docs/domain.md §4: a Mẫu 04 is processed by the Sở KH&CN; in the CA's queue it would
        # be a letter nobody may see or act on.
        _refuse(
            _(
                "%(form)s do Sở KH&CN xử lý, không gửi đến tổ chức cung cấp dịch vụ chứng thực: "
                "không nhận gói."
            )
            % {"form": FormKind(package.form).label},
            "edxml_form_not_for_ca",
        )
    pdf = _signed_pdf(package)
    pdf_sha256 = pdf.sha256
    done = _received_package(package.document_id)
    if done is not None:
        return _already_received(
            done, pdf_sha256=pdf_sha256, receiver=receiver, document_id=package.document_id
        )
    if EdxmlMessage.objects.filter(
        direction=EdxmlMessage.Direction.RECEIVED,
        kind=EdxmlMessage.Kind.LETTER,
        pdf_sha256=pdf_sha256,
    ).exists():
        _refuse_replay(package.document_id)
    _refuse_own_letter(package.document_id, action=action, receiver=receiver)
    reports = _verified(pdf.content, agency)
    number = f"{package.number}/{package.notation}" if package.notation else package.number
    try:
        with transaction.atomic():
            letter = CertRequest.objects.create(
                form=package.form,
                agency=agency,
                status=Status.ISSUED,
                subject=package.subject[:255],
                recipients="\n".join(package.to_places)[:1000],
                number=number[:64],
                issued_on=package.promulgated_on,
                due_on=package.due_on,
                created_by=by,
            )
            locked = lock(letter)
            extra = {"forwarded_at": timezone.now()} if action == "exchange_receive" else {}
            message = EdxmlMessage.objects.create(
                letter=locked,
                direction=EdxmlMessage.Direction.RECEIVED,
                kind=EdxmlMessage.Kind.LETTER,
                document_id=package.document_id,
                parties={
                    "sender": package.sender.code,
                    "receiver": {"code": receiver.code, "name": receiver.name[:255]},
                },
                sha256=hashlib.sha256(data).hexdigest(),
                pdf_sha256=pdf_sha256,
                created_by=by,
            )
            move(
                locked,
                action,
                by=by,
                note=_("Nhận gói edXML %(id)s") % {"id": package.document_id},
                received_on=timezone.localdate(),
                **extra,
            )
            document = LetterDocument(
                letter=locked,
                version=1,
                kind=DocumentKind.SIGNED,
                number=locked.number,
                issued_on=locked.issued_on,
                created_by=by,
            )
            document.set_content(pdf.content)
            document.save()
            letter_signed_verify(document=document, by=by, reports=reports, with_report=False)
            audit_record(
                actor=by,
                action="cert_request.edxml_import",
                obj=locked,
                after={
                    "document_id": package.document_id,
                    "sender": package.sender.code,
                    "sha256": document.sha256,
                },
            )
            status_record(locked, code=m.RECEIVED, by=by, package=message)
    except IntegrityError:
        # imported at the same moment by someone else (the constraints on the DocumentId and
        # on the PDF's hash): theirs stands, and this one is judged against it
        done = _received_package(package.document_id)
        if done is not None:
            return _already_received(
                done, pdf_sha256=pdf_sha256, receiver=receiver, document_id=package.document_id
            )
        if EdxmlMessage.objects.filter(
            direction=EdxmlMessage.Direction.RECEIVED,
            kind=EdxmlMessage.Kind.LETTER,
            pdf_sha256=pdf_sha256,
        ).exists():
            _refuse_replay(package.document_id)
        raise
    return locked
