"""After "Đã thu hồi từ thuê bao" the device page agrees with the custody table
(docs/devices.md): a device collected back goes to the CA in a Mẫu 08 and is never handed to a
subscriber again; the message names the button that is there."""

import pytest
from django.urls import reverse
from django.utils import timezone

from devices.choices import DeviceStatus, ReceiverKind, ReturnReason
from devices.models import Device
from devices.services import (
    device_hand_over,
    device_return_obligation_open,
    handover_notice_create,
    return_minutes_create,
)
from portal.errors import DomainError
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected(cast, client, token):
    """The token handed to its subscriber, its certificate revoked, then collected back."""
    device_hand_over(device=token, by=cast.clerk_a)
    device_return_obligation_open(
        device=token,
        reason=ReturnReason.REVOKED,
        notified_on=timezone.localdate(),
        by=None,
        certificate_serial="54AB0000DEADBEEF",
    )
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("devices:collect", args=[token.pk]), follow=True)
    token.refresh_from_db()
    assert token.status == DeviceStatus.RETURNED_TO_AGENCY
    return response


def test_the_page_offers_the_mau_08_its_message_names_and_not_a_hand_over(collected, token):
    (message,) = [str(m) for m in collected.context["messages"]]
    assert "Lập biên bản bàn giao lại CA (Mẫu 08)" in message
    page = collected.content.decode()
    assert 'data-action="return_minutes"' in page
    assert "Lập biên bản bàn giao lại CA (Mẫu 08)" in page
    assert "Bàn giao cho thuê bao (Mẫu 07)" not in page


def test_the_handover_page_does_not_list_a_device_collected_back(collected, client, token):
    page = client.get(reverse("devices:handover")).content.decode()
    assert token.serial not in page


def test_a_device_collected_back_cannot_be_handed_to_a_subscriber(collected, cast, token):
    with pytest.raises(DomainError):
        handover_notice_create(
            agency=cast.agency_a,
            devices=[token],
            acknowledged={token.pk},
            handed_on=timezone.localdate(),
            by=cast.clerk_a,
        )
    assert Device.objects.get(pk=token.pk).status == DeviceStatus.RETURNED_TO_AGENCY


def test_once_its_mau_08_is_made_the_page_no_longer_offers_another(cast, client, token):
    device_hand_over(device=token, by=cast.clerk_a)
    device_return_obligation_open(
        device=token, reason=ReturnReason.REVOKED, notified_on=timezone.localdate(), by=None
    )
    return_minutes_create(
        agency=cast.agency_a,
        devices=[token],
        held_at=timezone.now(),
        place="Văn phòng Sở Tài chính",
        receiver_kind=ReceiverKind.CA,
        agency_representative="Nguyễn Thị Thu Hà",
        by=cast.clerk_a,
    )
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("devices:detail", args=[token.pk])).content.decode()
    assert 'data-action="return_minutes"' not in page
    assert "chờ bên nhận xác nhận" in page
