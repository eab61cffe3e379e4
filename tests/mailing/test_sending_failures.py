"""No mail is left "Đang chờ gửi" for ever, sent twice by the sweep, or sent and shown unsent
(docs/mail.md §3): an unexpected error is a recorded attempt, a header is one line, a bad
address is refused when the mail is written, spent attempts are given up, the sweep marks what
it queues, and a success that outlasted its lease is kept."""

from datetime import timedelta

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.checks import run_checks
from django.utils import timezone

from mailing import services as mailing_services
from mailing.choices import MailStatus
from mailing.models import OutgoingMail
from mailing.sending import Outcome
from mailing.services import mail_send, mail_sweep
from requests_app import services
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests.mailing.helpers import CA_ADDRESS, OFFICE_ADDRESS, SIGNED, mails_of, signed_letter
from tests.requests_app.letters import draft

pytestmark = pytest.mark.django_db


def test_a_subject_and_an_agency_name_with_line_breaks_are_sent_on_one_line(cast, smtp):
    cast.agency_a.name = "Sở Tài chính\r\ntỉnh Lai Châu"  # pasted from Excel
    cast.agency_a.save(update_fields=["name"])
    cast.office_1.official_email = OFFICE_ADDRESS
    cast.office_1.save(update_fields=["official_email"])
    letter = draft(cast, FormKind.ISSUE_ORGANIZATION)
    # what a crafted POST could have stored
    CertRequest.objects.filter(pk=letter.pk).update(subject="cấp chứng thư\r\nBcc: x@example.org")
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a, number="12/STC-CKS")
    letter.refresh_from_db()
    services.letter_signed_store(cert_request_id=letter.pk, number=letter.number, pdf=SIGNED,
                                 by=cast.head_a, source="upload")  # fmt: skip
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    assert "\n" not in mail.subject and "\r" not in mail.subject
    assert "Sở Tài chính tỉnh Lai Châu" in mail.subject

    assert mail_send(mail_id=mail.pk) == "sent"
    [message] = smtp.received
    assert "Sở Tài chính tỉnh Lai Châu" in message["Subject"]
    assert "cấp chứng thư Bcc: x@example.org" in message["Subject"]
    assert message["Bcc"] is None


def test_a_subject_typed_with_a_line_break_is_collapsed_when_the_mail_is_written(cast, smtp):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    assert mailing_services.one_line("V/v cấp\r\nchứng thư\x0bsố\u2028mới\t ") == (
        "V/v cấp chứng thư số mới"
    )
    # what a crafted POST would have stored: the row is written from it
    new = mailing_services.NewMail(
        about="cert_request:0", purpose=mail.purpose, recipient=CA_ADDRESS,
        subject="Mẫu 02: cấp\r\nBcc: x@example.org", body="…", recipient_name="Cục\nCTS",
    )  # fmt: skip
    [pk] = mailing_services.mail_queue(mails=[new])
    written = OutgoingMail.objects.get(pk=pk)
    assert written.subject == "Mẫu 02: cấp Bcc: x@example.org"
    assert written.recipient_name == "Cục CTS"
    assert mail_send(mail_id=pk) == "sent"


def test_an_unexpected_storage_error_is_a_recorded_attempt_tried_again(cast, smtp, monkeypatch):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]

    def unreachable(*args, **kwargs):
        raise EndpointConnectionError(endpoint_url="http://minio:9000/documents")

    monkeypatch.setattr("mailing.sending.content_read", unreachable)
    assert mail_send(mail_id=mail.pk) == "retry"
    mail.refresh_from_db()
    assert mail.status == MailStatus.PENDING and mail.attempts == 1
    assert mail.last_error.startswith("EndpointConnectionError")
    assert mail.next_attempt_at > timezone.now()
    assert mail.tries.get().error.startswith("EndpointConnectionError")
    assert smtp.received == []


def test_an_unexpected_error_on_the_last_attempt_gives_the_mail_up(cast, smtp, monkeypatch,
                                                                  settings):  # fmt: skip
    settings.PORTAL_MAIL_MAX_ATTEMPTS = 1
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    monkeypatch.setattr("mailing.sending.content_read", lambda *a, **k: 1 / 0)
    assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
    assert "ZeroDivisionError" in mail.last_error


def test_a_mail_whose_attempts_are_spent_is_given_up_not_claimed(cast, smtp):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]
    # every attempt claimed by a worker that died before recording it
    OutgoingMail.objects.filter(pk=mail.pk).update(
        attempts=mail.give_up_after, next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED and mail.attempts == mail.give_up_after
    assert smtp.received == []


def test_a_malformed_address_is_written_failed_and_never_queued(cast, smtp, settings):
    settings.PORTAL_MAIL_CA_ADDRESS = "ca@bcy.gov.vn, khac@bcy.gov.vn"
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient.startswith("ca@")]
    assert mail.status == MailStatus.FAILED
    assert mail.last_error == mailing_services.INVALID_ADDRESS
    assert mail_send(mail_id=mail.pk) == "skipped"


def test_the_system_checks_refuse_a_malformed_ca_address(settings):
    settings.PORTAL_MAIL_CA_ADDRESS = "ca@bcy.gov.vn\n"
    assert "mailing.E001" in {error.id for error in run_checks()}
    settings.PORTAL_MAIL_CA_ADDRESS = "ca@bcy.gov.vn"
    assert "mailing.E001" not in {error.id for error in run_checks()}


def test_the_system_checks_refuse_mailing_the_ca_through_the_console(settings):
    settings.DEBUG = False
    settings.PORTAL_MAIL_CA_ADDRESS = "ca@bcy.gov.vn"
    settings.EMAIL_HOST = ""
    assert "mailing.E002" in {error.id for error in run_checks()}
    settings.EMAIL_HOST = "smtp.example.gov.vn"
    assert "mailing.E002" not in {error.id for error in run_checks()}
    # make run: DEBUG, no CA address, the console backend
    settings.DEBUG = True
    settings.PORTAL_MAIL_CA_ADDRESS = ""
    settings.EMAIL_HOST = ""
    assert "mailing.E002" not in {error.id for error in run_checks()}


def test_two_sweeps_in_a_row_queue_each_overdue_mail_once(
    cast, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    letter = signed_letter(cast)
    OutgoingMail.objects.filter(about=f"cert_request:{letter.pk}").update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    queued = []
    monkeypatch.setattr(
        mailing_services, "enqueue", lambda name, pk, **kwargs: queued.append(pk) or True
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = mail_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        second = mail_sweep()
    assert (first, second) == (2, 0)
    assert sorted(queued) == sorted(m.pk for m in mails_of(letter)), "each mail once"
    # the task still finds them due
    assert all(mail_send(mail_id=pk) == "sent" for pk in queued)


def test_a_success_that_outlasted_its_lease_is_kept(cast, smtp, monkeypatch):
    letter = signed_letter(cast)
    [mail] = [m for m in mails_of(letter) if m.recipient == CA_ADDRESS]

    def slow_send(claimed):
        # while the server took its time, the lease ran out and another worker claimed
        # attempt 2 (still talking to the server)
        OutgoingMail.objects.filter(pk=claimed.pk).update(attempts=2)
        return Outcome(True, smtp_code=250, duration_ms=130_000)

    monkeypatch.setattr(mailing_services, "send", slow_send)
    assert mail_send(mail_id=mail.pk) == "sent"
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.sent_at is not None
    OutgoingMail.objects.filter(pk=mail.pk).update(next_attempt_at=timezone.now())
    assert mail_send(mail_id=mail.pk) == "skipped", "not mailed again"
