"""The signing monitor's rules at their edges (docs/architecture.md §13, letter 86 of
docs/domain.md §11): what an alert records and the words, link and key of the one notification
it sends, who is told (the agency's province's active officers; the CA for a ministry's
agency), which signatures count as today's, the history of a certificate the registry does not
hold, how many certificates a check reports, the documents a month counts, and the months a
run rolls up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.choices import OrgKind, Role
from certificates.choices import SignedDocumentKind, SigningEventKind
from certificates.services import signing_event_record
from dashboard.event_months import trend_months
from dashboard.models import SigningAgencyMonth, SigningAlert, SigningMonthTally
from dashboard.monitor_rollups import signing_bursts_check, signing_months_roll_up
from portal.models import Notification
from tests import factories as f
from tests.dashboard.signing_world import cert, local, signed, uploaded

pytestmark = pytest.mark.django_db


@pytest.fixture
def yesterday():
    """A settled past day: the checks run as of a moment of it, whatever the clock says."""
    return timezone.localdate() - timedelta(days=1)


def _told():
    return list(
        Notification.objects.filter(kind="signing_alert")
        .order_by("user__username")
        .values_list("user__username", "message", "url", "subject", "key")
    )


def _alerts():
    return list(
        SigningAlert.objects.order_by("serial").values_list(
            "serial", "day", "certificate_id", "agency_id", "reason", "signatures", "threshold"
        )
    )


# --- what an alert records and says ---------------------------------------------------------
def test_a_burst_alert_records_its_figures_and_tells_the_office_once_in_its_words(cast, yesterday):
    certificate = cert(cast.agency_a)
    signed(certificate, local(yesterday, 10), n=21)

    assert signing_bursts_check(now=local(yesterday, 15)) == 1
    assert signing_bursts_check(now=local(yesterday, 16)) == 1  # already alerted: told once

    assert _alerts() == [
        (
            certificate.serial,
            yesterday,
            certificate.pk,
            cast.agency_a.pk,
            SigningAlert.Reason.RATE,
            21,
            20,
        )
    ]
    assert _told() == [
        (
            "officer_1",
            f"Chứng thư số {certificate.serial} của Sở Tài chính tỉnh Lai Châu đã ký 21 chữ ký"
            f" ngày {yesterday:%d/%m/%Y}, vượt ngưỡng thường lệ 20.",
            f"/giam-sat-ky-so/?don_vi={cast.agency_a.pk}",
            f"certificate-serial:{certificate.serial}",
            f"signing-alert:{certificate.serial}:{yesterday.isoformat()}",
        )
    ]


def test_a_night_alert_records_a_zero_threshold_and_says_night(cast, yesterday):
    certificate = cert(cast.agency_a)
    signed(certificate, local(yesterday, 22, 30))

    assert signing_bursts_check(now=local(yesterday, 23)) == 1

    assert _alerts() == [
        (
            certificate.serial,
            yesterday,
            certificate.pk,
            cast.agency_a.pk,
            SigningAlert.Reason.NIGHT,
            1,
            0,
        )
    ]
    assert _told() == [
        (
            "officer_1",
            f"Chứng thư số {certificate.serial} của Sở Tài chính tỉnh Lai Châu đã ký số ban đêm"
            f" (22:00–06:00) ngày {yesterday:%d/%m/%Y}.",
            f"/giam-sat-ky-so/?don_vi={cast.agency_a.pk}",
            f"certificate-serial:{certificate.serial}",
            f"signing-alert:{certificate.serial}:{yesterday.isoformat()}",
        )
    ]


# --- who is told ----------------------------------------------------------------------------
def test_only_the_active_officers_of_the_agencys_province_are_told(cast, yesterday):
    gone = f.UserFactory(username="officer_gone", is_active=False)
    f.MembershipFactory(user=gone, role=Role.PROVINCIAL_OFFICER, organization=cast.office_1)
    signed(cert(cast.agency_a), local(yesterday, 23))

    signing_bursts_check(now=local(yesterday, 23, 30))

    assert [row[0] for row in _told()] == ["officer_1"]


def test_a_ministrys_agency_has_no_provinces_office_so_the_ca_is_told(cast, yesterday):
    ministry = f.ProvinceFactory(kind=OrgKind.MINISTRY, name="Bộ Thử Nghiệm")
    agency = f.AgencyFactory(parent=ministry, name="Vụ Thử Nghiệm")
    certificate = cert(agency)
    signed(certificate, local(yesterday, 23))

    signing_bursts_check(now=local(yesterday, 23, 30))

    assert [(row[0], row[2]) for row in _told()] == [
        ("ca_operator", f"/giam-sat-ky-so/?don_vi={agency.pk}")
    ]


# --- which signatures are today's -----------------------------------------------------------
def test_only_todays_signatures_until_now_with_a_serial_and_an_agency_count(cast, yesterday):
    day_before = yesterday - timedelta(days=1)
    signed(cert(cast.agency_a), local(day_before, 23, 59))  # the day before
    signed(cert(cast.agency_a), local(yesterday, 23))  # after the check
    signed(cert(cast.agency_a), local(yesterday, 10), n=20)  # at the threshold
    uploaded("", cast.agency_a, local(yesterday, 1))  # no serial to alert on
    uploaded("KHONGDONVI01", None, local(yesterday, 1))  # no agency to tell

    assert signing_bursts_check(now=local(yesterday, 15)) == 0
    assert not SigningAlert.objects.exists()
    assert not Notification.objects.filter(kind="signing_alert").exists()


def test_a_check_counts_each_certificate_alerted_whatever_comes_between(cast, yesterday):
    quiet = [cert(cast.agency_a) for _ in range(4)]
    for certificate in quiet:
        signed(certificate, local(yesterday, 9))
    burst, night = cert(cast.agency_a), cert(cast.agency_b)
    signed(burst, local(yesterday, 10), n=21)
    signed(night, local(yesterday, 5, 59))
    for certificate in quiet[2:]:
        signed(certificate, local(yesterday, 11))

    assert signing_bursts_check(now=local(yesterday, 15)) == 2
    assert {a[0]: a[4] for a in _alerts()} == {
        burst.serial: SigningAlert.Reason.RATE,
        night.serial: SigningAlert.Reason.NIGHT,
    }


# --- the history of a serial the registry does not hold -------------------------------------
def test_a_serial_outside_the_registry_has_its_own_history_read_by_serial(cast, yesterday):
    """A public CA's certificate is known by its serial alone, which may also be a registry
    certificate's: each history is its own."""
    registry = cert(cast.agency_a, serial="5A00000000000001")
    twin = cert(cast.agency_b, serial="5A00000000000002")
    for days_back in range(1, 31):
        at = local(yesterday - timedelta(days=days_back), 10)
        signed(registry, at, n=10)
        uploaded(registry.serial, cast.agency_b, at, number=f"R{days_back}")
        signed(twin, at, n=10)
        uploaded("PUBLIC-10", cast.agency_b, at, n=10, number=f"P{days_back}")
    signed(registry, local(yesterday, 10), n=40)  # 10 a day before: no burst below 51
    uploaded("PUBLIC-10", cast.agency_b, local(yesterday, 10), n=50)  # likewise
    uploaded(twin.serial, cast.agency_b, local(yesterday, 10), n=30)  # no history: 20

    signing_bursts_check(now=local(yesterday, 15))

    assert [(a[0], a[2], a[5], a[6]) for a in _alerts()] == [(twin.serial, None, 30, 20)]


