"""The device documents the agency signs and sends are e-mailed too (docs/mail.md §1): Mẫu 07
and 09 to the CA's address, Mẫu 08 to its receiving Sở KH&CN, with the agency's signed PDF
and the Word file; shown on the document's page with "Gửi lại" for the agency's clerk."""

import pytest
from django.urls import reverse

from devices.models import DeviceDocument, SigningParty
from devices.services import device_document_mails
from mailing.choices import MailStatus
from mailing.services import mail_send
from portal.documents import DocumentKind
from portal.models import AuditEvent
from tests.helpers import sign_in
from tests.mailing.helpers import CA_ADDRESS, OFFICE_ADDRESS
from tests.paperwork.device_signing_world import agency_signs, loss_of, minutes_of, notice_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("build", "form"), [(notice_of, "07"), (loss_of, "09")], ids=["mau_07", "mau_09"]
)
def test_a_signed_notice_or_loss_report_reaches_the_ca_with_both_files(
    cast,
    token,
    head,
    smtp,
    build,
    form,
):
    document = build(cast, token)
    agency_signs(document, cast.head_a)
    document.refresh_from_db()
    [mail] = device_document_mails(document)
    assert mail.recipient == CA_ADDRESS

    assert mail_send(mail_id=mail.pk) == "sent"
    [message] = smtp.received
    assert message["To"] == CA_ADDRESS
    assert document.number in message["Subject"]
    files = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert len(files) == 2
    assert all(len(name) <= 50 and name.isascii() and name.startswith(f"Mau{form}_")
               for name in files)  # fmt: skip
    signed = DeviceDocument.objects.get(kind=DocumentKind.SIGNED, party=SigningParty.AGENCY)
    [pdf] = [data for name, data in files.items() if name.endswith(".pdf")]
    assert pdf == bytes(signed.content)
    [docx] = [data for name, data in files.items() if name.endswith(".docx")]
    assert docx[:2] == b"PK"


def test_a_return_minutes_goes_to_its_receiving_office(cast, token, head, smtp):
    cast.office_1.official_email = OFFICE_ADDRESS
    cast.office_1.save(update_fields=["official_email"])
    minutes = minutes_of(cast, token)
    agency_signs(minutes, cast.head_a)
    minutes.refresh_from_db()
    assert [m.recipient for m in device_document_mails(minutes)] == [OFFICE_ADDRESS]


def test_the_failure_shows_on_the_page_and_only_the_agencys_clerk_resends(
    cast,
    token,
    head,
    smtp,
    client,
):
    notice = notice_of(cast, token)
    agency_signs(notice, cast.head_a)
    [mail] = device_document_mails(notice)
    smtp.handler.refuse_with = "550 5.1.1 Mailbox does not exist"
    assert mail_send(mail_id=mail.pk) == "failed"
    page = reverse("devices:notice_detail", args=[notice.pk])
    resend = reverse("devices:notice_mail_resend", args=[notice.pk, mail.pk])

    sign_in(client, cast.ca_operator)
    text = client.get(page).content.decode()
    assert f"Không gửi được thư tới {CA_ADDRESS} (550 5.1.1 Mailbox does not exist)" in text
    assert "data-mail-resend" not in text
    assert client.post(resend).status_code == 403
    sign_in(client, cast.clerk_b)
    assert client.post(resend).status_code == 404

    sign_in(client, cast.clerk_a)
    assert "data-mail-resend" in client.get(page).content.decode()
    assert client.post(resend).status_code == 302
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING
    assert AuditEvent.objects.filter(action="outgoing_mail.resend", actor=cast.clerk_a).exists()
