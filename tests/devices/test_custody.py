"""The device state machine, its custody chain and the rules of the Device model."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from devices.choices import Carrier, DeviceKind, DeviceStatus, ReceiverKind
from devices.models import CustodyRecord, Device, HandoverNotice, ReturnMinutes
from devices.services import (
    MOVES,
    device_collect,
    device_deliver_for_certificate,
    device_hand_over,
    device_lock,
    device_recover,
    device_register_stock,
    handover_notice_create,
    loss_report_create,
    return_minutes_create,
)
from portal.errors import DomainError
from tests import factories as f
from tests.devices.helpers import chain, snapshot

D = DeviceStatus
pytestmark = pytest.mark.django_db


# --- Device.clean -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("serial", "stored"),
    [("TK123456", "TK123456"), ("TK12345678", "TK12345678"), ("ab12cd34ef", "AB12CD34EF")],
)
def test_a_usb_token_serial_of_8_to_10_letters_or_digits_is_accepted_in_upper_case(serial, stored):
    device = Device(kind=DeviceKind.USB_TOKEN, serial=serial)
    device.full_clean(exclude=["agency", "holder"])  # raises ValidationError if refused
    assert device.serial == stored


USB_SERIAL_RULE = "Số hiệu USB Token gồm 8 đến 10 chữ cái hoặc chữ số."


@pytest.mark.parametrize(
    ("serial", "messages"),
    [
        ("TK12345", [USB_SERIAL_RULE]),
        ("TK123456789", [USB_SERIAL_RULE]),
        ("TK-12345", [USB_SERIAL_RULE]),
        ("TK 12345 6", [USB_SERIAL_RULE]),
        ("", ["Trường này không được để trắng.", "Hãy nhập số hiệu thiết bị."]),
    ],
)
def test_a_malformed_usb_token_serial_is_refused_in_vietnamese(serial, messages):
    with pytest.raises(ValidationError) as exc:
        Device(kind=DeviceKind.USB_TOKEN, serial=serial).full_clean(exclude=["agency", "holder"])
    assert exc.value.message_dict == {"serial": messages}


def test_a_sim_pki_needs_iccid_phone_and_carrier():
    with pytest.raises(ValidationError) as exc:
        Device(kind=DeviceKind.SIM_PKI, serial="").full_clean(exclude=["agency", "holder"])
    assert exc.value.message_dict == {
        "serial": ["Trường này không được để trắng.", "Hãy nhập số hiệu thiết bị."],
        "iccid": ["SIM PKI phải có ICCID."],
        "phone": ["SIM PKI phải có số điện thoại ký số."],
        "carrier": ["SIM PKI phải có nhà mạng (Viettel, Vinaphone, Mobifone)."],
    }


def test_a_sim_pki_takes_its_iccid_as_serial_and_checks_each_field():
    sim = Device(
        kind=DeviceKind.SIM_PKI,
        serial="",
        iccid="8984048000123456789",
        phone="0912345678",
        carrier=Carrier.VIETTEL,
    )
    sim.full_clean(exclude=["agency", "holder"])
    assert sim.serial == "8984048000123456789"

    bad = Device(kind=DeviceKind.SIM_PKI, serial="", iccid="12345", phone="912345678", carrier="x")
    with pytest.raises(ValidationError) as exc:
        bad.full_clean(exclude=["agency", "holder"])
    assert set(exc.value.message_dict) == {"iccid", "phone", "carrier"}


def test_only_a_sim_carries_iccid_phone_and_carrier():
    token = Device(kind=DeviceKind.USB_TOKEN, serial="TK123456", phone="0912345678")
    with pytest.raises(ValidationError) as exc:
        token.full_clean(exclude=["agency", "holder"])
    assert exc.value.message_dict == {
        "phone": ["Chỉ SIM PKI có ICCID, số điện thoại ký số và nhà mạng."]
    }


def test_the_database_refuses_a_sim_without_its_number():
    with pytest.raises(IntegrityError):
        Device.objects.create(kind=DeviceKind.SIM_PKI, serial="8984048000123456789")


def test_serials_are_unique_per_kind(cast):
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="tk123456", by=cast.ca_operator)
    with pytest.raises(DomainError, match="TK123456 đã có"):
        device_register_stock(kind=DeviceKind.USB_TOKEN, serial="TK123456", by=cast.ca_operator)


# --- the custody chain --------------------------------------------------------------------------
def test_the_database_allows_one_open_custody_record_per_device(cast):
    device = device_register_stock(
        kind=DeviceKind.USB_TOKEN, serial="TK123456", by=cast.ca_operator
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CustodyRecord.objects.create(
            device=device, status=D.IN_CA_STOCK, holder_kind="ca", held_from=timezone.now()
        )


def test_every_state_is_reachable_and_every_move_records_who_and_on_which_document(cast):
    targets = {move.target for move in MOVES.values() if move.target}
    assert targets | {D.IN_CA_STOCK} == set(D.values)

    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber,
        by=cast.ca_operator, document_ref="5/STC-CKS",
    )  # fmt: skip
    device_hand_over(device=device, by=cast.clerk_a, document_ref="Mẫu 07 số 1")
    records = list(device.custody.order_by("pk"))
    assert [(r.status, r.holder_kind) for r in records] == [
        (D.IN_CA_STOCK, "ca"),
        (D.DELIVERED_TO_AGENCY, "agency"),
        (D.HANDED_TO_SUBSCRIBER, "subscriber"),
    ]
    assert records[0].held_until == records[1].held_from
    assert records[1].document_ref == "5/STC-CKS" and records[1].handed_by == cast.ca_operator
    assert records[2].person == cast.subscriber and records[2].handed_by == cast.clerk_a
    assert records[2].held_until is None


def test_issuing_on_a_token_consumes_the_oldest_one_in_stock_or_registers_one(cast):
    first = device_register_stock(
        kind=DeviceKind.USB_TOKEN, serial="VT2600001", by=cast.ca_operator
    )
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600002", by=cast.ca_operator)

    taken = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    assert taken.pk == first.pk and taken.agency == cast.agency_a
    assert Device.objects.in_stock().count() == 1

    sd = device_deliver_for_certificate(
        kind=DeviceKind.SD_SECURE, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    assert sd.status == D.DELIVERED_TO_AGENCY and [s for s, _ in chain(sd)][0] == D.IN_CA_STOCK


# --- illegal moves change nothing ---------------------------------------------------------------
@pytest.mark.parametrize("status", [s for s in D.values if s != D.LOCKED])
def test_only_a_locked_device_is_recovered_any_other_is_refused_and_unchanged(cast, status):
    """The custody table's "recover" starts from "locked" only (docs/domain.md §3.7, §5.6)."""
    device = f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber, status=status)
    CustodyRecord.objects.create(
        device=device, status=status, holder_kind=CustodyRecord.HolderKind.SUBSCRIBER,
        agency=cast.agency_a, held_from=device.created_at,
    )  # fmt: skip
    before = snapshot(device)

    with pytest.raises(DomainError) as exc:
        device_recover(device=device, by=cast.officer_1, document_ref="06/CV")

    assert exc.value.code == "illegal_device_move"
    assert snapshot(device) == before


