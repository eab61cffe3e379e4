"""Excel exports of the devices lists: return obligations and the Mẫu 07/08/09 document
lists. Each is the page's own filtered, scoped queryset with Vietnamese headers, serials and
numbers as text cells."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from agencies.services import organization_code_set
from devices.choices import DeviceStatus, ReceiverKind, ReturnReason
from devices.services import (
    device_document_mark_sent,
    device_return_obligation_open,
    handover_notice_create,
    loss_report_create,
    return_minutes_create,
)
from tests import factories as f
from tests.devices.helpers import send
from tests.export_reading import column, read_export, values
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
RETURNS = reverse("devices:returns")
MONDAY = date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _ca_org(cast):
    f.CAOrgFactory()


def _obligation(cast, agency, serial, reason=ReturnReason.REVOKED):
    device = f.DeviceFactory(agency=agency, serial=serial, status=DeviceStatus.HANDED_TO_SUBSCRIBER)
    return device_return_obligation_open(
        device=device, reason=reason, notified_on=MONDAY, by=cast.ca_operator,
        certificate_serial="0054AB",
    )  # fmt: skip


@pytest.fixture
def obligations(cast):
    return {
        "a": _obligation(cast, cast.agency_a, "00123A"),
        "a_expired": _obligation(cast, cast.agency_a, "00123E", ReturnReason.EXPIRED),
        "b": _obligation(cast, cast.agency_b, "00123B"),
        "c": _obligation(cast, cast.agency_c, "00123C"),
    }


def test_the_returns_export_has_the_vietnamese_headers(cast, client, obligations):
    sign_in(client, cast.clerk_a)
    headers, _lines = read_export(client.get(RETURNS, {"xuat": "xlsx"}))
    assert headers[:4] == ["STT", "Số hiệu thiết bị", "Loại thiết bị", "Thuê bao"]
    assert {"Hạn bàn giao", "Tình trạng", "Số hiệu chứng thư"} <= set(headers)


def test_the_returns_export_names_each_agency_by_its_official_code(cast, client, obligations):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    sign_in(client, cast.ca_operator)
    headers, lines = read_export(client.get(RETURNS, {"xuat": "xlsx"}))
    pairs = zip(
        column(headers, lines, "Số hiệu thiết bị"),
        column(headers, lines, "Mã định danh cơ quan"),
        strict=True,
    )
    codes = {serial.value: code.value or "" for serial, code in pairs}
    assert codes == {
        "00123A": "000.00.05.H33",
        "00123E": "000.00.05.H33",
        "00123B": "",
        "00123C": "",
    }


def test_a_clerk_exports_only_their_agencys_obligations(cast, client, obligations):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(RETURNS, {"xuat": "xlsx"}))
    assert values(headers, lines, "Số hiệu thiết bị") == {"00123A", "00123E"}


def test_the_province_exports_its_agencies_obligations(cast, client, obligations):
    sign_in(client, cast.officer_1)
    headers, lines = read_export(client.get(RETURNS, {"xuat": "xlsx"}))
    assert values(headers, lines, "Số hiệu thiết bị") == {"00123A", "00123E", "00123B"}


def test_the_returns_export_applies_the_current_filter(cast, client, obligations):
    sign_in(client, cast.clerk_a)
    response = client.get(RETURNS, {"xuat": "xlsx", "reason": ReturnReason.EXPIRED})
    headers, lines = read_export(response)
    assert values(headers, lines, "Số hiệu thiết bị") == {"00123E"}


def test_returns_serials_are_text_cells_and_dates_dd_mm_yyyy(cast, client, obligations):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(RETURNS, {"xuat": "xlsx"}))
    serials = column(headers, lines, "Số hiệu thiết bị") + column(
        headers, lines, "Số hiệu chứng thư"
    )
    assert {cell.data_type for cell in serials} == {"s"}
    assert values(headers, lines, "Số hiệu chứng thư") == {"0054AB"}
    assert values(headers, lines, "Ngày thông báo") == {"16/11/2026"}


def test_the_returns_page_offers_the_export(cast, client, obligations):
    sign_in(client, cast.clerk_a)
    body = client.get(RETURNS, {"reason": "expired"}).content.decode()
    assert 'href="?reason=expired&amp;xuat=xlsx"' in body


# --- Mẫu 07/08/09 -------------------------------------------------------------------------------
def _handed(cast, agency, clerk, serial):
    device = f.DeviceFactory(agency=agency, serial=serial, status="delivered_to_agency")
    device.holder = f.PersonFactory(organization=agency)
    device.save(update_fields=["holder"])
    return handover_notice_create(
        agency=agency, devices=[device], acknowledged={device.pk}, handed_on=MONDAY, by=clerk
    )


@pytest.fixture
def notices(cast):
    """Mẫu 07 of agency A (sent), agency B (not sent) and agency C (sent, another province)."""
    head_c = f.UserFactory(username="head_c")
    f.MembershipFactory(user=head_c, role=Role.AGENCY_HEAD, organization=cast.agency_c)
    notice_c = _handed(cast, cast.agency_c, cast.clerk_c, "07C")
    device_document_mark_sent(document=notice_c, by=head_c)
    return {
        "a": send(cast, _handed(cast, cast.agency_a, cast.clerk_a, "07A")),
        "b": _handed(cast, cast.agency_b, cast.clerk_b, "07B"),
        "c": notice_c,
    }


def test_the_notices_export_has_headers_and_numbers_as_text(cast, client, notices):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(reverse("devices:notice_list"), {"xuat": "xlsx"}))
    assert headers == [
        "STT", "Số", "Cơ quan", "Mã định danh cơ quan", "Tỉnh, thành phố", "Ngày thông báo",
        "Ngày bàn giao", "Số thiết bị", "Gửi CA lúc",
    ]  # fmt: skip
    assert values(headers, lines, "Số") == {notices["a"].number}
    assert [cell.data_type for cell in column(headers, lines, "Số")] == ["s"]
    assert values(headers, lines, "Ngày bàn giao") == {"16/11/2026"}


def test_the_province_exports_the_notices_its_agencies_sent(cast, client, notices):
    sign_in(client, cast.officer_1)
    headers, lines = read_export(client.get(reverse("devices:notice_list"), {"xuat": "xlsx"}))
    assert values(headers, lines, "Số") == {notices["a"].number}
    assert values(headers, lines, "Cơ quan") == {cast.agency_a.name}


def test_the_ca_notices_export_applies_the_current_filter(cast, client, notices):
    sign_in(client, cast.ca_operator)
    everything = read_export(client.get(reverse("devices:notice_list"), {"xuat": "xlsx"}))
    assert values(*everything, "Số") == {notices["a"].number, notices["c"].number}
    response = client.get(
        reverse("devices:notice_list"), {"xuat": "xlsx", "agency": cast.agency_c.pk}
    )
    assert values(*read_export(response), "Số") == {notices["c"].number}


def test_the_minutes_export_lists_the_agencys_mau_08(cast, client, obligations):
    minutes = return_minutes_create(
        agency=cast.agency_a,
        devices=[obligations["a"].device],
        held_at=timezone.now(),
        place="Sở Tài chính tỉnh Lai Châu",
        receiver_kind=ReceiverKind.CA,
        agency_representative="Nguyễn Thị Thu Hà",
        agency_representative_title="Chánh Văn phòng",
        by=cast.clerk_a,
    )
    sign_in(client, cast.clerk_b)
    headers, lines = read_export(client.get(reverse("devices:minutes_list"), {"xuat": "xlsx"}))
    assert lines == []
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(reverse("devices:minutes_list"), {"xuat": "xlsx"}))
    assert "Bên nhận" in headers
    assert values(headers, lines, "Số") == {minutes.number}
    assert values(headers, lines, "Trạng thái") == {"Chờ bên nhận xác nhận"}


def test_the_losses_export_writes_the_device_serial_as_text(cast, client):
    device = f.DeviceFactory(agency=cast.agency_a, serial="000777", status="delivered_to_agency")
    report = loss_report_create(
        device=device, lost_on=MONDAY, lost_place="Hà Nội", circumstances="Rơi mất",
        by=cast.clerk_a,
    )  # fmt: skip
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(reverse("devices:loss_list"), {"xuat": "xlsx"}))
    assert values(headers, lines, "Số") == {report.number}
    serials = column(headers, lines, "Số hiệu thiết bị")
    assert [(cell.value, cell.data_type) for cell in serials] == [("000777", "s")]
    assert values(headers, lines, "Ngày thất lạc") == {"16/11/2026"}
