"""Devices brought to a state the way people would (issue on a token from the CA's stock, hand
it over, …), and what the custody tests read back."""

from datetime import date
from types import SimpleNamespace

from django.utils import timezone

from certificates.choices import SubjectKind
from devices.choices import DeviceKind, DeviceStatus, ReceiverKind, ReturnReason
from devices.models import CustodyRecord, Device
from devices.services import (
    device_deliver_for_certificate,
    device_return_obligation_open,
    handover_notice_create,
    loss_report_create,
    return_minutes_create,
)
from tests import factories as f


def issue_on_token(cast, person=None, **kwargs):
    """The CA issues a certificate for `person` (agency A's subscriber by default) on a token
    taken from its stock and delivered to agency A. Returns (certificate, device)."""
    from certificates.services import certificate_issue

    person = person or cast.subscriber
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN,
        agency=cast.agency_a,
        holder=person,
        by=cast.ca_operator,
        document_ref="1/STC-CKS",
    )
    certificate = certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_a,
        person=person,
        device=device,
        by=cast.ca_operator,
        **kwargs,
    )
    return certificate, device


def hand_over(cast, *devices, on: date | None = None):
    from django.utils import timezone

    return handover_notice_create(
        agency=cast.agency_a,
        devices=list(devices),
        acknowledged={d.pk for d in devices},
        handed_on=on or timezone.localdate(),
        by=cast.clerk_a,
    )


def send(cast, *documents):
    """Record the documents as sent, as the agency head's desk signing does once it has signed
    them (paperwork/desk.py; the signing is tested in
    tests/paperwork/test_device_signing.py)."""
    from devices.services import device_document_mark_sent

    for document in documents:
        device_document_mark_sent(document=document, by=cast.head_a)
    return documents[0] if len(documents) == 1 else documents


def chain(device) -> list[tuple[str, str]]:
    """The custody chain as (status, holder kind), oldest first."""
    return list(
        CustodyRecord.objects.filter(device=device)
        .order_by("held_from", "pk")
        .values_list("status", "holder_kind")
    )


def snapshot(device) -> SimpleNamespace:
    """Everything an illegal move must leave unchanged."""
    fresh = Device.objects.get(pk=device.pk)
    return SimpleNamespace(
        status=fresh.status,
        holder_id=fresh.holder_id,
        agency_id=fresh.agency_id,
        chain=list(
            CustodyRecord.objects.filter(device=device)
            .order_by("pk")
            .values_list("pk", "status", "holder_kind", "held_until")
        ),
    )


D = DeviceStatus


def delivered(cast, n: int, *, start: int = 0, agency=None, holder=None) -> list[Device]:
    """n tokens the CA delivered to agency A (bulk: setup must stay cheap at 100)."""
    agency = agency or cast.agency_a
    devices = Device.objects.bulk_create(
        [
            Device(
                kind=DeviceKind.USB_TOKEN,
                serial=f"TK{agency.pk:02d}{start + i:06d}",
                status=D.DELIVERED_TO_AGENCY,
                agency=agency,
                holder=holder or cast.subscriber,
            )
            for i in range(n)
        ]
    )
    now = timezone.now()
    CustodyRecord.objects.bulk_create(
        [
            CustodyRecord(
                device=d, status=d.status, holder_kind="agency", agency=agency, held_from=now
            )
            for d in devices
        ]
    )
    return devices


def populate(cast, n: int, *, start: int = 0) -> SimpleNamespace:
    """n devices in each state a page shows: handed over (one Mẫu 07), returned in one Mẫu 08
    waiting for the CA, lost (Mẫu 09 each), waiting for handover, and in the CA's stock."""
    clerk = cast.clerk_a
    today = timezone.localdate()
    handed = delivered(cast, n, start=start)
    notice = handover_notice_create(
        agency=cast.agency_a, devices=handed, acknowledged={d.pk for d in handed},
        handed_on=today, by=clerk,
    )  # fmt: skip
    returning = delivered(cast, n, start=start + 1000)
    for device in returning:
        device_return_obligation_open(
            device=device, reason=ReturnReason.REVOKED, notified_on=today, by=None
        )
    minutes = return_minutes_create(
        agency=cast.agency_a, devices=returning, held_at=timezone.now(), place="Sở Tài chính",
        receiver_kind=ReceiverKind.CA, agency_representative="Nguyễn Thị Thu Hà", by=clerk,
    )  # fmt: skip
    lost = delivered(cast, n, start=start + 2000)
    reports = [
        loss_report_create(
            device=d, lost_on=today, lost_place="Chợ", circumstances="Rơi mất.", by=clerk
        )
        for d in lost
    ]
    send(cast, notice, minutes, *reports)  # the head signed and sent them
    waiting = delivered(cast, n, start=start + 3000)
    awaiting = delivered(cast, n, start=start + 4000)
    for device in awaiting:
        device_return_obligation_open(
            device=device, reason=ReturnReason.EXPIRED, notified_on=today, by=None
        )
    Device.objects.bulk_create(
        [Device(kind=DeviceKind.USB_TOKEN, serial=f"KHO{start + i:06d}") for i in range(n)]
    )
    delivered(cast, n, start=start, agency=cast.agency_c, holder=f.PersonFactory())
    return SimpleNamespace(
        device=handed[0], notice=notice, minutes=minutes, report=reports[0], waiting=waiting
    )