def test_a_locked_device_is_recovered_to_its_subscriber(cast, handed):
    device_lock(device=handed, by=cast.clerk_a)

    device_recover(device=handed, by=cast.officer_1, document_ref="06/CV")

    assert snapshot(handed).status == D.HANDED_TO_SUBSCRIBER
    assert chain(handed)[-2:] == [
        (D.LOCKED, CustodyRecord.HolderKind.SUBSCRIBER),
        (D.HANDED_TO_SUBSCRIBER, CustodyRecord.HolderKind.SUBSCRIBER),
    ]


def test_handing_over_a_lost_device_is_refused_and_changes_nothing(cast, handed):
    loss_report_create(
        device=handed, lost_on=timezone.localdate(), lost_place="Chợ", circumstances="Rơi mất.",
        by=cast.clerk_a,
    )  # fmt: skip
    before = snapshot(handed)
    notices = HandoverNotice.objects.count()

    with pytest.raises(DomainError) as exc:
        handover_notice_create(
            agency=cast.agency_a, devices=[handed], acknowledged={handed.pk},
            handed_on=timezone.localdate(), by=cast.clerk_a,
        )  # fmt: skip

    assert "Thất lạc" in exc.value.message and handed.serial in exc.value.message
    assert snapshot(handed) == before
    assert HandoverNotice.objects.count() == notices


