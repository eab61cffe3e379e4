"""The bulk endpoints: the CA's stock as JSON (POST /api/v1/thiet-bi/nhap-kho/) and the CA's
19-column sheet into a draft Mẫu 01 (POST /api/v1/van-ban/{id}/bang-ca/), each read like its
spreadsheet, validated whole, written all or none."""

import unicodedata
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices.choices import DeviceKind, DeviceStatus
from devices.models import CustodyRecord, Device
from devices.services import device_register_stock
from devices.services.stock import MAX_ROWS
from requests_app.api.ca_sheet import MAX_ROWS as SHEET_MAX_ROWS
from requests_app.choices import FormKind, SimCarrier
from tests.api.calls import api_as, rows_of
from tests.api.spoiled import NOBODY, client_for
from tests.factories import letter_draft

pytestmark = pytest.mark.django_db
STOCK = "/api/v1/thiet-bi/nhap-kho/"

GOOD_STOCK = [
    {"kind": "usb_token", "serial": "vt2600101"},
    {"kind": "", "serial": " VT2600102 "},
    {
        "kind": "sim_pki",
        "serial": "",
        "iccid": "8984048000123456789",
        "phone": "912345678",
        "carrier": "Viettel",
    },
]


def sheet_url(letter) -> str:
    return f"/api/v1/van-ban/{letter.pk}/bang-ca/"


def person(n: int, **overrides) -> dict:
    """One line of the CA's sheet, as named JSON fields."""
    return {
        "stt": str(n),
        "full_name": f"Lò Thị Mai {chr(64 + n)}",
        "date_of_birth": "05/03/1990",
        "national_id": f"01219000{1230 + n}",
        "id_issue_place": "CCSQLHCVTTXH",
        "id_issue_date": "01/07/2021",
        "email": f"mai{n}@laichau.gov.vn",
        "org_level_1": "UBND tỉnh Lai Châu",
        "org_level_2": "Sở Tài chính",
        "org_level_3": "Phòng Ngân sách",
        "org_level_4": "",
        "province_alt": "Lai Châu",
        "province": "Lai Châu",
        "position_title": "Chuyên viên",
        "phone": f"09120001{n:02d}",
        "old_serial": "",
        "carrier": "",
        "keep_number": "",
        "device_type": "TOKEN",
        **overrides,
    }


# --- the CA's stock ------------------------------------------------------------------------
def test_the_ca_stocks_devices_read_like_the_spreadsheets_lines(cast):
    response = api_as(cast.ca_operator).post(STOCK, {"rows": GOOD_STOCK}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["count"] == 3
    assert [(d["kind"], d["serial"]) for d in body["devices"]] == [
        (DeviceKind.USB_TOKEN, "VT2600101"),
        (DeviceKind.USB_TOKEN, "VT2600102"),
        (DeviceKind.SIM_PKI, "8984048000123456789"),
    ]
    sim = Device.objects.get(pk=body["devices"][2]["id"])
    assert (sim.phone, sim.carrier, sim.status) == (
        "0912345678",
        "viettel",
        DeviceStatus.IN_CA_STOCK,
    )
    assert CustodyRecord.objects.filter(holder_kind="ca", held_until__isnull=True).count() == 3


def test_one_bad_device_refuses_the_whole_stock_with_problems_per_row_index(cast):
    device_register_stock(kind=DeviceKind.USB_TOKEN, serial="VT2600200", by=None)
    before = Device.objects.count()
    rows = [
        *GOOD_STOCK,
        {"kind": "THẺ", "serial": "VT2600201"},  # 3: unknown kind
        {"kind": "usb_token", "serial": "VT2600200"},  # 4: already registered
        {"kind": "usb_token", "serial": "vt2600101"},  # 5: same as row 0
    ]
    response = api_as(cast.ca_operator).post(STOCK, {"rows": rows}, format="json")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "stock_import_refused"
    assert set(problem["errors"]) == {"3", "4", "5"}
    assert any("THẺ" in m for m in problem["errors"]["3"])
    assert problem["errors"]["4"] == ["Số hiệu VT2600200 đã có trong hệ thống."]
    assert problem["errors"]["5"] == ["Trùng số hiệu với dòng 1."]
    assert Device.objects.count() == before


def test_stock_text_is_nfc_normalised_like_the_files(cast):
    decomposed = unicodedata.normalize("NFD", "Thẻ")
    response = api_as(cast.ca_operator).post(
        STOCK, {"rows": [{"kind": decomposed, "serial": "VT2600301"}]}, format="json"
    )
    assert response.status_code == 422
    assert "“Thẻ”" in response.json()["errors"]["0"][0]


def test_more_stock_rows_than_allowed_are_refused_before_any_is_read(cast):
    rows = [{"serial": "x"}] * (MAX_ROWS + 1)
    response = api_as(cast.ca_operator).post(STOCK, {"rows": rows}, format="json")
    assert response.status_code == 400
    assert "rows" in response.json()["errors"]
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("ca_operator", 201),
        ("clerk_a", 403),
        ("head_a", 403),
        ("officer_1", 403),
        ("subscriber_user", 403),
        *[(who, 401) for who in NOBODY],
    ],
)
def test_stock_permission_matrix(cast, who, expected):
    response = client_for(cast, who).post(STOCK, {"rows": GOOD_STOCK[:1]}, format="json")
    assert response.status_code == expected, response.json()
    assert Device.objects.exists() == (expected == 201)


