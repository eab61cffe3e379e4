"""An issued letter e-mailed to the office that receives it (docs/mail.md): written in the
outbox of the `mailing` app in the transaction that stores the signed version and hands the
letter on, with the signed PDF and the editable Word file as attachments, and sent after the
commit. A clerk of the agency (or an administrator) may ask for a mail to be sent again.

Who receives what (docs/domain.md §3.2, seed letter 004):
- Mẫu 01, 02, 03 and 05 are addressed to the CA: the mail goes to PORTAL_MAIL_CA_ADDRESS, and a
  copy to the province's Sở KH&CN (its official e-mail), which follows the letter;
- Mẫu 04 and 06 are addressed to the province's Sở KH&CN, which processes them: the mail goes
  to its official e-mail only.
An office without an address gets no mail (nothing to retry): the page says so, and a warning
is logged."""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import translation

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Organization
from mailing.attachments import AttachmentRefused
from mailing.choices import MailPurpose
from mailing.models import OutgoingMail
from mailing.services import NewMail, mail_queue, mail_resend
from portal.documents import document_storage
from portal.lib.docx import render_docx
from portal.lib.filenames import MAX_LENGTH, safe_file_name
from portal.lib.stored_files import content_put, content_read
from requests_app.documents import (
    CA_NAME,
    TEMPLATES,
    TO_PROVINCE,
    letter_document,
    subject_of,
)
from requests_app.models import CertRequest, LetterDocument
from requests_app.services.documents import issuer_of

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The kind of attachment the mail worker makes with `letter_mail_docx_make` (requests_app/apps.py).
LETTER_DOCX = "letter.docx"


def mail_about(cert_request: CertRequest) -> str:
    return f"cert_request:{cert_request.pk}"


def attachment_stem(cert_request: CertRequest) -> str:
    """ "Mau01_12-STC-CKS_2026-03-05": form, number ("/" as "-") and issue date, the number
    cut so that the longest name (".docx") stays within 50 characters."""
    date = cert_request.issued_on.isoformat() if cert_request.issued_on else ""
    fixed = len(f"Mau{cert_request.form}__{date}.docx")
    number = cert_request.number.replace("/", "-")[: MAX_LENGTH - fixed]
    return f"Mau{cert_request.form}_{number}_{date}"


def recipients_for(cert_request: CertRequest) -> list[tuple[str, str, bool]]:
    """(address, office name, is a copy) of each office the issued letter is mailed to."""
    agency = cert_request.agency
    office = Organization.objects.provincial_office_of(
        agency.province if agency.province_id else None
    )
    office_to = (office.official_email, office.name) if office and office.official_email else None
    if cert_request.form in TO_PROVINCE:
        return [(*office_to, False)] if office_to else []
    found = []
    if settings.PORTAL_MAIL_CA_ADDRESS:
        found.append((settings.PORTAL_MAIL_CA_ADDRESS, CA_NAME, False))
    if office_to and settings.PORTAL_MAIL_COPY_PROVINCE:
        found.append((*office_to, True))
    return found


