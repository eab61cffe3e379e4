"""The signing-activity monitor (docs/architecture.md §13): the night flag, each figure of the
monthly rollups, the rollup run twice, the idle list at 89 and 90 days, the burst rule at its
threshold and one above it and at 21:59 and 22:00, one alert and one notification per
certificate and day, the page within `visible_to` (a clerk sees their agency, a province its
own, the CA all; out of scope 404), its query budget, and the monthly report's section."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.choices import (
    IssuerKind,
    SignedDocumentKind,
    SigningEventKind,
    SigningOutcome,
)
from certificates.models import SigningEvent
from certificates.services import (
    signing_event_record,
)
from certificates.services.monitoring import is_night
from dashboard import monitor
from dashboard.models import (
    IdleCertificate,
    IdleCertificateCount,
    SigningAgencyMonth,
    SigningAlert,
    SigningCertificateMonth,
)
from dashboard.monitor_rollups import (
    burst_threshold,
    idle_certificates_refresh,
    signing_bursts_check,
    signing_months_roll_up,
)
from dashboard.months import Month
from portal.models import Notification
from tests.dashboard.signing_world import cert, local, signed
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
PAGE = "/giam-sat-ky-so/"


@pytest.fixture
def yesterday():
    """A settled past day: the burst checks run as of 15:00 on it, whatever the clock says."""
    return timezone.localdate() - timedelta(days=1)


# --- the night flag -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hour", "minute", "night"),
    [(21, 59, False), (22, 0, True), (5, 59, True), (6, 0, False), (12, 0, False)],
)
def test_night_is_from_22_00_to_06_00_local_time(hour, minute, night):
    assert is_night(local(timezone.localdate(), hour, minute)) is night


def test_an_event_records_its_night_flag_and_the_certificates_agency(cast):
    certificate = cert(cast.agency_a)
    event = signing_event_record(
        kind=SigningEventKind.SIGNED,
        certificate=certificate,
        at=local(timezone.localdate(), 22),
    )
    assert (event.night, event.agency_id, event.serial) == (
        True,
        cast.agency_a.pk,
        certificate.serial,
    )


# --- the rollups ----------------------------------------------------------------------------
@pytest.fixture
def month_events(cast):
    """In this month: agency A's letter 1 signed and sealed (two certificates, one document),
    letter 2 signed at night, a file uploaded signed with a public CA's certificate, a
    signature verified after its certificate was revoked, an OCSP answer; agency C (another
    province) one signature."""
    today = timezone.localdate()
    day = today.replace(day=1)
    head, seal, other = cert(cast.agency_a), cert(cast.agency_a), cert(cast.agency_c)
    signed(head, local(day, 9), document_id=1)
    signed(seal, local(day, 9), document_id=1)
    signed(head, local(day, 23), document_id=2)
    signing_event_record(
        kind=SigningEventKind.UPLOADED,
        serial="PUBLIC01",
        issuer_kind=IssuerKind.PUBLIC,
        agency=cast.agency_a,
        document_kind=SignedDocumentKind.LETTER,
        document_number="3/STC",
        outcome=SigningOutcome.UNTRUSTED,
        at=local(day, 10),
    )
    signing_event_record(
        kind=SigningEventKind.VERIFIED,
        certificate=head,
        outcome=SigningOutcome.REVOKED,
        document_kind=SignedDocumentKind.LETTER,
        document_id=2,
        at=local(day, 11),
    )
    signing_event_record(kind=SigningEventKind.OCSP, certificate=head, at=local(day, 12))
    signed(other, local(day, 9), document_id=9)
    return head, seal, other


def test_the_rollup_counts_each_figure_per_agency_and_certificate(cast, month_events):
    head, seal, other = month_events
    signing_months_roll_up()

    first = timezone.localdate().replace(day=1)
    a = SigningAgencyMonth.objects.get(month=first, agency=cast.agency_a)
    # Documents 1, 2 and the uploaded one; four signatures (two on letter 1).
    assert (a.documents, a.signatures, a.night, a.public, a.bad) == (3, 4, 1, 1, 1)
    c = SigningAgencyMonth.objects.get(month=first, agency=cast.agency_c)
    assert (c.documents, c.signatures) == (1, 1)
    rows = {r.serial: r for r in SigningCertificateMonth.objects.filter(agency=cast.agency_a)}
    assert (rows[head.serial].signatures, rows[head.serial].night) == (2, 1)
    assert (rows[head.serial].bad, rows[head.serial].verified, rows[head.serial].ocsp) == (1, 1, 1)
    assert rows[head.serial].last_signed_at == local(first, 23)
    assert rows[seal.serial].signatures == 1
    assert (
        rows["PUBLIC01"].issuer_kind == IssuerKind.PUBLIC and rows["PUBLIC01"].certificate is None
    )


def test_the_rollup_run_twice_writes_the_same_rows(cast, month_events):
    signing_months_roll_up()
    first = (
        list(SigningAgencyMonth.objects.order_by("pk").values()),
        list(SigningCertificateMonth.objects.order_by("pk").values()),
    )
    signing_months_roll_up()
    assert (
        list(SigningAgencyMonth.objects.order_by("pk").values()),
        list(SigningCertificateMonth.objects.order_by("pk").values()),
    ) == first


def test_the_open_month_is_rolled_up_again_and_a_settled_one_never(cast):
    head = cert(cast.agency_a)
    today = timezone.localdate()
    last_month = Month.previous(today)
    signed(head, local(last_month.first_day, 10))
    signing_months_roll_up()
    # Events are stamped when they happen: one appearing in a settled month later (only an
    # import could) is left out; this month's new signature is counted.
    signed(head, local(last_month.first_day, 11))
    signed(head, local(today.replace(day=1), 0, 1))
    signing_months_roll_up()

    assert SigningAgencyMonth.objects.get(month=last_month.first_day).signatures == (
        1 if today.day > 1 else 2  # on the 1st, last month has not settled yet
    )
    assert SigningAgencyMonth.objects.get(month=today.replace(day=1)).signatures == 1


# --- the idle list --------------------------------------------------------------------------
def test_a_certificate_idle_for_90_days_is_listed_and_89_days_is_not(cast):
    now = timezone.now()
    old = now - timedelta(days=400)
    at_90, at_89 = cert(cast.agency_a, not_before=old), cert(cast.agency_a, not_before=old)
    never = cert(cast.agency_a, not_before=old)
    new_90 = cert(cast.agency_a, not_before=now - timedelta(days=90))
    new_89 = cert(cast.agency_a, not_before=now - timedelta(days=89))
    expired = cert(cast.agency_a, not_before=old, not_after=now - timedelta(days=1))
    signed(at_90, now - timedelta(days=90))
    signed(at_89, now - timedelta(days=89))

    signing_months_roll_up(now=now)
    idle_certificates_refresh(now=now)

    listed = set(IdleCertificate.objects.values_list("certificate_id", flat=True))
    assert listed == {at_90.pk, never.pk, new_90.pk}
    assert not listed & {at_89.pk, new_89.pk, expired.pk}
    assert IdleCertificate.objects.get(certificate=at_90).last_signed_at == now - timedelta(days=90)
    idle_certificates_refresh(now=now)  # a rerun writes the same list
    assert set(IdleCertificate.objects.values_list("certificate_id", flat=True)) == listed


# --- the burst rule -------------------------------------------------------------------------
def test_the_threshold_is_five_times_the_median_and_at_least_20():
    assert burst_threshold([]) == 20
    assert burst_threshold([3] * 30) == 20
    assert burst_threshold([10] * 30) == 50
    assert burst_threshold([10] * 10) == 20  # twenty days without a signature: median 0
    assert burst_threshold([10] * 15 + [11] * 15) == 52  # median 10.5: 52.5, so 53 is a burst
    # Fifteen days missing count as zeros: median (0 + 10) / 2 = 5, so 25; one day more, 50.
    assert burst_threshold([10] * 15) == 25
    assert burst_threshold([10] * 16) == 50


@pytest.mark.parametrize(("today_n", "alert"), [(20, False), (21, True)])
def test_without_history_more_than_20_signatures_is_a_burst(cast, yesterday, today_n, alert):
    signed(cert(cast.agency_a), local(yesterday, 10), n=today_n)
    signing_bursts_check(now=local(yesterday, 15))
    assert SigningAlert.objects.exists() is alert


@pytest.mark.parametrize(("today_n", "alert"), [(50, False), (51, True)])
def test_above_five_times_the_daily_median_is_a_burst(cast, yesterday, today_n, alert):
    certificate = cert(cast.agency_a)
    for days_back in range(1, 31):
        signed(certificate, local(yesterday - timedelta(days=days_back), 10), n=10)
    signed(certificate, local(yesterday, 10), n=today_n)

    signing_bursts_check(now=local(yesterday, 15))

    assert SigningAlert.objects.exists() is alert
    if alert:
        assert SigningAlert.objects.get().threshold == 50


@pytest.mark.parametrize(("hour", "minute", "alert"), [(21, 59, False), (22, 0, True)])
def test_a_signature_at_night_is_an_alert(cast, yesterday, hour, minute, alert):
    signed(cert(cast.agency_a), local(yesterday, hour, minute))
    signing_bursts_check(now=local(yesterday, 23, 30))
    assert SigningAlert.objects.filter(reason=SigningAlert.Reason.NIGHT).exists() is alert


def test_one_alert_and_one_notification_to_the_provinces_office_per_certificate_and_day(
    cast, yesterday
):
    certificate = cert(cast.agency_a)
    signed(certificate, local(yesterday, 22, 30))
    signed(certificate, local(yesterday, 10), n=25)

    signing_bursts_check(now=local(yesterday, 23))
    signing_bursts_check(now=local(yesterday, 23, 50))

    alert = SigningAlert.objects.get()
    assert (alert.serial, alert.day, alert.reason, alert.signatures) == (
        certificate.serial,
        yesterday,
        SigningAlert.Reason.RATE,
        26,
    )
    told = Notification.objects.filter(kind="signing_alert")
    assert list(told.values_list("user__username", flat=True)) == ["officer_1"]
    assert certificate.serial in told.get().message


# --- the page -------------------------------------------------------------------------------
@pytest.fixture
def rolled(cast, month_events):
    b = cert(cast.agency_b)
    signed(b, local(timezone.localdate().replace(day=1), 9), document_id=5)
    now = timezone.now()
    idle_a = cert(cast.agency_a, not_before=now - timedelta(days=200))
    idle_c = cert(cast.agency_c, not_before=now - timedelta(days=200))
    signing_months_roll_up()
    idle_certificates_refresh()
    yesterday = timezone.localdate() - timedelta(days=1)
    signed(month_events[0], local(yesterday, 23))
    signed(month_events[2], local(yesterday, 23))
    signing_bursts_check(now=local(yesterday, 23, 30))
    return {"b": b, "idle_a": idle_a, "idle_c": idle_c, "events": month_events}


def _seen(client, user, **params):
    sign_in(client, user)
    response = client.get(PAGE, params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_clerk_sees_their_agency_only(cast, client, rolled):
    page = _seen(client, cast.clerk_a)
    head, _seal, other = rolled["events"]
    assert cast.agency_a.name in page and head.serial in page and "PUBLIC01" in page
    assert rolled["idle_a"].serial in page
    assert cast.agency_b.name not in page and rolled["b"].serial not in page
    assert other.serial not in page and rolled["idle_c"].serial not in page


def test_the_province_sees_its_agencies_and_not_another_provinces(cast, client, rolled):
    page = _seen(client, cast.officer_1)
    _head, _seal, other = rolled["events"]
    assert cast.agency_a.name in page and rolled["b"].serial in page
    assert other.serial not in page and cast.agency_c.name not in page
    page_2 = _seen(client, cast.officer_2)
    assert other.serial in page_2 and rolled["b"].serial not in page_2


def test_the_ca_sees_every_province(cast, client, rolled):
    page = _seen(client, cast.ca_operator)
    assert rolled["events"][2].serial in page and rolled["b"].serial in page
    assert cast.province_1.name in page and cast.province_2.name in page


def test_an_organisation_outside_the_scope_is_404_and_a_subscriber_403(cast, client, rolled):
    sign_in(client, cast.clerk_a)
    assert client.get(PAGE, {"don_vi": cast.agency_c.pk}).status_code == 404
    assert client.get(PAGE, {"don_vi": cast.agency_b.pk}).status_code == 404
    assert client.get(PAGE, {"don_vi": "x"}).status_code == 404
    sign_in(client, cast.subscriber_user)
    assert client.get(PAGE).status_code == 403


def test_the_province_narrows_to_one_agency(cast, client, rolled):
    page = _seen(client, cast.officer_1, don_vi=cast.agency_b.pk)
    assert rolled["b"].serial in page and rolled["events"][0].serial not in page


def test_the_month_filter_reads_that_months_rollups(cast, client, rolled):
    previous = Month.previous(timezone.localdate())
    page = _seen(client, cast.clerk_a, thang=f"{previous.year:04d}-{previous.month:02d}")
    assert (
        rolled["events"][0].serial
        not in page.split('id="theo-chung-thu"')[1].split("</section>")[0]
    )


def _section(page: str, key: str) -> str:
    return page.split(f'id="{key}"')[1].split("</section>")[0]


def test_the_lists_link_the_portals_certificates_and_not_a_public_cas(cast, client, rolled):
    page = _seen(client, cast.clerk_a)
    head = rolled["events"][0]
    top = _section(page, "theo-chung-thu")
    assert f'href="/chung-thu/{head.serial}/"' in top and cast.agency_a.name in top
    public = _section(page, "cong-cong")
    assert "PUBLIC01" in public and "/chung-thu/PUBLIC01" not in public
    assert "Công cộng" in public and "Chuyên dùng" not in public
    idle = _section(page, "khong-su-dung")
    assert f'href="/chung-thu/{rolled["idle_a"].serial}/"' in idle


def test_a_scope_without_idle_certificates_reads_no_idle_list(
    cast, client, rolled, django_assert_num_queries
):
    # As the worker writes an agency none of whose certificates is idle: no line, a zero.
    IdleCertificate.objects.filter(agency=cast.agency_a).delete()
    IdleCertificateCount.objects.filter(agency=cast.agency_a).update(n=0)
    sign_in(client, cast.clerk_a)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as read:
        page = client.get(PAGE).content.decode()
    assert "Không có chứng thư nào." in _section(page, "khong-su-dung")
    assert not [q for q in read.captured_queries if 'dashboard_idlecertificate"' in q["sql"]]


def test_the_page_costs_the_same_queries_for_more_events(
    cast, client, rolled, django_assert_max_num_queries
):
    sign_in(client, cast.ca_operator)
    client.get(PAGE)
    for _i in range(5):
        signed(cert(cast.agency_b), local(timezone.localdate().replace(day=1), 10), n=3)
    signing_months_roll_up()
    with django_assert_max_num_queries(17):
        assert client.get(PAGE).status_code == 200


# --- the kept page ---------------------------------------------------------------------------
def _queries_of_a_visit(client, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as read:
        page = client.get(PAGE, params).content.decode()
    return len(read.captured_queries), page


def test_a_second_visit_reads_the_kept_figures_until_the_worker_writes_again(cast, client, rolled):
    sign_in(client, cast.clerk_a)
    first, page = _queries_of_a_visit(client)
    again, page_again = _queries_of_a_visit(client)
    assert again <= first - 8
    top = _section(page, "theo-chung-thu")
    assert top == _section(page_again, "theo-chung-thu")
    new = cert(cast.agency_a)
    signed(new, local(timezone.localdate().replace(day=1), 11), document_id=77)
    assert new.serial not in _section(client.get(PAGE).content.decode(), "theo-chung-thu")
    signing_months_roll_up()
    assert new.serial in _section(client.get(PAGE).content.decode(), "theo-chung-thu")


def test_a_kept_page_is_never_shown_to_another_user_or_scope(cast, client, rolled):
    head = rolled["events"][0]
    assert head.serial in _seen(client, cast.clerk_a)
    assert head.serial not in _seen(client, cast.clerk_b)
    # The clerk moves to another agency: the page kept for their old scope is not theirs now.
    cast.clerk_a.memberships.update(organization=cast.agency_b)
    page = _seen(client, cast.clerk_a)
    assert head.serial not in page and rolled["b"].serial in page


def test_a_kept_page_follows_the_language(cast, client, rolled):
    sign_in(client, cast.clerk_a)
    vietnamese = client.get(PAGE).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(PAGE).content.decode()
    assert "Chữ ký bằng chứng thư đã thu hồi hoặc hết hạn" in vietnamese
    assert "Chữ ký bằng chứng thư đã thu hồi hoặc hết hạn" not in english


def test_the_navigation_links_the_monitor_for_letter_roles(cast, client):
    sign_in(client, cast.clerk_a)
    assert f'href="{PAGE}"' in client.get("/").content.decode()
    sign_in(client, cast.subscriber_user)
    assert f'href="{PAGE}"' not in client.get("/").content.decode()


def test_the_page_writes_nothing(cast, client, rolled):
    counts = (
        SigningEvent.objects.count(),
        SigningAgencyMonth.objects.count(),
        SigningAlert.objects.count(),
        IdleCertificate.objects.count(),
    )
    _seen(client, cast.ca_operator)
    assert counts == (
        SigningEvent.objects.count(),
        SigningAgencyMonth.objects.count(),
        SigningAlert.objects.count(),
        IdleCertificate.objects.count(),
    )


# --- the monthly report ---------------------------------------------------------------------
def test_the_monthly_reports_section_sums_the_provinces_signing(cast, rolled):
    month = Month.of(timezone.localdate())
    summary, by_agency = monitor.report_tables(cast.officer_1, cast.province_1, month)
    figures = dict(summary.rows)
    # Agency A: 3 documents, 4 signatures; agency B: 1 and 1; agency C is another province.
    assert figures["Văn bản đã ký số"] == 4 and figures["Chữ ký số"] == 5
    assert figures["Chữ ký bằng chứng thư số công cộng"] == 1
    assert figures["Chữ ký bằng chứng thư số đã thu hồi hoặc hết hạn"] == 1
    assert figures["Chữ ký ban đêm (22:00–06:00)"] == 1
    assert (
        figures["Chứng thư số không sử dụng từ 90 ngày (hiện tại)"]
        == IdleCertificate.objects.filter(agency__province=cast.province_1).count()
    )
    assert [row[0] for row in by_agency.rows] == [cast.agency_a.name, cast.agency_b.name]
