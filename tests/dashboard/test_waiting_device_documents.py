"""The head's "Văn bản chờ bạn ký" lists the device documents (Mẫu 07–09) of their agencies
that wait for their signature, as well as the letters."""

import pytest
from django.urls import reverse

from devices.models import CustodyRecord
from devices.services import device_document_mark_sent
from tests import factories as f
from tests.devices.document_builders import BUILDERS
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _second_token(cast):
    holder = f.PersonFactory(organization=cast.agency_a, full_name="Lò Thị Mai")
    device = f.DeviceFactory(
        agency=cast.agency_a, holder=holder, serial="VT26000888", status="delivered_to_agency"
    )
    CustodyRecord.objects.create(
        device=device,
        status=device.status,
        holder_kind=CustodyRecord.HolderKind.AGENCY,
        agency=cast.agency_a,
        held_from=device.created_at,
    )
    return device


def test_the_heads_dashboard_lists_the_device_documents_waiting_for_their_signature(
    cast, client, token
):
    minutes = BUILDERS["08"](cast, token)  # a Mẫu 07 notice, then the Mẫu 08 minutes
    notice = minutes.agency.handover_notices.get()
    loss = BUILDERS["09"](cast, _second_token(cast))
    sign_in(client, cast.head_a)
    response = client.get(reverse("dashboard"))
    body = response.content.decode()
    assert {(d.form, d.pk) for d in response.context["device_documents_awaiting"]} >= {
        ("07", notice.pk),
        ("08", minutes.pk),
        ("09", loss.pk),
    }
    assert f'href="{reverse("devices:minutes_detail", args=[minutes.pk])}"' in body
    assert f'href="{reverse("devices:loss_detail", args=[loss.pk])}"' in body
    assert "Biên bản Mẫu 08 số" in body
    assert "Không có văn bản nào chờ bạn ký." not in body


def test_a_sent_device_document_leaves_the_list(cast, client, token):
    minutes = BUILDERS["08"](cast, token)
    for notice in minutes.agency.handover_notices.all():
        device_document_mark_sent(document=notice, by=cast.head_a)
    device_document_mark_sent(document=minutes, by=cast.head_a)
    sign_in(client, cast.head_a)
    response = client.get(reverse("dashboard"))
    assert response.context["device_documents_awaiting"] == []
    assert "Không có văn bản nào chờ bạn ký." in response.content.decode()


def test_another_agencys_head_does_not_see_them(cast, client, token):
    BUILDERS["08"](cast, token)
    head_b = f.UserFactory(username="head_b")
    f.MembershipFactory(user=head_b, role="agency_head", organization=cast.agency_b)
    sign_in(client, head_b)
    response = client.get(reverse("dashboard"))
    assert response.context["device_documents_awaiting"] == []
