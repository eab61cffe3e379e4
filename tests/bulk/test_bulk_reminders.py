"""Bulk reminders (docs/bulk.md, "Reminders"): the provincial officer or the CA operator
tells the agencies of the selected certificates, through their clerks, once per job and
agency however many batches or runs it takes; an agency without a clerk is the items'
failure in words."""

import pytest

from agencies.choices import Role
from bulk.choices import ItemStatus, JobStatus
from bulk.services import bulk_job_create, bulk_job_run
from portal.errors import DomainError
from portal.models import Notification
from tests import factories as f
from tests.bulk.world import certificates_of, resumed

pytestmark = pytest.mark.django_db


def _remind(cast, query, by):
    return bulk_job_create(
        register="certificates", query=query, action="remind", params={},
        reason="Chứng thư sắp hết hạn: đề nghị gia hạn trước 31/12", by=by,
    )  # fmt: skip


def test_each_agency_is_told_once_through_its_clerks_across_batches_and_runs(cast, settings):
    settings.PORTAL_BULK_BATCH = 4
    certificates_of(cast.agency_a, 5)
    certificates_of(cast.unit_a, 2)  # the unit has no clerk: agency A's is told
    certificates_of(cast.agency_b, 3)
    certificates_of(cast.agency_c, 2)  # another province: not the officer's
    job = _remind(cast, "", cast.officer_1)
    assert job.total == 10 and job.status == JobStatus.QUEUED
    bulk_job_run(job_id=job.pk, batches=1)  # the worker dies after one batch
    resumed(job)  # the sweep queues it again, a worker takes it
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_count, job.failed_count) == (JobStatus.DONE, 10, 0)
    told_a = Notification.objects.filter(user=cast.clerk_a, kind="bulk")
    # one for agency A's own, one for its unit's; each once
    assert sorted(n.key for n in told_a) == sorted(
        [
            f"bulk_job:{job.pk}:remind:{cast.agency_a.pk}",
            f"bulk_job:{job.pk}:remind:{cast.unit_a.pk}",
        ]
    )
    own = told_a.get(key=f"bulk_job:{job.pk}:remind:{cast.agency_a.pk}")
    assert own.message.startswith("Nhắc việc: 5 chứng thư số của Sở Tài chính tỉnh Lai Châu")
    assert f"agency={cast.agency_a.pk}" in own.url
    assert Notification.objects.filter(user=cast.clerk_b, kind="bulk").count() == 1
    assert not Notification.objects.filter(user=cast.clerk_c).exists()
    assert not Notification.objects.filter(user=cast.head_a).exists()  # clerks only


def test_an_agency_without_a_clerk_fails_its_items_in_words(cast):
    lonely = f.AgencyFactory(parent=cast.province_1, name="Sở Nội vụ tỉnh Lai Châu")
    certificates_of(lonely, 2)
    job = _remind(cast, f"agency={lonely.pk}", cast.ca_operator)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.done_count, job.failed_count) == (0, 2)
    (message,) = set(job.items.filter(status=ItemStatus.FAILED).values_list("message", flat=True))
    assert message == "Sở Nội vụ tỉnh Lai Châu chưa có cán bộ đầu mối trên cổng: không nhắc được."
    # an item failed is never taken again: a clerk appointed since is told by a new job
    f.MembershipFactory(user=f.UserFactory(), role=Role.AGENCY_CLERK, organization=lonely)
    bulk_job_run(job_id=job.pk)
    assert Notification.objects.filter(key__startswith=f"bulk_job:{job.pk}:remind").count() == 0


def test_only_the_officer_and_the_ca_operator_remind(cast):
    certificates_of(cast.agency_a, 1)
    for by in (cast.clerk_a, cast.head_a):
        with pytest.raises(DomainError) as refused:
            _remind(cast, "", by)
        assert refused.value.code == "forbidden"
    assert _remind(cast, "", cast.ca_operator).total == 1
