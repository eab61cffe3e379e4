"""Outgoing mails past PORTAL_RETENTION_MAIL_DAYS deleted with their attempts by the retention
sweep (docs/retention.md); pending and fresh ones kept, audited, twice changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailing.choices import MailPurpose, MailStatus
from mailing.models import MailAttempt, OutgoingMail
from mailing.services import mail_retention_sweep
from portal.audit import audit_verify
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _mail(status, *, days_ago: float) -> OutgoingMail:
    mail = OutgoingMail.objects.create(
        about=f"cert_request:{status}-{days_ago}",
        purpose=MailPurpose.LETTER_ISSUED,
        recipient="vanthu@laichau.gov.vn",
        subject="Văn bản",
        body="Kính gửi",
        message_id=f"<{status}-{days_ago}@portal>",
        status=status,
        next_attempt_at=timezone.now(),
    )
    MailAttempt.objects.create(mail=mail, number=1, started_at=timezone.now())
    OutgoingMail.objects.filter(pk=mail.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return mail


def test_mails_sent_or_failed_past_their_period_are_deleted_and_pending_or_fresh_ones_kept(cast):
    _mail(MailStatus.SENT, days_ago=91)
    _mail(MailStatus.FAILED, days_ago=91)
    pending = _mail(MailStatus.PENDING, days_ago=91)
    fresh = _mail(MailStatus.SENT, days_ago=89)

    assert mail_retention_sweep() == 2
    assert mail_retention_sweep() == 0

    assert set(OutgoingMail.objects.values_list("pk", flat=True)) == {pending.pk, fresh.pk}
    assert MailAttempt.objects.count() == 2
    event = AuditEvent.objects.get(action="retention.delete", after__model="mailing.outgoingmail")
    assert (event.after["count"], event.reason) == (2, "PORTAL_RETENTION_MAIL_DAYS")
    assert audit_verify().ok


def test_it_keeps_a_sent_mail_90_days_old_and_deletes_one_91_days_old(cast, settings):
    assert settings.PORTAL_RETENTION_MAIL_DAYS == 90
    now = timezone.now()
    mails = {days: _mail(MailStatus.SENT, days_ago=days) for days in (90, 91)}
    for days, mail in mails.items():
        OutgoingMail.objects.filter(pk=mail.pk).update(created_at=now - timedelta(days=days))

    assert mail_retention_sweep(now=now) == 1

    assert list(OutgoingMail.objects.values_list("pk", flat=True)) == [mails[90].pk]
