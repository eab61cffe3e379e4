"""The statistics page: totals against seeded data, each figure within `visible_to`, the
narrowing by province or agency, the exports, who may open it and what it costs."""

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from certificates.choices import CertEventKind, CertStatus, SubjectKind
from certificates.models import CertificateEvent
from dashboard import statistics
from devices.choices import DeviceKind, DeviceStatus
from portal.lib.charts import Series, bar_chart, month_chart
from portal.models import Deadline
from tests import factories as f
from tests.export_reading import export_bytes, read_export
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
URL = "/thong-ke/"
XLSX_STATES = {"bang": "trang-thai", "xuat": "xlsx"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def cert(agency, **fields):
    return f.CertificateFactory(person=f.PersonFactory(organization=agency), **fields)


@pytest.fixture
def seeded(cast):
    """Province 1: agency A with 3 valid (one on an SD Secure), 1 revoked, 1 expired; agency B
    with 1 valid. Province 2: agency C with 2 valid. Events this month: 2 issued in A,
    1 revoked in A, 1 issued in C."""
    now = timezone.now()
    sim = f.DeviceFactory(
        agency=cast.agency_a, kind=DeviceKind.SD_SECURE, status=DeviceStatus.HANDED_TO_SUBSCRIBER
    )
    a = [cert(cast.agency_a) for _ in range(2)] + [cert(cast.agency_a, device=sim)]
    revoked = cert(cast.agency_a, status=CertStatus.REVOKED, revoked_at=now)
    cert(cast.agency_a, status=CertStatus.EXPIRED, not_after=now - timedelta(days=3))
    cert(cast.agency_b)
    c = [cert(cast.agency_c), cert(cast.agency_c)]
    for certificate, kind in (
        (a[0], CertEventKind.ISSUED),
        (a[1], CertEventKind.ISSUED),
        (revoked, CertEventKind.REVOKED),
        (c[0], CertEventKind.ISSUED),
    ):
        CertificateEvent.objects.create(certificate=certificate, kind=kind, at=now)
    return cast


def table(tables, key):
    return {row[0]: row[1:] for row in next(t for t in tables if t.key == key).rows}


def test_the_nationwide_totals_match_the_seeded_registry(seeded):
    tables = statistics.figures(seeded.ca_operator)

    states = table(tables, "trang-thai")
    assert (states["Còn hiệu lực"], states["Hết hạn"], states["Đã thu hồi"]) == ([6], [1], [1])
    assert table(tables, "loai-thue-bao")[str(SubjectKind.PERSON.label)] == [6]
    storage = table(tables, "thiet-bi-luu-khoa")
    assert storage["SD Secure"] == [1] and storage["Không gắn thiết bị"] == [5]
    provinces = table(tables, "theo-don-vi")
    assert provinces["Tỉnh Lai Châu"] == [4, 1, 6]
    assert provinces["Thành phố Đà Nẵng"] == [2, 0, 2]
    month = timezone.localdate().strftime("%m/%Y")
    assert table(tables, "theo-thang")[month] == [3, 0, 0, 1]


def test_a_provincial_officer_sees_only_their_province_by_agency(seeded):
    tables = statistics.figures(seeded.officer_1)

    assert table(tables, "trang-thai")["Còn hiệu lực"] == [4]
    agencies = table(tables, "theo-don-vi")
    assert set(agencies) == {"Sở Tài chính tỉnh Lai Châu", "Sở Y tế tỉnh Lai Châu"}
    month = timezone.localdate().strftime("%m/%Y")
    assert table(tables, "theo-thang")[month] == [2, 0, 0, 1]


def test_a_clerk_sees_only_their_agency(seeded):
    tables = statistics.figures(seeded.clerk_c)

    assert table(tables, "trang-thai")["Còn hiệu lực"] == [2]
    assert set(table(tables, "theo-don-vi")) == {"Sở Xây dựng thành phố Đà Nẵng"}


def test_the_ca_narrows_to_a_province_and_a_province_cannot_narrow_outside_its_own(seeded, client):
    sign_in(client, seeded.ca_operator)
    response = client.get(URL, {"don_vi": seeded.province_2.pk})
    assert table(response.context["tables"], "trang-thai")["Còn hiệu lực"] == [2]

    cache.clear()
    sign_in(client, seeded.officer_1)
    response = client.get(URL, {"don_vi": seeded.agency_c.pk})
    # Another province's agency is not a choice: the officer's own scope is shown.
    assert response.context["narrowed"].chosen is None
    assert table(response.context["tables"], "trang-thai")["Còn hiệu lực"] == [4]
    response = client.get(URL, {"don_vi": seeded.agency_b.pk})
    assert table(response.context["tables"], "trang-thai")["Còn hiệu lực"] == [1]


def test_deadlines_met_in_time_late_and_overdue_are_counted_per_province(seeded):
    today = timezone.localdate()
    now = timezone.now()

    def deadline(n, agency, due, closed=None):
        Deadline.objects.create(
            kind=Deadline.Kind.CA_PROCESSING,
            subject=f"letter:{n}",
            due_on=due,
            actor=Deadline.Actor.CA,
            agency_id=agency.pk,
            closed_at=closed,
        )

    deadline(1, seeded.agency_a, today + timedelta(days=2), closed=now)
    deadline(2, seeded.agency_a, today - timedelta(days=5), closed=now)
    deadline(3, seeded.agency_b, today - timedelta(days=1))
    deadline(4, seeded.agency_c, today - timedelta(days=1))

    rows = next(t for t in statistics.figures(seeded.officer_1) if t.key == "dung-han").rows

    assert rows == [["Tỉnh Lai Châu", "CA xử lý (3 ngày làm việc)", 1, 1, 1, "50,0 %"]]


def test_the_page_shows_each_chart_with_its_table_and_exports_a_table_in_scope(seeded, client):
    sign_in(client, seeded.officer_1)
    page = client.get(URL).content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') >= 7
    assert 'data-table="theo-don-vi"' in page

    headers, lines = read_export(client.get(URL, {"bang": "theo-don-vi", "xuat": "xlsx"}))
    assert headers == ["STT", "Cơ quan", "Còn hiệu lực", "Đã thu hồi", "Tổng số"]
    names = {line[1].value for line in lines}
    assert names == {"Sở Tài chính tỉnh Lai Châu", "Sở Y tế tỉnh Lai Châu"}
    assert all(line[1].data_type == "s" for line in lines)
    assert client.get(URL, {"bang": "khong-co", "xuat": "xlsx"}).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clerk_a", 200),
        ("head_a", 200),
        ("officer_1", 200),
        ("ca_operator", 200),
        ("admin", 200),
        ("subscriber_user", 403),
    ],
)
def test_who_may_open_the_statistics(cast, client, persona, status):
    sign_in(client, getattr(cast, persona))
    assert client.get(URL).status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_page_costs_the_same_queries_for_more_data(
    seeded, client, django_assert_max_num_queries
):
    sign_in(client, seeded.ca_operator)
    with django_assert_max_num_queries(20):
        client.get(URL)
    for _ in range(30):
        cert(seeded.agency_c)
    cache.clear()
    with django_assert_max_num_queries(20):
        client.get(URL)
    # Cached: the figures are not computed again within the hour.
    with django_assert_max_num_queries(8):
        client.get(URL)


