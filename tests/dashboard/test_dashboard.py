"""The dashboard: who may open it, what each role counts, and what it costs in queries."""

import html
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from certificates.choices import CertStatus
from certificates.models import Certificate
from dashboard import counts as dashboard
from devices.choices import DeviceStatus
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

HEADINGS = {
    "clerk_a": "Bảng điều khiển của cán bộ đầu mối",
    "head_a": "Bảng điều khiển của lãnh đạo cơ quan",
    "officer_1": "Bảng điều khiển của Sở Khoa học và Công nghệ",
    "ca_operator": "Bảng điều khiển của Cục Chứng thực số và Bảo mật thông tin",
    "subscriber_user": "Bảng điều khiển của thuê bao",
    "admin": "Bảng điều khiển quản trị hệ thống",
}


def shown(response, name: str) -> int:
    """The number a dashboard shows under `data-count="<name>"`."""
    match = re.search(rf'data-count="{name}">([\d.,]+)<', response.content.decode())
    assert match, f"no {name} count on the page"
    return int(match.group(1).replace(".", "").replace(",", ""))


def open_dashboard(client, user):
    sign_in(client, user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response


def cert(agency, **fields):
    return f.CertificateFactory(person=f.PersonFactory(organization=agency), **fields)


def revoked(agency):
    return cert(agency, status=CertStatus.REVOKED, revoked_at=timezone.now())


def expiring(agency, days=10):
    return cert(agency, not_after=timezone.now() + timedelta(days=days))


# Permission matrix


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


@pytest.mark.parametrize("persona", list(HEADINGS))
def test_each_role_opens_its_own_dashboard(client, cast, persona):
    response = open_dashboard(client, getattr(cast, persona))
    assert f"<h1>{HEADINGS[persona]}</h1>" in response.content.decode()


def test_an_account_without_a_role_sees_an_explanation_not_numbers(client, cast):
    cert(cast.agency_a)
    response = open_dashboard(client, f.UserFactory(username="no_role"))
    body = response.content.decode()
    assert "Tài khoản chưa được phân vai trò" in body
    assert "data-count" not in body


def test_the_header_shows_the_user_and_role_and_a_post_logout(client, cast):
    body = open_dashboard(client, cast.clerk_a).content.decode()
    assert "clerk_a" in body
    assert "Cán bộ đầu mối cơ quan" in body
    assert re.search(r'<form action="/dang-xuat/" method="post">', body)
    assert re.search(r"""<body hx-headers='\{"x-csrftoken": "\w+"\}'>""", body)


def _header_name(response) -> str:
    found = re.search(r'<a class="user-name"[^>]*>([^<]*)</a>', response.content.decode())
    return html.unescape(found.group(1))


@pytest.mark.parametrize("persona", ["clerk_a", "head_a", "subscriber_user", "admin"])
def test_the_header_shows_the_persons_name_whenever_there_is_one(client, cast, persona):
    user = getattr(cast, persona)
    user.first_name = "Tên tài khoản"
    user.save(update_fields=["first_name"])
    person = getattr(user, "person", None) or f.PersonFactory(organization=cast.agency_a, user=user)
    person.full_name = "Nguyễn Thị Lan"
    person.save(update_fields=["full_name"])
    assert _header_name(open_dashboard(client, user)) == "Nguyễn Thị Lan"


def test_the_header_falls_back_to_the_account_name_without_a_person(client, cast):
    assert _header_name(open_dashboard(client, cast.clerk_a)) == "clerk_a"


def nav(response) -> list[str]:
    block = re.search(r'<nav class="site-nav".*?</nav>', response.content.decode(), re.S)
    return [html.unescape(text) for text in re.findall(r"<a [^>]*>([^<]+)</a>", block.group(0))]


HOME, LETTERS, CERTIFICATES, DEVICES, NOTICES = (
    "Bảng điều khiển",
    "Văn bản đề nghị",
    "Chứng thư số",
    "Thiết bị",
    "Thông báo",
)
MERGERS = "Sáp nhập"
STATISTICS = "Thống kê"
DEMAND = "Nhu cầu CTS"
MONITOR = "Giám sát ký số"
PRIVACY = "Dữ liệu cá nhân"
CORRECTIONS = "Yêu cầu đính chính"
APPROVALS = "Phê duyệt"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "clerk_a",
            [HOME, LETTERS, CERTIFICATES, DEVICES, DEMAND, STATISTICS, MONITOR, CORRECTIONS]
            + [NOTICES],
        ),
        (
            "officer_1",
            [HOME, LETTERS, "Hộp thư Sở KH&CN", CERTIFICATES, DEVICES, MERGERS]
            + [DEMAND, STATISTICS, MONITOR, APPROVALS, NOTICES],
        ),
        (
            "ca_operator",
            [HOME, LETTERS, "Hàng đợi CA", CERTIFICATES, DEVICES, DEMAND, STATISTICS]
            + [MONITOR, APPROVALS, NOTICES],
        ),
        ("subscriber_user", [HOME, CERTIFICATES, DEVICES, NOTICES]),
        (
            "admin",
            [HOME, LETTERS, "Hộp thư Sở KH&CN", "Hàng đợi CA", CERTIFICATES, DEVICES, MERGERS]
            + [DEMAND, STATISTICS, MONITOR, PRIVACY, CORRECTIONS, APPROVALS, NOTICES]
            + ["Quản trị"],
        ),
    ],
)
def test_the_navigation_offers_the_pages_of_the_users_role(client, cast, persona, expected):
    assert nav(open_dashboard(client, getattr(cast, persona))) == expected


