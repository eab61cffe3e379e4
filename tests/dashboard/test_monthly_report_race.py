"""Two completions of one province's month at once, on PostgreSQL: the officer's signature is
done, two seal requests were prepared (two tabs, or a click repeated) and both answers arrive
together. The desk's constraint (one done request per round) and the report's row lock let one
through: exactly one signed report is stored, audited and sent to the signing monitor once,
and the other answer is refused. PostgreSQL only: SQLite has no row locks."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from certificates.choices import SignedDocumentKind
from certificates.models import SigningEvent
from dashboard import services
from dashboard.choices import ReportState
from dashboard.models import MonthlyReport, MonthlyReportDocument
from dashboard.months import Month
from portal.documents import DocumentKind
from portal.errors import DomainError
from portal.models import AuditEvent
from tests.desk import answer
from tests.helpers import postgresql_only

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        postgresql_only("the race tests")


def test_two_seal_completions_at_once_store_one_signed_report(cast, signer):
    month = Month.previous(timezone.localdate())
    officer = cast.officer_1
    kwargs = {"province": cast.province_1, "month": month}
    head = services.monthly_report_desk_prepare(**kwargs, by=officer)
    services.monthly_report_desk_complete(**kwargs, answer=answer(head, officer), by=officer)
    seals = [services.monthly_report_desk_prepare(**kwargs, by=officer) for _ in range(2)]
    answers = [answer(seal, officer) for seal in seals]
    barrier = threading.Barrier(2, timeout=60)
    results: list = []

    def complete(values):
        try:
            by = get_user_model().objects.get(pk=officer.pk)  # its own scope cache
            barrier.wait()
            done = services.monthly_report_desk_complete(**kwargs, answer=values, by=by)
            results.append("signed" if done.document is not None else "next")
        except DomainError as exc:
            results.append(exc.code)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(values,)) for values in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(map(str, results)) == ["already_done", "signed"], results
    report = MonthlyReport.objects.get()
    assert (report.state, report.number) == (ReportState.SIGNED, "1/BC-SKHCN")
    assert MonthlyReportDocument.objects.filter(kind=DocumentKind.SIGNED).count() == 1
    assert AuditEvent.objects.filter(action="monthly_report.sign").count() == 1
    assert AuditEvent.objects.filter(action="monthly_report.number").count() == 1
    refusal = AuditEvent.objects.get(action="monthly_report.desk_refused")
    assert refusal.after["code"] == "already_done"
    monitored = SigningEvent.objects.filter(document_kind=SignedDocumentKind.MONTHLY_REPORT)
    assert monitored.count() == 2
