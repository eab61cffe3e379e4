"""Devices brought to a state the way people would (issue on a token from the CA's stock, hand
it over, …), and what the custody tests read back."""

from datetime import date
from types import SimpleNamespace

from certificates.choices import SubjectKind
from devices.choices import DeviceKind
from devices.models import CustodyRecord, Device
from devices.services import device_deliver_for_certificate, handover_notice_create


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
    them (requests_app/device_desk.py; the signing is tested in
    tests/requests_app/test_device_signing.py)."""
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