def test_the_data_protection_officer_is_offered_the_privacy_pages_and_no_letters(client, cast):
    officer = f.UserFactory(username="dpo")
    f.MembershipFactory(user=officer, role=Role.DATA_PROTECTION_OFFICER, organization=None)
    response = open_dashboard(client, officer)
    assert nav(response) == [HOME, CERTIFICATES, DEVICES, PRIVACY, NOTICES]
    assert "Bảng điều khiển bảo vệ dữ liệu cá nhân" in response.content.decode()


def test_the_current_page_is_marked_in_the_navigation(client, cast):
    body = open_dashboard(client, cast.clerk_a).content.decode()
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', body) == ["/"]


def test_a_devices_loss_page_is_marked_as_a_device_page_though_requests_app_serves_it(client, cast):
    device = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.DELIVERED_TO_AGENCY)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("paperwork:device_report_loss", args=[device.pk]))
    assert response.status_code == 200
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', response.content.decode())
    assert current[0] == reverse("devices:list")


def test_only_staff_get_the_administration_link(client, cast):
    assert 'href="/quan-tri/"' not in open_dashboard(client, cast.clerk_a).content.decode()
    assert 'href="/quan-tri/"' in open_dashboard(client, cast.admin).content.decode()


# What each role counts


def test_a_clerk_counts_their_agency_certificates_by_state(client, cast):
    unit_person = f.PersonFactory(organization=cast.unit_a)
    f.CertificateFactory(person=unit_person)  # a unit's certificate belongs to the agency
    cert(cast.agency_a)
    expiring(cast.agency_a)
    revoked(cast.agency_a)
    cert(cast.agency_a, not_after=timezone.now() - timedelta(days=1))  # past its end date
    cert(
        cast.agency_a,
        status=CertStatus.EXPIRED,
        not_before=timezone.now() - timedelta(days=800),
        not_after=timezone.now() - timedelta(days=30),
    )
    response = open_dashboard(client, cast.clerk_a)
    assert shown(response, "valid") == 3
    assert shown(response, "expiring") == 1
    assert shown(response, "revoked") == 1
    assert shown(response, "expired") == 2
    assert "Tổng số: 6" in response.content.decode()