def test_a_bar_chart_is_valid_svg_with_bars_in_proportion_and_escaped_labels():
    svg = str(bar_chart("Tiêu đề", [("<b>Sở A</b>", 10), ("Sở B", 5)]))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert [int(bar.get("width")) for bar in bars][0] == 2 * int(bars[1].get("width"))
    assert root.get("role") == "img" and root.get("aria-label") == "Tiêu đề"
    assert "<b>" not in svg and "&lt;b&gt;Sở A&lt;/b&gt;" in svg


def test_a_month_chart_draws_one_bar_per_month_and_series():
    svg = str(
        month_chart("T", ["01/26", "02/26"], [Series("Cấp mới", [1, 2]), Series("X", [0, 4])])
    )
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    rects = list(root.iter("{http://www.w3.org/2000/svg}rect"))
    assert len(rects) == 2 * 2 + 2  # bars and the legend's two swatches


def test_the_english_page_after_a_vietnamese_one_shows_english_figures(seeded, client):
    sign_in(client, seeded.officer_1)
    assert "Chứng thư số theo trạng thái" in client.get(URL).content.decode()  # cached in vi

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(URL).content.decode()

    assert "Certificates by status" in page
    assert "Chứng thư số theo trạng thái" not in page
    sheet = load_workbook(io.BytesIO(export_bytes(client.get(URL, XLSX_STATES)))).active
    cells = {cell.value for line in sheet.iter_rows() for cell in line}
    assert "Status" in cells and "Trạng thái" not in cells
