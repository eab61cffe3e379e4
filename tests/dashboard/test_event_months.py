"""The statistics' twelve-month trend: nationwide, a month that has ended is tallied once by the
worker and read from its tally (`dashboard.event_months`, docs/statistics.md §10); the open
months, a settled month not tallied yet, and every month of a narrower scope, are counted from
the events each time. The page itself never writes."""

from datetime import date, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.choices import CertEventKind
from certificates.models import CertificateEvent
from dashboard import statistics
from dashboard.event_months import has_settled
from dashboard.models import CertificateEventMonth
from dashboard.services import certificate_event_months_tally
from dashboard.tasks import certificate_event_months_tally_task
from tests import factories as f

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


def trend(user) -> dict[str, list]:
    tables = statistics.compute(user)
    return {row[0]: row[1:] for row in next(t for t in tables if t.key == "theo-thang").rows}


def event(agency, kind, when):
    certificate = f.CertificateFactory(person=f.PersonFactory(organization=agency))
    return CertificateEvent.objects.create(certificate=certificate, kind=kind, at=when)


def month_before(today: date) -> date:
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


def test_a_month_is_settled_from_the_second_day_of_the_next():
    october = date(2026, 10, 1)
    assert not has_settled(october, at(2026, 10, 31, 23))
    assert not has_settled(october, at(2026, 11, 1, 23))
    assert has_settled(october, at(2026, 11, 2, 0))


def test_nationwide_an_ended_month_is_tallied_once_and_read_from_its_tally(cast):
    today = timezone.localdate()
    if today.day < 2:
        pytest.skip("the month before settles on the second day of this one")
    before = month_before(today)
    label = before.strftime("%m/%Y")
    kinds = [k for k in CertEventKind.values if k != CertEventKind.EXPIRED]
    issued = kinds.index(CertEventKind.ISSUED)  # the trend's columns
    event(cast.agency_a, CertEventKind.ISSUED, at(before.year, before.month, 15))
    event(cast.agency_c, CertEventKind.ISSUED, at(before.year, before.month, 20))

    assert trend(cast.ca_operator)[label][issued] == 2  # counted from the events…
    assert not CertificateEventMonth.objects.exists()  # …by a page that writes nothing

    assert certificate_event_months_tally_task.apply().get() >= 1  # the worker tallies
    assert certificate_event_months_tally() == 0  # a rerun writes nothing
    tally = CertificateEventMonth.objects.get(month=before, kind=CertEventKind.ISSUED)
    assert tally.n == 2
    assert CertificateEventMonth.objects.filter(month=before).count() == len(kinds)

    assert trend(cast.officer_1)[label][issued] == 1  # agency A's; C is in province 2
    # An event stamped in an ended month cannot happen in the portal; two written behind its
    # back show that the nationwide figure now comes from the tally...
    event(cast.agency_a, CertEventKind.ISSUED, at(before.year, before.month, 25))
    event(cast.agency_a, CertEventKind.ISSUED, at(before.year, before.month, 26))
    assert trend(cast.ca_operator)[label][issued] == 2
    # ...while a province's, counted from the events, sees them,
    assert trend(cast.officer_1)[label][issued] == 3
    # ...and this month, still open, is counted from the events every time.
    event(cast.agency_c, CertEventKind.ISSUED, timezone.now())
    assert trend(cast.ca_operator)[today.strftime("%m/%Y")][issued] == 1


def test_a_month_has_one_tally_per_kind(cast):
    CertificateEventMonth.objects.create(month=date(2026, 9, 1), kind=CertEventKind.ISSUED, n=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateEventMonth.objects.create(month=date(2026, 9, 1), kind=CertEventKind.ISSUED, n=4)


def test_the_beat_schedule_tallies_the_ended_months_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-event-months-tally"]
    assert entry["task"] == certificate_event_months_tally_task.name
    assert entry["schedule"].hour == {1}
