"""Applying runs in a real Celery worker on real Redis (orgmerge.tasks), and a plan whose task
was lost is queued again by the beat sweep."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from orgmerge.choices import PlanStatus
from orgmerge.models import MergerApplication, MergerPlan
from orgmerge.services import merger_plan_apply, merger_plan_create, merger_plan_resume_stalled
from orgmerge.tasks import merger_plan_apply_task
from requests_app.choices import Status
from requests_app.models import CertRequest

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _plan(cast, world):
    return merger_plan_create(
        sources=[cast.agency_a, cast.agency_b],
        case="b",
        target=cast.agency_a,
        effective_on=world.effective_on,
        by=cast.officer_1,
    )


def _wait_applied(plan, timeout=60.0) -> MergerPlan:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plan.refresh_from_db()
        if plan.status == PlanStatus.APPLIED:
            return plan
        time.sleep(0.2)
    raise AssertionError(f"plan still {plan.status} after {timeout} s")


@pytest.mark.usefixtures("redis_worker")
def test_the_worker_applies_the_plan_and_drafts_the_letters(cast, world):
    plan = _plan(cast, world)
    merger_plan_apply(plan=plan, by=cast.officer_1)
    plan = _wait_applied(plan)
    assert plan.progress_note == "Đã thực hiện."
    assert plan.application.summary["target"]["id"] == cast.agency_a.pk
    drafted = CertRequest.objects.filter(agency=cast.agency_a, status=Status.AWAITING_HEAD)
    assert sorted(drafted.values_list("form", flat=True)) == ["01", "04", "05"]


@pytest.mark.usefixtures("redis_worker")
def test_a_task_delivered_twice_applies_once(cast, world):
    plan = _plan(cast, world)
    merger_plan_apply(plan=plan, by=cast.officer_1)
    merger_plan_apply_task.delay(plan.pk)
    _wait_applied(plan)
    merger_plan_apply_task.apply_async((plan.pk,)).get(timeout=30)
    assert MergerApplication.objects.filter(plan=plan).count() == 1
    drafted = CertRequest.objects.filter(agency=cast.agency_a, status=Status.AWAITING_HEAD)
    assert sorted(drafted.values_list("form", flat=True)) == ["01", "04", "05"]


def test_the_sweep_queues_a_plan_whose_task_was_lost(cast, world, redis_app):
    from tests.helpers import running_worker

    plan = _plan(cast, world)
    # The click committed "applying" but its message never reached a worker.
    MergerPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.APPLYING, progress_at=timezone.now() - timedelta(hours=1)
    )
    plan.transitions.create(
        from_status="draft", to_status="applying", action="apply", by=cast.officer_1
    )
    assert merger_plan_resume_stalled() == 1
    assert merger_plan_resume_stalled() == 0  # claimed: a second sweep does not queue it again
    with running_worker(redis_app):
        _wait_applied(plan)


def test_beat_sweeps_plans_left_applying_every_processing_sweep():
    from django.conf import settings

    from orgmerge.tasks import merger_plan_resume_stalled_task

    entry = settings.CELERY_BEAT_SCHEDULE["orgmerge-resume-stalled"]
    assert entry["task"] == merger_plan_resume_stalled_task.name
    assert entry["schedule"] == settings.CELERY_BEAT_SCHEDULE["requests-resume-stalled"]["schedule"]