# --- the documents a month counts -----------------------------------------------------------
def test_a_document_is_its_kind_and_key_or_its_number(cast):
    day = timezone.localdate().replace(day=1)
    certificate = cert(cast.agency_a)
    signed(certificate, local(day, 9), document_id=5)
    signed(certificate, local(day, 9), document_id=5, document_kind=SignedDocumentKind.DEMAND)
    signed(certificate, local(day, 10), document_id=5)  # letter 5 again: one document
    signed(certificate, local(day, 10), document_id=7)  # letter 7: another
    uploaded("PUBLIC-20", cast.agency_a, local(day, 11), n=2)  # 1/UP and 2/UP
    uploaded("PUBLIC-21", cast.agency_a, local(day, 12), n=1)  # 1/UP again
    signing_event_record(
        kind=SigningEventKind.SIGNED,
        certificate=certificate,
        document_kind=SignedDocumentKind.NONE,
        document_number="letter5",
        at=local(day, 12),
    )  # a signature on no document of the portal's, numbered like letter 5: its own
    signing_event_record(
        kind=SigningEventKind.VERIFIED,
        certificate=certificate,
        document_kind=SignedDocumentKind.LETTER,
        document_id=6,
        at=local(day, 13),
    )  # a verification is no signature

    signing_months_roll_up()

    row = SigningAgencyMonth.objects.get(month=day, agency=cast.agency_a)
    assert (row.documents, row.signatures) == (6, 8)


# --- the months a run rolls up --------------------------------------------------------------
def test_a_run_rolls_up_the_twelve_months_of_its_moment_and_settles_the_past_ones(cast):
    now = local(timezone.localdate() - timedelta(days=200), 12)
    months = trend_months(timezone.localdate(now))
    signed(cert(cast.agency_a), local(months[-1], 9))

    assert signing_months_roll_up(now=now) == months
    tallies = dict(SigningMonthTally.objects.values_list("month", "settled"))
    assert tallies == {m: m != months[-1] for m in months}
    assert set(SigningMonthTally.objects.values_list("computed_at", flat=True)) == {now}
    assert SigningAgencyMonth.objects.get(month=months[-1]).signatures == 1
    # Run again: only the open month.
    assert signing_months_roll_up(now=now) == [months[-1]]