def test_a_clerk_of_agency_b_does_not_see_the_numbers_of_agency_a(client, cast):
    for _ in range(4):
        cert(cast.agency_a)
    revoked(cast.agency_a)
    f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    cert(cast.agency_b)
    f.DeviceFactory(agency=cast.agency_b, status=DeviceStatus.HANDED_TO_SUBSCRIBER)

    response_b = open_dashboard(client, cast.clerk_b)
    assert shown(response_b, "valid") == 1
    assert shown(response_b, "revoked") == 0
    assert shown(response_b, "devices") == 1
    assert 'data-device-status="locked"' not in response_b.content.decode()

    response_a = open_dashboard(client, cast.head_a)
    assert shown(response_a, "valid") == 4
    assert shown(response_a, "revoked") == 1


def test_devices_are_counted_by_status(client, cast):
    f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOST)
    f.DeviceFactory(agency=cast.agency_c, status=DeviceStatus.LOCKED)
    response = open_dashboard(client, cast.clerk_a)
    body = response.content.decode()
    assert 'data-device-status="locked">2<' in body
    assert 'data-device-status="lost">1<' in body
    assert shown(response, "devices") == 3


def test_a_provincial_officer_sees_their_province_and_its_agencies_only(client, cast):
    cert(cast.agency_a)
    cert(cast.agency_b)
    revoked(cast.agency_b)
    cert(cast.agency_c)
    response_1 = open_dashboard(client, cast.officer_1)
    assert shown(response_1, "valid") == 2
    assert shown(response_1, "revoked") == 1
    assert shown(response_1, "agencies") == 2
    assert "Tỉnh Lai Châu" in response_1.content.decode()

    response_2 = open_dashboard(client, cast.officer_2)
    assert shown(response_2, "valid") == 1
    assert shown(response_2, "agencies") == 1


def test_a_ca_operator_sees_every_certificate_and_those_issued_this_month(client, cast):
    now = timezone.now()
    start = dashboard.month_start(now)
    cert(cast.agency_a, not_before=start + timedelta(minutes=1))
    cert(cast.agency_c, not_before=start - timedelta(minutes=1))
    revoked(cast.agency_b)
    response = open_dashboard(client, cast.ca_operator)
    assert shown(response, "valid") == 2
    assert shown(response, "revoked") == 1
    expected = Certificate.objects.filter(not_before__gte=start).count()
    assert shown(response, "issued-this-month") == expected
    assert 'data-count="agencies"' not in response.content.decode()


def test_an_agency_dashboard_does_not_count_issued_this_month(client, cast):
    cert(cast.agency_a)
    assert (
        'data-count="issued-this-month"'
        not in open_dashboard(client, cast.clerk_a).content.decode()
    )


def test_an_administrator_sees_totals_users_and_the_admin_link(client, cast):
    cert(cast.agency_a)
    cert(cast.agency_c)
    response = open_dashboard(client, cast.admin)
    assert shown(response, "valid") == 2
    assert shown(response, "users") == 9  # the cast's users
    assert shown(response, "agencies") == 3
    assert "Mở trang quản trị" in response.content.decode()


def test_a_subscriber_sees_their_own_certificates_with_dd_mm_yyyy_expiry(client, cast):
    tz = timezone.get_current_timezone()
    f.CertificateFactory(
        person=cast.subscriber,
        serial="5a00000000000abc",
        not_after=datetime(2031, 3, 5, 10, 0, tzinfo=tz),
    )
    f.CertificateFactory(
        person=f.PersonFactory(organization=cast.unit_a), serial="5a00000000000def"
    )
    f.DeviceFactory(agency=cast.agency_a, holder=cast.subscriber, serial="TK12345678")
    body = open_dashboard(client, cast.subscriber_user).content.decode()
    assert "5a00000000000abc" in body
    assert "05/03/2031" in body
    assert "5a00000000000def" not in body
    assert "TK12345678" in body
    assert f"{cast.subscriber.full_name} · Phòng Ngân sách" in body
    assert "data-count" not in body  # no agency-wide numbers for a subscriber


def test_a_subscriber_certificate_near_its_end_is_flagged(client, cast):
    f.CertificateFactory(person=cast.subscriber, not_after=timezone.now() + timedelta(days=5))
    f.CertificateFactory(person=cast.subscriber, not_after=timezone.now() - timedelta(days=5))
    body = open_dashboard(client, cast.subscriber_user).content.decode()
    assert "Sắp hết hạn" in body
    assert "Hết hạn" in body


