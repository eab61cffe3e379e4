"""Every entry of Celery beat's schedule (config/beat.py), sent by its task's name to a real
worker on the Redis of REDIS_URL, completes without error on the database of the run: SQLite in
a developer's `make test` and CI's second run (what `make run`'s worker uses), PostgreSQL in
CI's first. The data gives each sweep something to do: a certificate on the renewal ladder and
one past its end on a token, a letter overdue at the province, a device return overdue, a
campaign due soon, a user who wants the daily digest, audit events to checkpoint."""

import threading
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.conf import settings
from django.utils import timezone

from demand.services.campaigns import campaign_open
from devices.choices import ReturnReason
from devices.services import device_return_obligation_open
from portal.models import NotificationPreference
from portal.notifications import notify
from requests_app.choices import Status
from tests import factories as f
from tests.deadlines.moments import waiting_letter

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ENTRIES = sorted(settings.CELERY_BEAT_SCHEDULE.items())


@pytest.fixture
def world(cast, ca, token, settings):
    settings.CA_KEY_POOL_SIZE = settings.CA_KEY_POOL_BATCH = 1  # one key: the fill runs, briefly
    now, today = timezone.now(), timezone.localdate()
    f.CertificateFactory(
        agency=cast.agency_a, person=cast.subscriber, not_after=now + timedelta(40)
    )
    f.CertificateFactory(
        agency=cast.agency_a,
        person=cast.subscriber,
        device=token,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(hours=1),
    )
    waiting_letter(cast, status=Status.PROVINCE_REVIEW, due_on=today - timedelta(days=10))
    device_return_obligation_open(
        device=f.DeviceFactory(agency=cast.agency_a, status="handed_to_subscriber"),
        reason=ReturnReason.REVOKED,
        notified_on=today - timedelta(days=20),
        by=cast.ca_operator,
    )
    campaign_open(
        by=cast.officer_1,
        province=cast.province_1,
        start_year=2027,
        end_year=2031,
        due_on=today + timedelta(days=1),
    )
    NotificationPreference.objects.create(user=cast.clerk_a, daily_digest=True)
    notify(users=[cast.clerk_a], message="Thông báo chờ đọc", kind="test")
    return cast


@pytest.fixture
def outcomes():
    """{task id: (state, what it returned or raised)}, written by the worker's thread."""
    seen: dict[str, tuple[str, object]] = {}
    done = threading.Condition()

    def record(sender=None, task_id=None, retval=None, state=None, **kwargs):
        with done:
            seen[task_id] = (state, retval)
            done.notify_all()

    task_postrun.connect(record, weak=False)
    yield seen, done
    task_postrun.disconnect(record)


@pytest.mark.parametrize(("name", "entry"), ENTRIES, ids=[name for name, _ in ENTRIES])
def test_the_beat_entry_runs_through_the_worker_without_error(
    redis_worker, world, outcomes, name, entry
):
    seen, done = outcomes
    result = redis_worker.send_task(
        entry["task"], args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
    )
    with done:
        finished = done.wait_for(lambda: result.id in seen, timeout=120)
    assert finished, f"{name}: {entry['task']} did not finish within 120 s (unregistered?)"
    state, value = seen[result.id]
    assert state == "SUCCESS", f"{name}: {entry['task']} ended {state}: {value!r}"


def test_every_scheduled_task_is_a_registered_task():
    from config.celery import app

    app.loader.import_default_modules()
    assert {entry["task"] for _, entry in ENTRIES} <= set(app.tasks)
