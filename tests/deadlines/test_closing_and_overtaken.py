"""Notifications whose reason passed close by themselves; a renewal overtaken by time is told
to its agency once (docs/domain.md §5.9)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import Notification
from portal.notifications import notify, unread_count
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.deadlines import deadlines_sweep
from requests_app.models import CertRequest
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_waiting_for_signature_closes_once_the_letter_left_awaiting_head(cast):
    letter = f.letter_draft(cast)
    f.letter_row_add(letter, cast.clerk_a)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    waiting = Notification.objects.get(user=cast.head_a, kind="awaiting_head")
    assert waiting.subject == f"letter:{letter.pk}"
    assert unread_count(cast.head_a) == 1
    deadlines_sweep()
    waiting.refresh_from_db()
    assert waiting.closed_at is None  # still waiting
    CertRequest.objects.filter(pk=letter.pk).update(status=Status.ISSUED)
    deadlines_sweep()
    waiting.refresh_from_db()
    assert waiting.closed_at is not None
    assert unread_count(cast.head_a) == 0


def test_a_pending_renewal_under_30_days_is_told_to_its_agency_once(cast, time_machine):
    target = f.certificate_valid_for(cast, days_left=35, person=cast.subscriber)
    letter = f.letter_draft(cast, form=FormKind.RENEW_CHANGE)
    services.row_save(
        cert_request=letter, by=cast.clerk_a, data={"certificate": target, "renew": True}
    )
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    CertRequest.objects.filter(pk=letter.pk).update(status=Status.PROVINCE_REVIEW, number="7/STC")
    assert deadlines_sweep()["overtaken"] == 0
    time_machine.move_to(timezone.now() + timedelta(days=6))
    assert deadlines_sweep()["overtaken"] == 2
    assert deadlines_sweep()["overtaken"] == 0
    told = Notification.objects.filter(kind="renewal_overtaken")
    assert sorted(told.values_list("user__username", flat=True)) == ["clerk_a", "head_a"]
    assert "đề nghị lập văn bản đề nghị cấp mới" in told.first().message
    assert target.serial in told.first().message


def test_notify_with_a_key_tells_each_user_once(cast):
    for _ in range(2):
        notify(users=[cast.clerk_a, cast.head_a], message="Nhắc việc", key="test:1:reminder")
    assert Notification.objects.filter(key="test:1:reminder").count() == 2
    assert notify(users=[cast.clerk_a], message="Nhắc việc", key="test:1:reminder") == 0


def test_notify_without_a_key_may_repeat(cast):
    notify(users=[cast.clerk_a], message="Một")
    notify(users=[cast.clerk_a], message="Một")
    assert Notification.objects.filter(user=cast.clerk_a).count() == 2


def test_a_letter_forwarded_with_the_same_due_date_keeps_only_the_cas_deadline(cast):
    from portal.models import Deadline

    letter = f.letter_draft(cast)
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.PROVINCE_REVIEW, due_on=timezone.localdate() + timedelta(days=3)
    )
    deadlines_sweep()
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.FORWARDED, forwarded_at=timezone.now()
    )  # the CA's three working days happen to end the day the province's did
    deadlines_sweep()
    open_kinds = list(
        Deadline.objects.filter(subject=f"letter:{letter.pk}", closed_at=None).values_list(
            "kind", flat=True
        )
    )
    assert open_kinds == [Deadline.Kind.CA_PROCESSING]
