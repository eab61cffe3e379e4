"""The worker's rollups at their edges (docs/architecture.md §13): a month's rows per agency and
per certificate serial (what a day signature, a verification and an answer without a serial
count), and the idle list as of the moment the worker passes, not the clock's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.choices import SignedDocumentKind, SigningEventKind
from certificates.services import signing_event_record
from dashboard.models import IdleCertificate, SigningAgencyMonth, SigningCertificateMonth
from dashboard.monitor_rollups import (
    idle_certificates_refresh,
    signing_month_roll_up,
    signing_months_roll_up,
)
from dashboard.months import Month
from tests.dashboard.signing_world import cert, local, signed, uploaded

pytestmark = pytest.mark.django_db


def test_the_idle_list_is_as_of_the_moment_given_and_counts_what_it_wrote(cast):
    now = timezone.now() - timedelta(days=30)
    old = now - timedelta(days=400)
    busy = cert(cast.agency_a, not_before=old)  # 60 days idle then; 90 by the clock
    never = cert(cast.agency_a, not_before=old)
    signed(busy, now - timedelta(days=60))
    signing_months_roll_up()

    assert idle_certificates_refresh(now=now) == 1
    assert list(IdleCertificate.objects.values_list("certificate_id", "computed_at")) == [
        (never.pk, now)
    ]


def test_a_month_rolls_up_a_row_per_agency_and_per_serial_and_says_how_many(cast):
    day = timezone.localdate().replace(day=1)
    by_day, by_night = cert(cast.agency_a), cert(cast.agency_b)
    signed(by_day, local(day, 9))
    signed(by_day, local(day, 10))
    signing_event_record(
        kind=SigningEventKind.VERIFIED,
        certificate=by_day,
        document_kind=SignedDocumentKind.LETTER,
        document_id=1000,
        at=local(day, 15),
    )
    signing_event_record(kind=SigningEventKind.OCSP, certificate=by_day, at=local(day, 16))
    uploaded("", cast.agency_a, local(day, 11))  # a signed file whose serial was not read
    signed(by_night, local(day, 23))

    assert signing_month_roll_up(Month.of(day)) == (2, 2)

    rows = {
        r["serial"]: r
        for r in SigningCertificateMonth.objects.values(
            "serial", "signatures", "night", "verified", "ocsp", "last_signed_at"
        )
    }
    assert set(rows) == {by_day.serial, by_night.serial}
    assert rows[by_day.serial] == {
        "serial": by_day.serial,
        "signatures": 2,
        "night": 0,
        "verified": 1,
        "ocsp": 1,
        "last_signed_at": local(day, 10),  # its last signature, not its last OCSP answer
    }
    assert (rows[by_night.serial]["signatures"], rows[by_night.serial]["night"]) == (1, 1)


def test_rolling_a_month_up_again_updates_its_rows_with_what_came_since(cast):
    day = timezone.localdate().replace(day=1)
    head = cert(cast.agency_a)
    signed(head, local(day, 9))
    signing_month_roll_up(Month.of(day))

    signed(head, local(day, 23))
    signing_month_roll_up(Month.of(day))

    agency = SigningAgencyMonth.objects.get(month=day, agency=cast.agency_a)
    assert (agency.signatures, agency.night) == (2, 1)
    row = SigningCertificateMonth.objects.get(month=day, serial=head.serial)
    assert (row.signatures, row.night, row.last_signed_at) == (2, 1, local(day, 23))
