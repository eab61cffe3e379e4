"""Two sweeps at once, and the real worker running one: every due notification exists exactly
once (the unique (user, key) constraint, INSERT … ON CONFLICT DO NOTHING)."""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from certificates.deadlines import renewal_ladder_sweep
from certificates.tasks import renewal_ladder_sweep_task
from portal.models import Deadline, Notification
from requests_app.choices import Status
from requests_app.models import CertRequest
from requests_app.tasks import deadlines_sweep_task
from tests import factories as f
from tests.helpers import postgresql_only


def _certificates(cast, n=20):
    return [
        f.CertificateFactory(
            agency=cast.agency_a,
            person=cast.subscriber,
            not_after=timezone.now() + timedelta(days=59, hours=i),
        )
        for i in range(n)
    ]


def _at_once(function, n=2):
    """Run `function` in n threads, each in its own transaction on its own connection, all
    released together. PostgreSQL only: SQLite serialises whole-database writes, and its
    in-memory test database answers a second writer "table is locked" instead of waiting."""
    postgresql_only("two sweeps' transactions at once")
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                results.append(function())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_ladder_sweeps_at_once_insert_each_notification_exactly_once(cast):
    certificates = _certificates(cast)
    results = _at_once(renewal_ladder_sweep)
    expected = 3 * len(certificates)  # clerk_a, head_a, subscriber_a
    assert sorted(results) == [0, expected]
    assert Notification.objects.count() == expected
    assert Notification.objects.values("user", "key").distinct().count() == expected


@pytest.mark.django_db(transaction=True)
def test_two_deadline_sweeps_at_once_tell_each_level_once(cast):
    letter = f.letter_draft(cast)
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.PROVINCE_REVIEW, due_on=date(2020, 3, 5), number="1/STC"
    )
    from requests_app.deadlines import deadlines_sweep

    _at_once(deadlines_sweep)
    # Years overdue: level 1 (the officer) and level 2 (the CA), each once.
    assert sorted(Notification.objects.values_list("user__username", "key")) == sorted(
        [
            ("officer_1", f"deadline:{_deadline_id(letter)}:level:1"),
            ("ca_operator", f"deadline:{_deadline_id(letter)}:level:2"),
        ]
    )


def _deadline_id(letter):
    from portal.models import Deadline

    return Deadline.objects.get(subject=f"letter:{letter.pk}").pk


def _eventually(check, timeout=60):
    """Poll the database until `check()` is true (the worker commits on its own connection)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the worker did not finish in time"
        time.sleep(0.2)


def test_the_worker_runs_the_ladder_and_a_second_run_adds_nothing(redis_worker, cast):
    certificates = _certificates(cast, n=5)
    expected = 3 * len(certificates)
    renewal_ladder_sweep_task.delay()
    _eventually(lambda: Notification.objects.filter(kind="renewal").count() == expected)
    # A marker: the deadline sweep queued after the second ladder sweep runs after it on the
    # solo worker, and opens a deadline for this waiting letter.
    letter = f.letter_draft(cast)
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.PROVINCE_REVIEW, due_on=date(2099, 1, 5), number="3/STC"
    )
    renewal_ladder_sweep_task.delay()
    deadlines_sweep_task.delay()
    _eventually(lambda: Deadline.objects.filter(subject=f"letter:{letter.pk}").exists())
    assert Notification.objects.filter(kind="renewal").count() == expected


def test_the_worker_runs_the_deadline_sweep(redis_worker, cast):
    letter = f.letter_draft(cast)
    CertRequest.objects.filter(pk=letter.pk).update(
        status=Status.FORWARDED,
        due_on=date(2020, 3, 5),
        number="2/STC",
        forwarded_at=timezone.now(),
    )
    deadlines_sweep_task.delay()
    _eventually(lambda: Notification.objects.filter(kind="deadline").exists())
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["ca_operator"]
    assert Deadline.objects.get(subject=f"letter:{letter.pk}").kind == "ca_processing"
