"""Two signings of one province's month at once, on PostgreSQL: each renders and signs outside
any transaction, then decides on the locked row, so exactly one signed report is stored and the
other signer is told it is already signed. PostgreSQL only: SQLite has no row locks."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from dashboard import services
from dashboard.models import MonthlyReport, MonthlyReportDocument
from dashboard.months import Month
from portal.errors import DomainError
from portal.models import AuditEvent
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the race tests")


def test_two_signings_at_once_store_one_signed_report(cast, signer):
    month = Month.previous(timezone.localdate())
    barrier = threading.Barrier(2, timeout=60)
    results: list = []

    def sign():
        try:
            officer = get_user_model().objects.get(pk=cast.officer_1.pk)  # its own scope cache
            barrier.wait()
            services.monthly_report_sign(province=cast.province_1, month=month, by=officer)
            results.append("signed")
        except DomainError as exc:
            results.append(exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(map(str, results)) == ["already_signed", "signed"], results
    report = MonthlyReport.objects.get()
    assert report.number == "1/BC-SKHCN"
    assert MonthlyReportDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="monthly_report.sign").count() == 1
    assert AuditEvent.objects.filter(action="monthly_report.number").count() == 1