def test_empty_scopes_read_as_sentences_in_vietnamese(client, cast):
    body = open_dashboard(client, cast.clerk_a).content.decode()
    assert "Chưa có chứng thư số nào trong phạm vi bạn được xem." in body
    assert "Chưa có thiết bị lưu khóa bí mật nào trong phạm vi bạn được xem." in body
    body = open_dashboard(client, cast.subscriber_user).content.decode()
    assert "Bạn chưa có chứng thư số nào." in body
    assert "Bạn chưa giữ thiết bị lưu khóa bí mật nào." in body


def letter(cast, agency, clerk, status, **fields):
    from requests_app.models import CertRequest

    return CertRequest.objects.create(
        agency=agency, form="01", created_by=clerk, status=status, **fields
    )


def test_letters_are_counted_where_they_wait_within_scope(client, cast):
    yesterday = timezone.localdate() - timedelta(days=1)
    letter(cast, cast.agency_a, cast.clerk_a, "draft")
    letter(cast, cast.agency_a, cast.clerk_a, "awaiting_head")
    letter(
        cast, cast.agency_a, cast.clerk_a, "province_review",
        issued_on=yesterday, due_on=yesterday,
    )  # fmt: skip
    letter(cast, cast.agency_b, cast.clerk_b, "draft")
    letter(cast, cast.agency_c, cast.clerk_c, "province_review", issued_on=yesterday)

    response = open_dashboard(client, cast.clerk_a)
    assert shown(response, "letters-drafts") == 1
    assert shown(response, "letters-awaiting-head") == 1
    assert shown(response, "letters-in-province") == 1
    assert shown(response, "letters-overdue") == 1

    client.logout()
    officer = open_dashboard(client, cast.officer_1)
    assert shown(officer, "letters-in-province") == 1  # agency C is in another province
    assert "letters-drafts" not in officer.content.decode()  # drafts stay in the agency


def test_the_counts_agree_with_the_registry_queryset_verbs(cast):
    cert(cast.agency_a)
    expiring(cast.agency_a, days=29)
    expiring(cast.agency_a, days=31)
    revoked(cast.agency_a)
    cert(cast.agency_a, not_after=timezone.now() - timedelta(hours=1))
    qs = Certificate.objects.all()
    counts = dashboard.certificate_counts(qs)
    assert counts.valid == qs.valid().count() == 3
    assert counts.expiring == qs.expiring_within(dashboard.EXPIRING_WITHIN_DAYS).count() == 1


# Query budget


@pytest.mark.parametrize("persona", list(HEADINGS))
def test_the_dashboard_costs_the_same_queries_for_5_or_50_certificates(client, cast, persona):
    user = getattr(cast, persona)
    sign_in(client, user)

    def add(n):
        for i in range(n):
            agency = cast.agency_a if i % 2 else cast.agency_c
            person = cast.subscriber if i % 5 == 0 else f.PersonFactory(organization=agency)
            device = f.DeviceFactory(agency=agency, holder=person)
            f.CertificateFactory(person=person, agency=agency, device=device)

    def queries():
        cache.clear()  # the cost of counting, not of a wide scope's cached counts
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(ctx.captured_queries)

    add(5)
    small = queries()
    add(45)
    assert queries() == small
    # session, user, second factor (device), scope (2, the organisation names with it),
    # counts, letters, overdue returns, unread notifications (shared by the navigation and
    # "what needs me now"), and for a head the letters waiting for their signature; for the
    # administrator the active accounts
    assert small <= (12 if persona == "admin" else 11)


def test_the_subtitle_names_each_agency_of_a_clerk_without_a_query_of_its_own(client, cast):
    f.MembershipFactory(user=cast.clerk_a, role=Role.AGENCY_CLERK, organization=cast.agency_c)
    sign_in(client, cast.clerk_a)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("dashboard")).content.decode()
    names = sorted([cast.agency_a.name, cast.agency_c.name])
    assert html.escape(" · ".join(names)) in page
    assert not [
        q for q in ctx.captured_queries if 'SELECT "agencies_organization"."name"' in q["sql"]
    ]