def offices_without_address(cert_request: CertRequest) -> list[str]:
    """The names of the offices the letter would be mailed to but for their missing official
    e-mail (its page says they were not mailed): the province's Sở KH&CN, when it receives the
    letter or its copy."""
    if cert_request.form not in TO_PROVINCE and not settings.PORTAL_MAIL_COPY_PROVINCE:
        return []
    if hasattr(cert_request, "province_office_name"):  # read with the letter (its page)
        name, email = cert_request.province_office_name, cert_request.province_office_email
        return [name] if name and not email else []
    agency = cert_request.agency
    office = Organization.objects.provincial_office_of(
        agency.province if agency.province_id else None
    )
    return [office.name] if office and not office.official_email else []


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def letter_mail_queue(locked: CertRequest, signed: LetterDocument) -> list[int]:
    """Write the mails of the letter `locked` just signed (`signed`: its stored signed
    version), in the caller's transaction. Nothing is rendered here, with the letter's row
    locked: the mails carry the signed PDF's stored bytes, and name the Word file by its signed
    version, rendered once by the mail worker at the first attempt (`letter_mail_docx_make`).
    A second call for the same issuance writes nothing."""
    to = recipients_for(locked)
    if not to:
        logger.warning("letter %s issued: no receiving office has an e-mail address", locked.pk)
        return []
    stem = attachment_stem(locked)
    signed_name = safe_file_name(stem, extension=".pdf")
    editable_name = safe_file_name(stem, extension=".docx")
    with translation.override("vi"):
        attachments = [
            {"name": signed_name, "sha256": signed.sha256, "extension": ".pdf",
             "content_type": PDF},
            {"name": editable_name, "made_by": LETTER_DOCX, "source": signed.pk,
             "extension": ".docx", "content_type": DOCX},
        ]  # fmt: skip
        addressed_to = next((name for _address, name, copy in to if not copy), "")
        agency = locked.agency
        subject = (
            f"Mẫu {locked.form} - Số {locked.number} ngày {_date(locked.issued_on)} - "
            f"{agency.name}: {subject_of(locked)}"
        )
        mails = [
            NewMail(
                about=mail_about(locked),
                issuance=locked.number,
                purpose=MailPurpose.LETTER_ISSUED,
                recipient=address,
                recipient_name=name,
                subject=subject,
                body=render_to_string(
                    "emails/letter_issued.txt",
                    {
                        "addressee": addressed_to,
                        "office": name,
                        "addressed_to": addressed_to,
                        "copy": copy,
                        "agency": agency.name,
                        "number": locked.number,
                        "issued_on": _date(locked.issued_on),
                        "subject": subject_of(locked),
                        "signed_name": signed_name,
                        "editable_name": editable_name,
                        "contact": ", ".join(
                            v for v in (locked.contact_name, locked.contact_mobile) if v
                        ),
                    },
                ),
                attachments=attachments,
            )
            for address, name, copy in to
        ]
    return mail_queue(mails=mails)


def letter_mail_docx_make(*, source: int) -> bytes:
    """The Word file mailed with the signed version `source` (a `LetterDocument` id): the
    issued letter with that version's number and date and its signer, rendered once, outside
    any transaction (seconds for a long letter), then kept in the documents' storage and
    recorded on the version under its SHA-256; every later call returns those bytes, so a
    letter changed afterwards changes nothing mailed. Two workers rendering at once keep the
    file of the first to record it. A letter issued again under another number before the
    first attempt is refused: its rows may have changed since that version was signed, and
    the new issuance is mailed with its own files."""
    storage = document_storage()
    signed = LetterDocument.objects.select_related("letter__agency").get(pk=source)
    if signed.editable_sha256:
        return content_read(storage, signed.editable_sha256, extension=".docx")
    letter = signed.letter
    if letter.number != signed.number:
        raise AttachmentRefused(
            f"the letter was issued again as {letter.number or '(no number)'} since "
            f"{signed.number} was signed: its Word file is no longer the letter as signed"
        )
    with translation.override("vi"):
        context = letter_document(
            letter, number=signed.number, issued_on=signed.issued_on, signer=issuer_of(letter)
        )
        docx = render_docx(TEMPLATES[letter.form], context)
    # Stored by its hash before the row is locked (an unrecorded copy is harmless).
    content_put(storage, docx, extension=".docx")
    with transaction.atomic():
        locked = LetterDocument.objects.select_for_update().get(pk=source)
        if locked.editable_sha256:  # another worker's came first: its file is the one mailed
            return content_read(storage, locked.editable_sha256, extension=".docx")
        locked.editable_sha256 = hashlib.sha256(docx).hexdigest()
        locked.save(update_fields=["editable_sha256"])
    return docx


def letter_mails(cert_request: CertRequest):
    """The letter's mails, oldest first (its page shows them)."""
    return OutgoingMail.objects.about(mail_about(cert_request)).order_by("created_at", "pk")


def may_resend(user, cert_request: CertRequest) -> bool:
    """A clerk of the letter's agency, or an administrator."""
    scope = scope_for(user)
    return scope.is_admin or scope.holds(Role.AGENCY_CLERK, cert_request.agency.path)


def letter_mail_resend(*, cert_request: CertRequest, mail_id: int, by) -> bool:
    """Send one of the letter's mails again ("Gửi lại"), audited by `mailing`. The caller has
    found the letter in the user's scope; a mail of another letter is a 404, a user who is not
    a clerk of the agency nor an administrator a 403."""
    mail = get_object_or_404(letter_mails(cert_request), pk=mail_id)
    if not may_resend(by, cert_request):
        raise PermissionDenied
    return mail_resend(mail=mail, by=by)
