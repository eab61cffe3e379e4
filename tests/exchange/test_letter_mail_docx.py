"""The issued letter's Word file is rendered by the mail worker, not in the transaction that
stores the signed letter with the letter's row locked (docs/mail.md §2): the mails are
written there as before, the file is rendered once at the first attempt, kept, and every mail
of that issuance carries the same bytes under the same name."""

import hashlib
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from exchange.services import mail as letter_mail
from mailing.choices import MailStatus
from mailing.models import OutgoingMail
from mailing.services import mail_resend, mail_send
from portal.documents import document_storage
from portal.lib.stored_files import content_put, content_read
from requests_app import services
from requests_app.models import CertRequest, LetterDocument
from tests.helpers import postgresql_only
from tests.mailing.helpers import CA_ADDRESS, OFFICE_ADDRESS, SIGNED, mails_of, signed_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """Each rendering of a letter's Word file, with what the renderer saw: whether its
    process was inside a transaction, and whether another connection could lock the letter's
    row (without waiting) meanwhile. The real renderer does the work."""
    seen = []
    real = letter_mail.render_docx

    def rendering(template, context):
        seen.append(
            {
                "letter": context["letter"].pk,
                "in_transaction": connection.in_atomic_block,
                "row_free": row_free(context["letter"].pk),
            }
        )
        return real(template, context)

    monkeypatch.setattr(letter_mail, "render_docx", rendering)
    return seen


def row_free(letter_id: int) -> bool:
    """Whether another connection can lock the letter's row at once (FOR UPDATE NOWAIT)."""
    result = []

    def probe():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM requests_app_certrequest WHERE id = %s FOR UPDATE NOWAIT",
                    [letter_id],
                )
                result.append(cursor.fetchone() is not None)
        except Exception:  # noqa: BLE001 - a lock held elsewhere: "could not obtain lock"
            result.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=30)
    return result == [True]


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_storing_the_signed_letter_renders_no_word_file_and_the_mails_carry_one(
    cast, smtp, renders
):
    letter = signed_letter(cast)
    mails = {mail.recipient: mail for mail in mails_of(letter)}
    assert set(mails) == {CA_ADDRESS, OFFICE_ADDRESS}, "the mails are written with the letter"
    assert renders == [], "nothing rendered while the signed letter was stored"

    assert mail_send(mail_id=mails[CA_ADDRESS].pk) == "sent"
    assert mail_send(mail_id=mails[OFFICE_ADDRESS].pk) == "sent"

    assert len(renders) == 1, "rendered once, at the first attempt, for both mails"
    date = letter.issued_on.isoformat()
    pdf_name, docx_name = f"Mau02_12-STC-CKS_{date}.pdf", f"Mau02_12-STC-CKS_{date}.docx"
    to_ca, to_office = (attachments(message) for message in smtp.received)
    assert set(to_ca) == set(to_office) == {pdf_name, docx_name}
    assert to_ca[pdf_name] == SIGNED, "the stored signed bytes, as signed"
    assert to_ca[docx_name][:2] == b"PK", "a Word (OOXML) file"
    assert to_office[docx_name] == to_ca[docx_name], "the same file in both mails"
    signed = services.letter_signed_current(letter)
    assert signed.editable_sha256 == hashlib.sha256(to_ca[docx_name]).hexdigest()
    stored = content_read(document_storage(), signed.editable_sha256, extension=".docx")
    assert stored == to_ca[docx_name], "kept in the documents' storage"


def test_a_resend_after_the_letter_changed_mails_the_file_as_first_rendered(cast, smtp, renders):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    assert mail_send(mail_id=mail.pk) == "sent"
    first = attachments(smtp.received[0])
    # the letter changes afterwards (its subject), the mail comes back and is sent again
    CertRequest.objects.filter(pk=letter.pk).update(subject="V/v một trích yếu khác")
    OutgoingMail.objects.filter(pk=mail.pk).update(status=MailStatus.FAILED)
    assert mail_resend(mail=mail, by=cast.clerk_a)
    assert mail_send(mail_id=mail.pk) == "sent"
    assert attachments(smtp.received[1]) == first, "the very bytes first mailed"
    assert len(renders) == 1, "never rendered again"


def test_a_letter_issued_again_before_the_first_attempt_is_not_mailed_with_a_new_word_file(
    cast, smtp, renders
):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    CertRequest.objects.filter(pk=letter.pk).update(number="13/STC-CKS")
    assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert "issued again" in mail.last_error and "12/STC-CKS" in mail.last_error
    assert renders == [] and smtp.received == []


@pytest.mark.django_db(transaction=True)
def test_the_word_file_is_rendered_with_the_letters_row_unlocked(cast, smtp, renders):
    postgresql_only("FOR UPDATE NOWAIT from another connection")
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    assert renders == []
    assert mail_send(mail_id=mail.pk) == "sent"
    assert renders == [{"letter": letter.pk, "in_transaction": False, "row_free": True}]
    # and the probe can see a lock: held, the row is not free
    with transaction.atomic():
        CertRequest.objects.select_for_update().get(pk=letter.pk)
        assert not row_free(letter.pk)


def test_a_word_file_that_cannot_be_rendered_is_retried_and_then_mailed(cast, smtp, monkeypatch):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    real = letter_mail.render_docx

    def broken(template, context):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(letter_mail, "render_docx", broken)
    assert mail_send(mail_id=mail.pk) == "retry"
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING and "template engine down" in mail.last_error
    assert smtp.received == []

    monkeypatch.setattr(letter_mail, "render_docx", real)
    OutgoingMail.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
    assert mail_send(mail_id=mail.pk) == "sent"
    assert len(attachments(smtp.received[0])) == 2


def test_two_workers_rendering_at_once_mail_the_file_recorded_first(cast, smtp, monkeypatch):
    """The other worker records its file while this one renders: this one mails that file,
    the bytes recorded on the signed version, not its own."""
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    signed = services.letter_signed_current(letter)
    theirs = b"PK\x03\x04 the other worker's file"
    real = letter_mail.render_docx

    def racing(template, context):
        ours = real(template, context)
        content_put(document_storage(), theirs, extension=".docx")
        LetterDocument.objects.filter(pk=signed.pk).update(
            editable_sha256=hashlib.sha256(theirs).hexdigest()
        )
        return ours

    monkeypatch.setattr(letter_mail, "render_docx", racing)
    assert mail_send(mail_id=mail.pk) == "sent"
    docx = [v for k, v in attachments(smtp.received[0]).items() if k.endswith(".docx")]
    assert docx == [theirs]
    signed.refresh_from_db()
    assert signed.editable_sha256 == hashlib.sha256(theirs).hexdigest()
