"""Bulk actions on the devices register (docs/bulk.md, "Registers", "Reminders"): the
selection is everything the devices FilterSet finds within the requester's scope; reminding
the agencies that owe devices back is the provincial officer's and the CA operator's, tells
each agency's clerks once per job whatever the batches and runs, and skips, with why, the
devices that owe nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bulk.choices import ItemStatus, JobStatus
from bulk.models import BulkJob
from bulk.selection import preview
from bulk.services import bulk_job_create, bulk_job_run
from devices.models import ReturnObligation
from portal.errors import DomainError
from portal.models import Notification
from tests.bulk.world import devices_of, resumed
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
REASON = "Quá hạn bàn giao lại thiết bị: đề nghị hoàn thành trước 05/12/2026"


def _remind(query, by, action="remind_return"):
    return bulk_job_create(
        register="devices", query=query, action=action, params={}, reason=REASON, by=by
    )


def test_the_selection_takes_every_device_the_filter_finds_within_scope(cast):
    owing_a = devices_of(cast.agency_a, 60)  # the register's page shows 25, the API 50
    devices_of(cast.agency_a, 4, owing=False, start=100)
    owing_c = devices_of(cast.agency_c, 3)  # another province
    seen = preview(register="devices", query="overdue_return=yes&page=2", user=cast.officer_1)
    assert (seen.count, seen.query) == (60, "overdue_return=yes")
    assert len(seen.rows) == 10 and seen.rows[0].url == reverse("devices:detail", args=[owing_a[0]])
    job = _remind("overdue_return=yes&cursor=x", cast.officer_1)
    assert job.total == 60 and job.query == "overdue_return=yes"
    assert sorted(job.items.values_list("object_id", flat=True)) == sorted(owing_a)
    by_ca = _remind("overdue_return=yes", cast.ca_operator)
    assert set(by_ca.items.values_list("object_id", flat=True)) == set(owing_a) | set(owing_c)
    other = _remind("", cast.officer_2)  # the other province's officer: its own only
    assert sorted(other.items.values_list("object_id", flat=True)) == sorted(owing_c)


def test_only_the_officer_and_the_ca_operator_remind_of_returns(cast, client):
    devices_of(cast.agency_a, 2)
    for by in (cast.clerk_a, cast.head_a, cast.subscriber_user):
        with pytest.raises(DomainError) as refused:
            _remind("", by)
        assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:  # not an action of this register
        _remind("", cast.ca_operator, action="revoke")
    assert refused.value.code == "register"
    assert not BulkJob.objects.exists()
    url = reverse("bulk:new_in", args=["thiet-bi"])
    for user in (cast.clerk_a, cast.head_a):
        sign_in(client, user)
        assert client.get(url).status_code == 403
        post = client.post(url, {"query": "", "action": "remind_return", "reason": REASON})
        assert post.status_code == 403
    assert not BulkJob.objects.exists()


def test_each_agency_is_told_once_across_batches_and_runs(cast, settings):
    settings.PORTAL_BULK_BATCH = 4
    devices_of(cast.agency_a, 5)
    devices_of(cast.unit_a, 2, start=10)  # the unit has no clerk: agency A's is told
    devices_of(cast.agency_b, 3, start=20)
    idle = devices_of(cast.agency_a, 2, owing=False, start=30)
    handed = devices_of(cast.agency_a, 1, start=40)
    ReturnObligation.objects.filter(device_id__in=handed).update(
        handed_over_on=timezone.localdate() - timedelta(days=1)
    )
    job = _remind("", cast.officer_1)
    assert job.total == 13 and job.status == JobStatus.QUEUED
    bulk_job_run(job_id=job.pk, batches=1)  # the worker dies after one batch
    resumed(job)  # the sweep queues it again, a worker takes it
    job.refresh_from_db()
    assert (job.status, job.done_count, job.skipped_count, job.failed_count) == (
        JobStatus.DONE, 10, 3, 0,
    )  # fmt: skip
    keys = sorted(
        Notification.objects.filter(user=cast.clerk_a, kind="bulk").values_list("key", flat=True)
    )
    assert keys == sorted(
        [
            f"bulk_job:{job.pk}:remind_return:{cast.agency_a.pk}",
            f"bulk_job:{job.pk}:remind_return:{cast.unit_a.pk}",
        ]
    )
    own = Notification.objects.get(key=f"bulk_job:{job.pk}:remind_return:{cast.agency_a.pk}")
    assert own.message.startswith("Nhắc việc: 5 thiết bị của Sở Tài chính tỉnh Lai Châu")
    assert own.url == reverse("devices:returns")
    assert Notification.objects.filter(user=cast.clerk_b, kind="bulk").count() == 1
    assert not Notification.objects.filter(user=cast.head_a, kind="bulk").exists()
    # The job run again from the start (its items pending again): nobody is told twice.
    told = Notification.objects.filter(kind="bulk").count()
    job.items.update(status=ItemStatus.PENDING, message="")
    BulkJob.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, done_count=0, skipped_count=0, failed_count=0
    )
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_count, job.skipped_count) == (JobStatus.DONE, 10, 3)
    assert Notification.objects.filter(kind="bulk").count() == told
    skipped = dict(job.items.filter(status=ItemStatus.SKIPPED).values_list("object_id", "message"))
    assert set(skipped) == set(idle) | set(handed)
    assert skipped[idle[0]] == "Thiết bị không có nghĩa vụ bàn giao lại nào đang mở."
    assert skipped[handed[0]].startswith("Đã bàn giao ngày ")
    assert "chờ bên nhận xác nhận" in skipped[handed[0]]


def test_the_job_page_lists_each_devices_outcome_with_its_link(cast, client):
    owing = devices_of(cast.agency_a, 2)
    idle = devices_of(cast.agency_a, 1, owing=False, start=50)
    sign_in(client, cast.officer_1)
    url = reverse("bulk:new_in", args=["thiet-bi"])
    page = client.get(url, {"agency": cast.agency_a.pk, "page": 2})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-count="3"' in body and "Bộ lọc tìm thấy 3 thiết bị" in body
    assert '<option value="remind_return"' in body and 'value="revoke"' not in body
    response = client.post(
        url, {"query": f"agency={cast.agency_a.pk}", "action": "remind_return", "reason": REASON}
    )
    assert response.status_code == 302
    job = BulkJob.objects.get()
    assert job.register == "devices"
    bulk_job_run(job_id=job.pk)
    body = client.get(response["Location"]).content.decode()
    for pk in owing + idle:
        assert f'href="{reverse("devices:detail", args=[pk])}"' in body
    assert body.count('data-status="done" data-object') == 2
    assert body.count('data-status="skipped" data-object') == 1
    assert "Thiết bị không có nghĩa vụ bàn giao lại nào đang mở." in body
    assert "Đã nhắc 1 cán bộ đầu mối (Sở Tài chính tỉnh Lai Châu)" in body


def test_the_devices_register_carries_its_filter_to_the_bulk_page(cast, client):
    devices_of(cast.agency_a, 2)
    entry = f"{reverse('bulk:new_in', args=['thiet-bi'])}?overdue_return=yes"
    sign_in(client, cast.officer_1)
    body = client.get(reverse("devices:list"), {"overdue_return": "yes"}).content.decode()
    assert 'id="bulk-entry"' in body and entry in body
    sign_in(client, cast.clerk_a)
    body = client.get(reverse("devices:list"), {"overdue_return": "yes"}).content.decode()
    assert 'id="bulk-entry"' not in body