def test_returning_a_device_never_handed_over_is_refused_and_changes_nothing(cast):
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    before = snapshot(device)

    with pytest.raises(DomainError) as collect:
        device_collect(device=device, by=cast.clerk_a)
    with pytest.raises(DomainError) as minutes:
        return_minutes_create(
            agency=cast.agency_a, devices=[device], held_at=timezone.now(), place="Sở Tài chính",
            receiver_kind=ReceiverKind.CA, agency_representative="Nguyễn Thị Thu Hà",
            by=cast.clerk_a,
        )  # fmt: skip

    assert "Đã giao cho cơ quan" in collect.value.message
    assert "không phải bàn giao lại" in minutes.value.message
    assert snapshot(device) == before
    assert ReturnMinutes.objects.count() == 0


def test_returning_a_device_still_with_its_subscriber_and_no_obligation_is_refused(cast, handed):
    f.CAOrgFactory()
    before = snapshot(handed)
    with pytest.raises(DomainError, match="không phải bàn giao lại"):
        return_minutes_create(
            agency=cast.agency_a, devices=[handed], held_at=timezone.now(), place="Sở Tài chính",
            receiver_kind=ReceiverKind.CA, agency_representative="Nguyễn Thị Thu Hà",
            by=cast.clerk_a,
        )  # fmt: skip
    assert snapshot(handed) == before


def test_a_handover_of_several_devices_is_all_or_nothing(cast, handed):
    fresh = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    before = snapshot(fresh)
    with pytest.raises(DomainError):
        handover_notice_create(
            agency=cast.agency_a, devices=[fresh, handed], acknowledged={fresh.pk, handed.pk},
            handed_on=timezone.localdate(), by=cast.clerk_a,
        )  # fmt: skip
    assert snapshot(fresh) == before


def test_a_handover_needs_every_subscribers_signature(cast):
    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    with pytest.raises(DomainError, match="chưa ký nhận"):
        handover_notice_create(
            agency=cast.agency_a, devices=[device], acknowledged=set(),
            handed_on=timezone.localdate(), by=cast.clerk_a,
        )  # fmt: skip
    assert Device.objects.get(pk=device.pk).status == D.DELIVERED_TO_AGENCY


def test_only_a_clerk_of_the_devices_agency_hands_it_over(cast):
    from django.core.exceptions import PermissionDenied

    device = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_a, holder=cast.subscriber, by=cast.ca_operator
    )
    with pytest.raises(DomainError, match="không thuộc cơ quan"):
        handover_notice_create(
            agency=cast.agency_b, devices=[device], acknowledged={device.pk},
            handed_on=timezone.localdate(), by=cast.clerk_b,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        handover_notice_create(
            agency=cast.agency_a, devices=[device], acknowledged={device.pk},
            handed_on=timezone.localdate(), by=cast.head_a,
        )  # fmt: skip
    assert Device.objects.get(pk=device.pk).status == D.DELIVERED_TO_AGENCY


def test_document_numbers_count_per_agency_and_year(cast):
    devices = [
        device_deliver_for_certificate(
            kind=DeviceKind.USB_TOKEN,
            agency=cast.agency_a,
            holder=cast.subscriber,
            by=cast.ca_operator,
        )  # fmt: skip
        for _ in range(2)
    ]
    cast.agency_a.short_name = "STC"
    cast.agency_a.save()
    numbers = [
        handover_notice_create(
            agency=cast.agency_a,
            devices=[d],
            acknowledged={d.pk},
            handed_on=timezone.localdate(),
            by=cast.clerk_a,
        ).number  # fmt: skip
        for d in devices
    ]
    assert numbers == ["1/TBBG-STC", "2/TBBG-STC"]
