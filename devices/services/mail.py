"""A device document e-mailed to its receiving side once the agency has signed and sent it
(docs/mail.md §1): the Mẫu 07 notice and the Mẫu 09 minutes to the CA's address, the Mẫu 08
minutes to their receiver (the CA's address, or the receiving Sở KH&CN's official e-mail). The
same outbox as the letters' (`mailing`), written in the signing transaction, with the agency's
stored signed PDF and a Word file rendered once and kept."""

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone, translation

from agencies.access import scope_for
from agencies.choices import Role
from agencies.documents import signatory_for
from devices.choices import ReceiverKind
from devices.models import DeviceDocument, HandoverNotice, LossReport, ReturnMinutes
from devices.models.stored import SigningParty
from devices.services.documents import PDF_TEMPLATE, spec
from mailing.choices import MailPurpose
from mailing.models import OutgoingMail
from mailing.services import NewMail, mail_queue, mail_resend
from portal.documents import DocumentKind, document_storage
from portal.lib.docx import render_docx
from portal.lib.filenames import MAX_LENGTH, safe_file_name
from portal.lib.stored_files import content_put

logger = logging.getLogger(__name__)

ABOUT = {
    HandoverNotice: "handover_notice",
    ReturnMinutes: "return_minutes",
    LossReport: "loss_report",
}
CA_NAME = "Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def device_document_about(document) -> str:
    return f"{ABOUT[type(document)]}:{document.pk}"


def _day(value):
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def recipients_for(document) -> list[tuple[str, str]]:
    """(address, office name) of the document's receiving side."""
    if isinstance(document, ReturnMinutes) and document.receiver_kind == ReceiverKind.PROVINCE:
        office = document.receiver
        return [(office.official_email, office.name)] if office.official_email else []
    if settings.PORTAL_MAIL_CA_ADDRESS:
        return [(settings.PORTAL_MAIL_CA_ADDRESS, CA_NAME)]
    return []


def device_document_mail_queue(locked) -> list[int]:
    """Write the mails of the document `locked` the agency has just signed and sent, in the
    caller's transaction (its agency's signed version stored already). A second call writes
    nothing."""
    to = recipients_for(locked)
    form, field, _template, _context, day = spec(locked)
    signed = DeviceDocument.objects.filter(
        **{field: locked}, kind=DocumentKind.SIGNED, party=SigningParty.AGENCY
    ).first()
    if not to or signed is None:
        logger.warning("%s sent: no address to mail, or no signed version", locked)
        return []
    day = _day(day)
    date = day.isoformat() if day else ""
    fixed = len(f"Mau{form}__{date}.docx")
    stem = f"Mau{form}_{locked.number.replace('/', '-')[: MAX_LENGTH - fixed]}_{date}"
    signed_name = safe_file_name(stem, extension=".pdf")
    editable_name = safe_file_name(stem, extension=".docx")
    with translation.override("vi"):
        # The Word file as the signed PDF reads: the same template, the signer's block.
        form, field, template, context, _day_ = spec(
            locked, signatory_for(signed.created_by, locked.agency) if signed.created_by else None
        )
        docx = render_docx(
            PDF_TEMPLATE,
            {**context, "document_template": template, "document_title": str(locked)},
        )
        content_put(document_storage(), docx, extension=".docx")
        attachments = [
            {"name": signed_name, "sha256": signed.sha256, "extension": ".pdf",
             "content_type": PDF},
            {"name": editable_name, "sha256": hashlib.sha256(docx).hexdigest(),
             "extension": ".docx", "content_type": DOCX},
        ]  # fmt: skip
        title = str(locked)
        day_text = day.strftime("%d/%m/%Y") if day else ""
        mails = [
            NewMail(
                about=device_document_about(locked),
                issuance=locked.number,
                purpose=MailPurpose.DEVICE_DOCUMENT_SENT,
                recipient=address,
                recipient_name=name,
                subject=f"{title} ngày {day_text} - {locked.agency.name}",
                body=render_to_string(
                    "emails/device_document_sent.txt",
                    {
                        "office": name,
                        "agency": locked.agency.name,
                        "title": title,
                        "day": day_text,
                        "signed_name": signed_name,
                        "editable_name": editable_name,
                    },
                ),
                attachments=attachments,
            )
            for address, name in to
        ]
    return mail_queue(mails=mails)


def device_document_mails(document):
    return OutgoingMail.objects.about(device_document_about(document)).order_by("created_at", "pk")


def may_resend_device_mail(user, document) -> bool:
    """A clerk of the document's agency, or an administrator."""
    scope = scope_for(user)
    return scope.is_admin or scope.holds(Role.AGENCY_CLERK, document.agency.path)


def device_document_mail_resend(*, document, mail_id: int, by) -> bool:
    """Send one of the document's mails again, audited by `mailing`. The caller has found the
    document in the user's scope; another document's mail is a 404, a user who is not a clerk
    of the agency nor an administrator a 403."""
    mail = get_object_or_404(device_document_mails(document), pk=mail_id)
    if not may_resend_device_mail(by, document):
        raise PermissionDenied
    return mail_resend(mail=mail, by=by)
