"""Mẫu 07, 08 and 09 leave the agency once (docs/domain.md §3.8, §10): the second sending of a
document — a repeated desk round, a double click that slipped past the signed-version check —
records nothing, tells nobody again and keeps the first time (devices/services/sending.py)."""

import pytest

from devices.services import device_document_mark_sent
from portal.models import AuditEvent, Notification
from tests.paperwork.device_signing_world import loss_of, minutes_of, notice_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("build", "action"),
    [
        (notice_of, "handover_notice.send"),
        (minutes_of, "return_minutes.send"),
        (loss_of, "loss_report.send"),
    ],
    ids=["Mẫu 07", "Mẫu 08", "Mẫu 09"],
)
def test_a_device_document_sent_twice_is_sent_and_told_once(cast, token, build, action):
    document = build(cast, token)

    assert device_document_mark_sent(document=document, by=cast.head_a) is True
    document.refresh_from_db()
    first = document.sent_at
    told = Notification.objects.count()
    assert first is not None and told > 0

    assert device_document_mark_sent(document=document, by=cast.head_a) is False

    document.refresh_from_db()
    assert document.sent_at == first
    assert Notification.objects.count() == told
    assert AuditEvent.objects.filter(action=action).count() == 1
