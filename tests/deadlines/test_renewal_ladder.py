"""The renewal ladder (docs/domain.md §5.9): one message per rung, to the agency's clerks and
head and the subscriber, never twice."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from certificates.deadlines import renewal_ladder_sweep
from portal.models import Notification
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(cast):
    return f.CertificateFactory(
        agency=cast.agency_a,
        person=cast.subscriber,
        not_after=timezone.now() + timedelta(days=100),
    )


def _at_days_left(certificate, days):
    """Travel to `days` days (and an hour) before the certificate ends."""
    return time_machine.travel(certificate.not_after - timedelta(days=days, hours=1), tick=False)


def _keys(certificate):
    return sorted(
        Notification.objects.filter(subject=f"certificate:{certificate.pk}").values_list(
            "user__username", "key"
        )
    )


def _told(cast, certificate, threshold):
    key = f"certificate:{certificate.pk}:renewal:{threshold}"
    return sorted((u, key) for u in ("clerk_a", "head_a", "subscriber_a"))


def test_nothing_is_sent_with_more_than_60_days_left(cast, certificate):
    with _at_days_left(certificate, 61):
        assert renewal_ladder_sweep() == 0
    assert _keys(certificate) == []


@pytest.mark.parametrize("days_left, threshold", [(59, 60), (44, 45), (30, 31)])
def test_each_rung_tells_clerks_head_and_subscriber_renewal_is_still_possible(
    cast, certificate, days_left, threshold
):
    with _at_days_left(certificate, days_left):
        assert renewal_ladder_sweep() == 3
    assert _keys(certificate) == _told(cast, certificate, threshold)
    message = Notification.objects.filter(user=cast.clerk_a).get().message
    assert "vẫn có thể gia hạn hoặc thay đổi thông tin" in message
    assert certificate.serial in message
    assert f"{timezone.localtime(certificate.not_after):%d/%m/%Y}" in message


def test_at_30_days_left_they_are_told_a_new_issue_is_needed(cast, certificate):
    with _at_days_left(certificate, 29):
        assert renewal_ladder_sweep() == 3
    assert _keys(certificate) == _told(cast, certificate, 30)
    message = Notification.objects.filter(user=cast.subscriber_user).get().message
    assert "không thể gia hạn hay thay đổi thông tin nữa, cần lập văn bản đề nghị cấp mới" in (
        message
    )


def test_the_whole_ladder_sends_each_rung_exactly_once(cast, certificate):
    for days_left in (70, 59, 58, 44, 40, 30, 29, 10, 1):
        with _at_days_left(certificate, days_left):
            renewal_ladder_sweep()
            renewal_ladder_sweep()
    assert Notification.objects.filter(user=cast.head_a).count() == 4
    assert sorted(Notification.objects.filter(user=cast.head_a).values_list("key", flat=True)) == [
        f"certificate:{certificate.pk}:renewal:{t}" for t in (30, 31, 45, 60)
    ]


def test_other_agencies_and_expired_or_revoked_certificates_are_left_alone(cast, certificate):
    f.CertificateFactory(
        agency=cast.agency_a,
        not_after=certificate.not_after,
        status="revoked",
        revoked_at=timezone.now(),
        revocation_reason="key_compromise",
    )
    with _at_days_left(certificate, 59):
        renewal_ladder_sweep()
    assert not Notification.objects.filter(user=cast.clerk_b).exists()
    assert Notification.objects.count() == 3
    with time_machine.travel(certificate.not_after + timedelta(hours=1), tick=False):
        assert renewal_ladder_sweep() == 0


def test_only_new_rows_are_emailed(cast, certificate, django_capture_on_commit_callbacks):
    with _at_days_left(certificate, 59):
        with django_capture_on_commit_callbacks(execute=True):
            renewal_ladder_sweep()
        with django_capture_on_commit_callbacks(execute=True):
            renewal_ladder_sweep()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        u.email for u in (cast.clerk_a, cast.head_a, cast.subscriber_user) if u.email
    )


def test_thresholds_are_settings(cast, certificate, settings):
    settings.PORTAL_RENEWAL_NOTICE_DAYS = [90]
    with _at_days_left(certificate, 80):
        renewal_ladder_sweep()
    assert {k for _u, k in _keys(certificate)} == {f"certificate:{certificate.pk}:renewal:90"}


def test_the_sweeps_notice_is_shown_in_each_readers_language(cast, certificate, client):
    with _at_days_left(certificate, 59):
        renewal_ladder_sweep()
    sign_in(client, cast.clerk_a)
    url = reverse("portal:notifications")

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    assert "vẫn có thể gia hạn hoặc thay đổi thông tin" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    expected = f"Certificate {certificate.common_name} (serial {certificate.serial}) expires on"
    assert expected in english and "at most 60 days left" in english
    assert "vẫn có thể gia hạn" not in english
