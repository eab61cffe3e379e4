"""The registry list's Excel export: the page's filters and scope, Vietnamese headers, serials
as text cells, and a query count that does not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.services import organization_code_set
from tests import factories as f
from tests.export_reading import column, read_export, values
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
URL = reverse("certificates:list")


@pytest.fixture
def certificates(cast):
    return {
        "a": f.certificate_valid_for(cast, agency=cast.agency_a),
        "b": f.certificate_valid_for(cast, agency=cast.agency_b),
        "c": f.certificate_valid_for(cast, agency=cast.agency_c),
    }


def test_the_export_has_the_vietnamese_headers(cast, client, certificates):
    sign_in(client, cast.ca_operator)
    headers, _lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    assert headers[:4] == ["STT", "Số hiệu", "Tên chứng thư", "Thư điện tử"]
    assert "Hiệu lực đến" in headers and "Trạng thái" in headers


def test_the_export_names_each_agency_by_its_official_code(cast, client, certificates):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    sign_in(client, cast.ca_operator)
    headers, lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    by_serial = dict(
        zip(
            values_in_order(headers, lines, "Số hiệu"),
            column(headers, lines, "Mã định danh cơ quan"),
            strict=True,
        )
    )
    assert by_serial[certificates["a"].serial].value == "000.00.05.H33"
    assert by_serial[certificates["a"].serial].data_type == "s"
    assert by_serial[certificates["b"].serial].value in (None, "")


def values_in_order(headers, lines, name):
    return [cell.value for cell in column(headers, lines, name)]


def test_a_clerk_exports_only_their_agencys_certificates(cast, client, certificates):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    assert values(headers, lines, "Số hiệu") == {certificates["a"].serial}


def test_the_province_exports_its_agencies_certificates(cast, client, certificates):
    sign_in(client, cast.officer_1)
    headers, lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    assert values(headers, lines, "Số hiệu") == {certificates["a"].serial, certificates["b"].serial}


def test_the_export_applies_the_current_filter(cast, client, certificates):
    sign_in(client, cast.officer_1)
    response = client.get(URL, {"xuat": "xlsx", "agency": cast.agency_b.pk})
    headers, lines = read_export(response)
    assert values(headers, lines, "Số hiệu") == {certificates["b"].serial}


def test_serials_are_text_cells_and_dates_dd_mm_yyyy(cast, client, certificates):
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    assert [cell.data_type for cell in column(headers, lines, "Số hiệu")] == ["s"]
    expected = certificates["a"].not_after.astimezone().strftime("%d/%m/%Y")
    assert column(headers, lines, "Hiệu lực đến")[0].value == expected


def test_validity_dates_are_the_days_in_vietnam(cast, client, certificates):
    from datetime import UTC, datetime

    type(certificates["a"]).objects.filter(pk=certificates["a"].pk).update(
        not_before=datetime(2026, 1, 1, 17, 30, tzinfo=UTC),  # 00:30 on 2 January in Hà Nội
        not_after=datetime(2028, 12, 31, 16, 59, tzinfo=UTC),  # 23:59 on 31 December
    )
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    assert column(headers, lines, "Hiệu lực từ")[0].value == "02/01/2026"
    assert column(headers, lines, "Hiệu lực đến")[0].value == "31/12/2028"


def test_the_list_page_offers_the_export_with_its_filter(cast, client, certificates):
    sign_in(client, cast.officer_1)
    response = client.get(URL, {"agency": cast.agency_b.pk, "page": 1})
    assert f'href="?agency={cast.agency_b.pk}&amp;xuat=xlsx"' in response.content.decode()


def _export_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        read_export(client.get(URL, {"xuat": "xlsx"}))
    return len(queries)


def test_exporting_30_certificates_costs_the_same_queries_as_3(cast, client):
    sign_in(client, cast.ca_operator)
    for _n in range(3):
        f.certificate_valid_for(cast, device=f.DeviceFactory(agency=cast.agency_a))
    few = _export_queries(client)
    for _n in range(27):
        f.certificate_valid_for(cast, device=f.DeviceFactory(agency=cast.agency_b))
    assert _export_queries(client) == few


def test_a_formula_in_a_name_is_exported_as_text(cast, client):
    f.certificate_valid_for(cast, common_name='=HYPERLINK("http://x","y")')
    sign_in(client, cast.clerk_a)
    headers, lines = read_export(client.get(URL, {"xuat": "xlsx"}))
    (cell,) = column(headers, lines, "Tên chứng thư")
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("http://x","y")')