def test_a_retried_stock_import_with_the_same_key_stocks_once(cast):
    client = api_as(cast.ca_operator)
    first = client.post(STOCK, {"rows": GOOD_STOCK}, format="json", HTTP_IDEMPOTENCY_KEY="kho-1")
    again = client.post(STOCK, {"rows": GOOD_STOCK}, format="json", HTTP_IDEMPOTENCY_KEY="kho-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Device.objects.count() == 3


# --- the CA's 19-column sheet into a draft Mẫu 01 --------------------------------------------
def test_the_cas_sheet_rows_are_read_like_the_spreadsheet_and_added_to_the_draft(cast):
    letter = letter_draft(cast)
    rows = [
        person(1, full_name=unicodedata.normalize("NFD", "Nguyễn Thị  Hằng"), phone="912000101"),
        person(2, device_type="SIM", carrier="Vinaphone", keep_number="x"),
    ]
    client = api_as(cast.clerk_a)
    response = client.post(sheet_url(letter), {"rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    assert [r["position"] for r in rows_of(client, response)] == [1, 2]
    first, second = letter.rows.order_by("position")
    assert first.full_name == "Nguyễn Thị Hằng", "NFC, blanks collapsed, as from a file"
    assert first.mobile == "0912000101", "the lost leading 0 is back"
    assert first.date_of_birth == date(1990, 3, 5)
    assert first.work_agency == "Phòng Ngân sách, Sở Tài chính, UBND tỉnh Lai Châu"
    assert (second.sim_carrier, second.sim_keep_number) == (SimCarrier.VINAPHONE, True)


def test_one_bad_sheet_row_adds_nothing_and_names_its_field_by_row_index(cast):
    letter = letter_draft(cast)
    before = letter.rows.count()
    rows = [
        person(1),
        person(2, id_issue_place="Công an tỉnh"),
        person(3, date_of_birth="31/02/1990", email="ba@yahoo.com"),
        person(4, email="mai1@laichau.gov.vn"),  # the same e-mail as row 0
    ]
    response = api_as(cast.clerk_a).post(sheet_url(letter), {"rows": rows}, format="json")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"1", "2", "3"}
    assert errors["1"] == {
        "id_issue_place": ["Nơi cấp phải là CCSQLHCVTTXH hoặc CCSĐKQLCTVDLQGVDC."]
    }
    assert set(errors["2"]) == {"date_of_birth", "email"}
    assert "dòng 1" in errors["3"]["email"][0]
    assert letter.rows.count() == before


def test_only_a_mau_01_takes_the_cas_sheet(cast):
    letter = letter_draft(cast, form=FormKind.REVOKE)
    response = api_as(cast.clerk_a).post(sheet_url(letter), {"rows": [person(1)]}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "not_mau01"


def test_more_sheet_rows_than_the_file_allows_are_refused(cast):
    letter = letter_draft(cast)
    rows = [person(1)] * (SHEET_MAX_ROWS + 1)
    response = api_as(cast.clerk_a).post(sheet_url(letter), {"rows": rows}, format="json")
    assert response.status_code == 400
    assert not letter.rows.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("clerk_a", 200),
        ("head_a", 403),
        ("clerk_b", 404),
        ("officer_1", 404),
        ("ca_operator", 404),
        *[(who, 401) for who in NOBODY],
    ],
)
def test_sheet_permission_matrix(cast, who, expected):
    letter = letter_draft(cast)
    response = client_for(cast, who).post(sheet_url(letter), {"rows": [person(1)]}, format="json")
    assert response.status_code == expected, response.json()
    assert letter.rows.exists() == (expected == 200)


def test_a_retried_sheet_with_the_same_key_adds_its_rows_once(cast):
    letter = letter_draft(cast)
    client = api_as(cast.clerk_a)
    body = {"rows": [person(1), person(2)]}
    first = client.post(sheet_url(letter), body, format="json", HTTP_IDEMPOTENCY_KEY="bang-1")
    again = client.post(sheet_url(letter), body, format="json", HTTP_IDEMPOTENCY_KEY="bang-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert letter.rows.count() == 2


def _queries(client, url, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, body, format="json")
    assert response.status_code in (200, 201), response.json()
    return len(queries)


def test_stocking_keeps_one_query_budget_whatever_the_number_of_devices(cast):
    client = api_as(cast.ca_operator)
    few = [{"serial": f"VT26004{n:02d}"} for n in range(2)]
    many = [{"serial": f"VT26005{n:02d}"} for n in range(40)]
    assert _queries(client, STOCK, {"rows": many}) == _queries(client, STOCK, {"rows": few})


def test_the_sheet_keeps_its_query_budget_of_four_queries_a_row(cast):
    """The rules of a typed row query per row (requests_app.rules.row_errors), once when the
    rows are read and once more on the locked letter, as the file import's confirmation does."""
    client = api_as(cast.clerk_a)
    one = _queries(client, sheet_url(letter_draft(cast)), {"rows": [person(1)]})
    many = [person(n) for n in range(1, 21)]
    assert _queries(client, sheet_url(letter_draft(cast)), {"rows": many}) <= one + 4 * 19