# Wide scopes' counts are cached (docs/scale.md §12.7)


def test_a_ca_operators_counts_are_reused_for_a_minute_with_their_time_shown(client, cast):
    cert(cast.agency_a)
    first = open_dashboard(client, cast.ca_operator)
    assert shown(first, "valid") == 1
    assert "data-counted-at" in first.content.decode()
    cert(cast.agency_c)
    with CaptureQueriesContext(connection) as ctx:
        again = open_dashboard(client, cast.ca_operator)
    assert shown(again, "valid") == 1
    assert not [q for q in ctx.captured_queries if "certificates_certificate" in q["sql"]]
    with time_machine.travel(timezone.now() + timedelta(seconds=dashboard.WIDE_SCOPE_SECONDS + 1)):
        assert shown(open_dashboard(client, cast.ca_operator), "valid") == 2


def test_a_clerks_counts_are_always_live(client, cast):
    cert(cast.agency_a)
    first = open_dashboard(client, cast.clerk_a)
    assert shown(first, "valid") == 1
    assert "data-counted-at" not in first.content.decode()
    cert(cast.agency_a)
    assert shown(open_dashboard(client, cast.clerk_a), "valid") == 2


def test_officers_of_different_provinces_never_share_cached_counts(client, cast):
    cert(cast.agency_a)
    cert(cast.agency_b)
    cert(cast.agency_c)
    assert shown(open_dashboard(client, cast.officer_1), "valid") == 2
    assert shown(open_dashboard(client, cast.officer_2), "valid") == 1
    assert shown(open_dashboard(client, cast.ca_operator), "valid") == 3


# Language


def test_english_can_be_chosen_and_the_dashboard_follows(client, cast):
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("dashboard")).content.decode()
    assert '<html lang="en">' in body
    assert "Agency clerk dashboard" in body
    assert "Bảng điều khiển của cán bộ đầu mối" not in body
    assert "Log out" in body
    assert "Devices" in nav(client.get(reverse("dashboard")))


def test_the_login_page_is_vietnamese_by_default_and_works_without_javascript(client):
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="vi">' in body
    assert "Tên đăng nhập" in body
    assert "Mật khẩu" in body
    assert 'method="post"' in body


def test_a_wrong_password_is_refused_in_vietnamese(client, cast):
    response = client.post(reverse("login"), {"username": "clerk_a", "password": "sai-mat-khau"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in body
    assert "_auth_user_id" not in client.session


def test_logging_in_and_out_through_the_forms(client, cast):
    response = client.post(
        reverse("login"), {"username": "clerk_a", "password": "mat-khau-thu-nghiem"}
    )
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_head_who_is_also_a_subscriber_sees_their_own_certificate_too(client, cast):
    person = f.PersonFactory(organization=cast.agency_a, user=cast.head_a)
    f.CertificateFactory(person=person, serial="5a000000000000aa")
    body = open_dashboard(client, cast.head_a).content.decode()
    assert "Chứng thư số của tôi" in body
    assert "5a000000000000aa" in body


def test_a_head_without_certificates_of_their_own_gets_no_empty_personal_section(client, cast):
    assert "Chứng thư số của tôi" not in open_dashboard(client, cast.head_a).content.decode()


def test_overdue_device_returns_show_on_the_agency_province_and_ca_dashboards(client, cast):
    from datetime import date

    from devices.models import ReturnObligation

    device = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.AWAITING_RETURN)
    ReturnObligation.objects.create(
        device=device,
        agency=cast.agency_a,
        reason="revoked",
        notified_on=date(2026, 4, 24),
        due_on=date(2026, 5, 6),
    )
    for user, expected in (
        (cast.clerk_a, 1),
        (cast.officer_1, 1),
        (cast.ca_operator, 1),
        (cast.clerk_b, 0),
        (cast.officer_2, 0),
    ):
        sign_in(client, user)
        assert shown(client.get(reverse("dashboard")), "overdue-returns") == expected, user


def test_an_english_browser_still_gets_the_vietnamese_portal_until_english_is_chosen(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="en">' in body
