"""An issued letter is e-mailed to the office that receives it, over SMTP to a real server on
loopback (docs/mail.md): both files attached under short ASCII names, failures tried again and
shown on the letter, a refusal shown for good, "Gửi lại" for the agency's clerk only.

The task's body (`mail_send`) is called directly here; tests/mailing/test_worker.py runs a
real worker and beat."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from exchange.services.mail import letter_mail_queue
from mailing.choices import MailStatus
from mailing.models import OutgoingMail
from mailing.services import mail_send, mail_sweep
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests.helpers import sign_in
from tests.mailing.helpers import CA_ADDRESS, OFFICE_ADDRESS, SIGNED, mails_of, page, signed_letter
from tests.requests_app.letters import draft, issue_signed

pytestmark = pytest.mark.django_db


def test_an_issued_letter_reaches_the_ca_with_the_signed_pdf_and_the_word_file(cast, smtp):
    letter = signed_letter(cast)
    mails = {mail.recipient: mail for mail in mails_of(letter)}
    assert set(mails) == {CA_ADDRESS, OFFICE_ADDRESS}, "the CA, and the Sở KH&CN to follow it"

    assert mail_send(mail_id=mails[CA_ADDRESS].pk) == "sent"

    [message] = smtp.received
    assert smtp.handler.envelopes[0][1] == [CA_ADDRESS]
    assert message["To"] == CA_ADDRESS
    assert message["Message-ID"] == mails[CA_ADDRESS].message_id
    assert "Mẫu 02 - Số 12/STC-CKS" in message["Subject"]
    assert cast.agency_a.name in message["Subject"]
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    date = letter.issued_on.isoformat()
    assert set(files) == {f"Mau02_12-STC-CKS_{date}.pdf", f"Mau02_12-STC-CKS_{date}.docx"}
    for name in files:
        assert len(name) <= 50 and name.isascii()
    assert files[f"Mau02_12-STC-CKS_{date}.pdf"] == SIGNED, "the stored signed bytes, as signed"
    assert files[f"Mau02_12-STC-CKS_{date}.docx"][:2] == b"PK", "a Word (OOXML) file"
    assert "12/STC-CKS" in message.get_body(("plain",)).get_content()

    sent = OutgoingMail.objects.get(pk=mails[CA_ADDRESS].pk)
    assert sent.status == MailStatus.SENT and sent.sent_at is not None
    assert sent.tries.get().smtp_code == 250


def test_a_long_number_still_gives_names_of_at_most_50_ascii_characters(cast, smtp):
    letter = draft(cast, FormKind.REVOKE)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    number = "1234/QĐ-SỞTÀICHÍNH-CHỨNGTHƯSỐ-THUHỒI-ĐỢT-MỘT"
    services.cert_request_issue(cert_request=letter, by=cast.head_a, number=number)
    letter.refresh_from_db()
    services.letter_signed_store(cert_request_id=letter.pk, number=letter.number, pdf=SIGNED,
                                 by=cast.head_a, source="upload")  # fmt: skip
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    names = [item["name"] for item in mail.attachments]
    assert all(len(name) <= 50 and name.isascii() for name in names), names
    assert all(letter.issued_on.isoformat() in name for name in names), "the date is kept"


def test_mau_04_goes_to_the_provinces_office_only(cast, smtp):
    letter = signed_letter(cast, FormKind.RENEW_CHANGE)
    assert [mail.recipient for mail in mails_of(letter)] == [OFFICE_ADDRESS]


def test_an_office_without_an_address_gets_no_mail_and_the_page_says_so(cast, smtp, client):
    letter = signed_letter(cast, FormKind.RENEW_CHANGE, office_email="")
    assert mails_of(letter) == []
    text = page(client, cast.clerk_a, letter).content.decode()
    assert f"Chưa gửi thư: {escape(cast.office_1.name)} chưa có địa chỉ thư điện tử" in text


def test_an_office_with_an_address_is_not_said_to_lack_one(cast, smtp, client):
    letter = signed_letter(cast, FormKind.RENEW_CHANGE)
    assert "data-mail-missing" not in page(client, cast.clerk_a, letter).content.decode()


def test_storing_the_signature_again_or_a_redelivered_task_never_mails_twice(cast, smtp):
    letter = signed_letter(cast)
    services.letter_signed_store(cert_request_id=letter.pk, number=letter.number, pdf=SIGNED,
                                 by=cast.head_a, source="upload")  # fmt: skip
    assert len(mails_of(letter)) == 2
    # the second storing found the version stored: write the mails again, as a retried
    # transaction would, to reach the ON CONFLICT DO NOTHING of the constraint
    locked = CertRequest.objects.get(pk=letter.pk)
    with transaction.atomic():
        assert letter_mail_queue(locked, services.letter_signed_current(letter)) == []
    assert len(mails_of(letter)) == 2
    mail = mails_of(letter)[0]
    assert mail_send(mail_id=mail.pk) == "sent"
    assert mail_send(mail_id=mail.pk) == "skipped", "a redelivered task sends nothing"
    assert len(smtp.received) == 1


def test_a_stopped_server_is_retried_shown_on_the_letter_and_delivered_once_back(
    cast, smtp, client
):
    letter = signed_letter(cast)
    mail = next(m for m in mails_of(letter) if m.recipient == CA_ADDRESS)
    smtp.stop()

    assert mail_send(mail_id=mail.pk) == "retry"
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING
    assert "ConnectionRefusedError" in mail.last_error
    assert mail.next_attempt_at > timezone.now()
    assert mail_send(mail_id=mail.pk) == "skipped", "not due before its backoff"
    text = page(client, cast.clerk_a, letter).content.decode()
    retry_at = timezone.localtime(mail.next_attempt_at).strftime("%d/%m/%Y %H:%M")
    assert f"Gửi thư tới {CA_ADDRESS} thất bại: ConnectionRefusedError" in text
    assert f"sẽ thử lại lúc {retry_at}" in text

    smtp.start()
    OutgoingMail.objects.filter(pk=mail.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    assert mail_sweep() >= 1, "the sweep finds it due"
    assert mail_send(mail_id=mail.pk) == "sent"
    assert [m["To"] for m in smtp.received] == [CA_ADDRESS]
    mail.refresh_from_db()
    assert mail.attempts == 2 and [t.smtp_code for t in mail.tries.all()] == [None, 250]
    text = page(client, cast.clerk_a, letter).content.decode()
    assert f"Đã gửi thư điện tử tới {CA_ADDRESS} lúc" in text


def test_a_mail_given_up_after_its_attempts_is_shown_as_not_sent(cast, smtp, settings, client):
    settings.PORTAL_MAIL_MAX_ATTEMPTS = 1
    letter = signed_letter(cast)
    mail = next(m for m in mails_of(letter) if m.recipient == CA_ADDRESS)
    smtp.stop()
    assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
    text = page(client, cast.clerk_a, letter).content.decode()
    assert f"Không gửi được thư tới {CA_ADDRESS} (ConnectionRefusedError" in text


def test_a_5xx_reply_is_a_permanent_failure_shown_on_the_letter(cast, smtp, client):
    letter = signed_letter(cast)
    mail = next(m for m in mails_of(letter) if m.recipient == CA_ADDRESS)
    smtp.handler.refuse_with = "550 5.1.1 Mailbox does not exist"

    assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED and mail.last_smtp_code == 550
    assert mail.attempts == 1, "not tried again"
    assert AuditEvent.objects.filter(action="outgoing_mail.failed").exists()
    text = page(client, cast.clerk_a, letter).content.decode()
    assert f"Không gửi được thư tới {CA_ADDRESS} (550 5.1.1 Mailbox does not exist)" in text
    assert "data-mail-resend" in text


def test_a_4xx_reply_is_tried_again(cast, smtp):
    letter = signed_letter(cast)
    mail = mails_of(letter)[0]
    smtp.handler.refuse_with = "451 4.3.0 Try again later"
    assert mail_send(mail_id=mail.pk) == "retry"
    mail.refresh_from_db()
    assert mail.last_smtp_code == 451 and mail.status == MailStatus.PENDING


def test_the_clerk_resends_a_failed_mail_and_it_is_audited(cast, smtp, client):
    letter = signed_letter(cast)
    mail = next(m for m in mails_of(letter) if m.recipient == CA_ADDRESS)
    smtp.handler.refuse_with = "550 5.7.1 Rejected"
    mail_send(mail_id=mail.pk)
    smtp.handler.refuse_with = ""

    sign_in(client, cast.clerk_a)
    response = client.post(reverse("exchange:mail_resend", args=[letter.pk, mail.pk]))
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING
    event = AuditEvent.objects.get(action="outgoing_mail.resend")
    assert event.actor_id == cast.clerk_a.pk
    assert mail_send(mail_id=mail.pk) == "sent"
    assert len(smtp.received) == 1
    assert smtp.received[0]["Message-ID"] == mail.message_id, "the same Message-ID"


@pytest.mark.parametrize(
    ("who", "status"), [("clerk_b", 404), ("clerk_c", 404), ("officer_1", 403)]
)
def test_only_the_agencys_clerk_or_an_admin_may_resend(cast, smtp, client, who, status):
    letter = signed_letter(cast)
    mail = mails_of(letter)[0]
    smtp.handler.refuse_with = "550 5.7.1 Rejected"
    mail_send(mail_id=mail.pk)
    user = getattr(cast, who)

    sign_in(client, user)
    response = client.post(reverse("exchange:mail_resend", args=[letter.pk, mail.pk]))
    assert response.status_code == status
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
    if status == 403:
        text = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()
        assert "Không gửi được thư" in text, "the officer sees the failure"
        assert "data-mail-resend" not in text, "but has no button"


def test_a_mail_of_another_letter_is_not_found(cast, smtp, client):
    letter = signed_letter(cast)
    other = draft(cast, FormKind.ISSUE_ORGANIZATION)
    mail = mails_of(letter)[0]
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("exchange:mail_resend", args=[other.pk, mail.pk]))
    assert response.status_code == 404


def test_the_admin_resends_too(cast, smtp, client):
    letter = signed_letter(cast)
    mail = mails_of(letter)[0]
    smtp.handler.refuse_with = "550 5.7.1 Rejected"
    mail_send(mail_id=mail.pk)
    sign_in(client, cast.admin)
    client.post(reverse("exchange:mail_resend", args=[letter.pk, mail.pk]))
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING


def test_a_late_bounce_is_recorded_by_its_message_id_and_shown(cast, smtp, client):
    letter = signed_letter(cast)
    mail = next(m for m in mails_of(letter) if m.recipient == CA_ADDRESS)
    mail_send(mail_id=mail.pk)
    call_command("mail_mark_bounced", mail.message_id.strip("<>"), reason="550 5.2.2 mailbox full")
    mail.refresh_from_db()
    assert mail.status == MailStatus.BOUNCED
    assert AuditEvent.objects.filter(action="outgoing_mail.bounced").exists()
    text = page(client, cast.clerk_a, letter).content.decode()
    assert f"Thư tới {CA_ADDRESS} bị trả lại (550 5.2.2 mailbox full)" in text


def test_a_letter_signed_at_the_desk_is_mailed_with_its_stored_signed_version(cast, ca, smtp):
    letter = draft(cast, FormKind.ISSUE_PERSON)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    letter = issue_signed(cast, letter)
    signed = services.letter_signed_current(letter)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]

    assert mail_send(mail_id=mail.pk) == "sent"
    [message] = smtp.received
    [pdf] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content() == bytes(signed.content), "the signed version's bytes, unchanged"


def test_a_mail_whose_worker_died_mid_attempt_is_sent_once_after_its_lease(cast, smtp, settings):
    letter = signed_letter(cast)
    mail = mails_of(letter)[0]
    lease = timedelta(seconds=settings.PORTAL_MAIL_LEASE_SECONDS)
    # A worker claimed the attempt and died before speaking to the server.
    OutgoingMail.objects.filter(pk=mail.pk).update(
        attempts=1, next_attempt_at=timezone.now() + lease
    )
    assert mail_send(mail_id=mail.pk) == "skipped", "claimed: left to its worker"
    assert mail_sweep() == 0, "not queued again while the claim holds"

    OutgoingMail.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now() - lease)
    assert mail_sweep() == 1
    assert mail_send(mail_id=mail.pk) == "sent"
    assert len(smtp.received) == 1
    mail.refresh_from_db()
    assert mail.attempts == 2 and mail.status == MailStatus.SENT


def test_the_admin_marks_a_sent_mail_bounced_and_resends_it(cast, smtp, client):
    letter = signed_letter(cast)
    mail = next(m for m in mails_of(letter) if m.recipient == CA_ADDRESS)
    mail_send(mail_id=mail.pk)
    changelist = reverse("admin:mailing_outgoingmail_changelist")
    sign_in(client, cast.admin)

    client.post(changelist, {"action": "mark_bounced", "_selected_action": [mail.pk]})
    mail.refresh_from_db()
    assert mail.status == MailStatus.BOUNCED
    assert AuditEvent.objects.get(action="outgoing_mail.bounced").actor_id == cast.admin.pk

    client.post(changelist, {"action": "resend", "_selected_action": [mail.pk]})
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING
    assert mail_send(mail_id=mail.pk) == "sent"
    assert len(smtp.received) == 2, "sent, bounced, sent again on request"
