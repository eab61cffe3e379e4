"""The CA operator imports device serials from a spreadsheet: every line checked in a preview,
duplicates (in the file and in the registry) and malformed serials reported per line, and the
import all or nothing. Uploads through the pages become import jobs whose task (the shipped one,
called here as the worker would) reads the file."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from devices.choices import DeviceKind, DeviceStatus
from devices.excel import StockFileError, read_stock_workbook
from devices.models import CustodyRecord, Device
from devices.services import (
    StockImportRefused,
    StockRow,
    device_import_stock,
    device_register_stock,
    stock_rows_check,
)
from portal.models import AuditEvent
from tests.factories import with_cached_values
from tests.helpers import sign_in, stock_upload

pytestmark = pytest.mark.django_db
HEADER = ["STT", "Loại thiết bị", "Số hiệu", "ICCID", "Số điện thoại", "Nhà mạng"]


def xlsx(rows, *, header=HEADER, title_rows=1, name="kho.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for _ in range(title_rows):
        sheet.append(["DANH SÁCH THIẾT BỊ NHẬP KHO"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


GOOD = [
    [1, "TOKEN", "VT2600101", None, None, None],
    [2, "", "vt2600102", None, None, None],
    [3, "SIM", None, "8984048000123456789", 912345678, "Viettel"],
    [4, "SD Secure", "SD-0001", None, None, None],
]


def test_a_good_file_reads_into_rows_with_its_sheet_line_numbers():
    parsed = read_stock_workbook(xlsx(GOOD))
    assert parsed.problems == {}
    assert [(r.line, r.kind, r.serial) for r in parsed.rows] == [
        (3, DeviceKind.USB_TOKEN, "VT2600101"),
        (4, DeviceKind.USB_TOKEN, "VT2600102"),
        (5, DeviceKind.SIM_PKI, ""),
        (6, DeviceKind.SD_SECURE, "SD-0001"),
    ]
    sim = parsed.rows[2]
    assert (sim.iccid, sim.phone, sim.carrier) == ("8984048000123456789", "0912345678", "viettel")
    assert stock_rows_check(parsed.rows) == {}


def test_the_import_adds_every_device_to_stock_with_its_custody_record(cast):
    rows = read_stock_workbook(xlsx(GOOD)).rows
    created = device_import_stock(rows=rows, by=cast.ca_operator)
    assert len(created) == 4
    assert set(Device.objects.values_list("status", flat=True)) == {DeviceStatus.IN_CA_STOCK}
    assert Device.objects.get(kind=DeviceKind.SIM_PKI).serial == "8984048000123456789"
    assert CustodyRecord.objects.filter(holder_kind="ca", held_until__isnull=True).count() == 4
    event = AuditEvent.objects.get(action="device.import_stock")
    assert event.after["count"] == 4


def test_every_problem_is_reported_on_its_line():
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600200", by=None)
    rows = [
        [1, "TOKEN", "VT2600201", None, None, None],
        [2, "TOKEN", "VT12", None, None, None],  # too short
        [3, "TOKEN", "VT2600201", None, None, None],  # duplicate of line 3
        [4, "TOKEN", "VT2600200", None, None, None],  # already registered
        [5, "SIM", None, "8984048000123456789", "0912345678", "Gmobile"],  # unknown carrier
        [6, "SIM", None, 8984048000123456789, "0912345679", "Viettel"],  # ICCID typed as number
        [7, "USB", "VT2600202", None, "0912345670", None],  # a token has no phone
        [8, "THẺ", "VT2600203", None, None, None],  # unknown kind
        [9, "SIM", None, "8984048000123456780", "0912345600", "Vinaphone"],
        [10, "SIM", None, "8984048000123456781", "0912345600", "Mobifone"],  # same phone as 9
    ]
    parsed = read_stock_workbook(xlsx(rows))
    problems = stock_rows_check(parsed.rows)
    for line, messages in parsed.problems.items():
        problems.setdefault(line, []).extend(messages)

    assert 3 not in problems
    assert any("8 đến 10" in m for m in problems[4])
    assert problems[5] == ["Trùng số hiệu với dòng 3."]
    assert problems[6] == ["Số hiệu VT2600200 đã có trong hệ thống."]
    assert any("Gmobile" in m for m in problems[7])
    assert any("dạng văn bản" in m for m in problems[8])
    assert any("Chỉ SIM PKI" in m for m in problems[9])
    assert any("không hợp lệ" in m for m in problems[10])
    assert 11 not in problems
    assert problems[12] == ["Trùng số điện thoại với dòng 11."]


@pytest.mark.parametrize("cached", [False, True], ids=["without-cached-value", "cached-value"])
def test_a_formula_in_a_column_is_refused_on_its_line_naming_cell_and_formula(cached):
    rows = [
        [1, "TOKEN", '="VT"&"2600101"', None, None, None],
        [2, "SIM", None, "8984048000123456789", "=912345000+678", "Viettel"],
        [3, "=B3", "VT2600103", None, None, None],
    ]
    upload = xlsx(rows)
    if cached:
        values = {"C3": "VT2600101", "E4": 912345678, "B5": "TOKEN"}
        upload = SimpleUploadedFile("kho.xlsx", with_cached_values(upload.read(), values))

    parsed = read_stock_workbook(upload)

    assert [r.serial for r in parsed.rows if r.line == 3] in ([], [""])
    assert any('ô C3: ô chứa công thức (="VT"&"2600101")' in m for m in parsed.problems[3])
    assert any("ô E4" in m and "(=912345000+678)" in m for m in parsed.problems[4])
    assert any("ô B5" in m and "(=B3)" in m for m in parsed.problems[5])


def test_a_file_with_one_bad_line_imports_nothing(cast):
    rows = read_stock_workbook(xlsx([*GOOD, [5, "TOKEN", "X1", None, None, None]])).rows
    with pytest.raises(StockImportRefused) as exc:
        device_import_stock(rows=rows, by=cast.ca_operator)
    assert list(exc.value.problems) == [7]
    assert Device.objects.count() == 0


def test_only_the_ca_imports_stock(cast):
    rows = [StockRow(line=2, kind=DeviceKind.USB_TOKEN, serial="VT2600301")]
    for user in (cast.clerk_a, cast.officer_1, cast.subscriber_user):
        with pytest.raises(PermissionDenied):
            device_import_stock(rows=rows, by=user)
    assert Device.objects.count() == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("kho.xls", b"PK..."), ".xlsx"),
        (SimpleUploadedFile("kho.xlsx", b"not a zip"), "không phải"),
        (xlsx([], header=["A", "B"]), "dòng tiêu đề"),
    ],
)
def test_an_unusable_file_is_refused_with_a_reason(upload, message):
    with pytest.raises(StockFileError, match=message):
        read_stock_workbook(upload)


def test_preview_then_confirm_through_the_pages(cast, client):
    sign_in(client, cast.ca_operator)
    url = reverse("devices:stock_import")

    preview = stock_upload(client, xlsx(GOOD))
    assert preview.status_code == 200
    assert preview.context["can_confirm"] and preview.context["total"] == 4
    assert Device.objects.count() == 0  # nothing before the confirmation
    job = preview.context["job"]

    done = client.post(reverse("devices:stock_import_confirm", args=[job.pk]))
    assert done.status_code == 302 and done["Location"] == reverse("devices:stock")
    assert Device.objects.in_stock().count() == 4
    # The same confirmation again finds the job confirmed and imports nothing.
    again = client.post(reverse("devices:stock_import_confirm", args=[job.pk]))
    assert again["Location"] == reverse("devices:stock_import_job", args=[job.pk])
    assert Device.objects.count() == 4
    assert client.get(url).status_code == 200


def test_a_preview_with_problems_offers_no_confirmation(cast, client):
    sign_in(client, cast.ca_operator)
    preview = stock_upload(client, xlsx([[1, "TOKEN", "X1", None, None, None]]))
    assert not preview.context["can_confirm"]
    assert preview.context["problem_count"] == 1
    page = preview.content.decode()
    assert 'data-line="3"' in page and "8 đến 10" in page
    job = preview.context["job"]
    response = client.post(reverse("devices:stock_import_confirm", args=[job.pk]))
    assert response.status_code == 302
    assert Device.objects.count() == 0


def test_a_registry_change_between_preview_and_confirm_refuses_the_whole_file(cast, client):
    sign_in(client, cast.ca_operator)
    preview = stock_upload(client, xlsx(GOOD))
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600102", by=cast.ca_operator)

    job = preview.context["job"]
    response = client.post(reverse("devices:stock_import_confirm", args=[job.pk]), follow=True)

    assert Device.objects.count() == 1
    assert "Không nhập thiết bị nào" in " ".join(str(m) for m in response.context["messages"])
