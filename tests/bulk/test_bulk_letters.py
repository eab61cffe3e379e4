"""Bulk reminders on the letters register (docs/bulk.md, "Registers", "Reminders"): the
selection is everything the letters FilterSet finds within the requester's scope; the
provincial officer or the CA operator tells the agency of each letter waiting on it (its
clerks; and its heads when the letter awaits their signature) once per job and letter, even
when the job runs twice; letters not waiting on their agency are skipped with their status."""

import pytest
from django.urls import reverse

from agencies.choices import Role
from bulk.choices import ItemStatus, JobStatus
from bulk.models import BulkJob
from bulk.selection import preview
from bulk.services import bulk_job_create, bulk_job_run
from portal.errors import DomainError
from portal.models import Notification
from requests_app.choices import Status
from requests_app.models import Transition
from tests import factories as f
from tests.bulk.world import letters_of, resumed
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
REASON = "Văn bản tồn đọng quá 10 ngày làm việc"


def _remind(query, by, action="remind"):
    return bulk_job_create(
        register="letters", query=query, action=action, params={}, reason=REASON, by=by
    )


def test_the_selection_takes_every_letter_the_filter_finds_within_scope(cast):
    issued_a = letters_of(cast.agency_a, 60, status=Status.ISSUED, by=cast.clerk_a)
    letters_of(cast.agency_a, 3, status=Status.DRAFT, by=cast.clerk_a, issued=False)  # unsent
    issued_c = letters_of(cast.agency_c, 4, status=Status.ISSUED, by=cast.clerk_c)
    seen = preview(register="letters", query="status=issued&page=3", user=cast.officer_1)
    assert (seen.count, seen.query) == (60, "status=issued")
    assert seen.rows[0].url.startswith("/van-ban/") and seen.rows[0].key.endswith("/STC-CKS")
    job = _remind("status=issued&cursor=abc", cast.officer_1)
    assert sorted(job.items.values_list("object_id", flat=True)) == sorted(issued_a)
    # the province never sees an agency's unsent drafts: an empty filter finds the same
    assert _remind("", cast.officer_1).total == 60
    other = _remind("", cast.officer_2)
    assert sorted(other.items.values_list("object_id", flat=True)) == sorted(issued_c)


def test_only_the_officer_and_the_ca_operator_remind_of_letters(cast, client):
    letters_of(cast.agency_a, 2, status=Status.DRAFT, by=cast.clerk_a, issued=False)
    for by in (cast.clerk_a, cast.head_a, cast.subscriber_user):
        with pytest.raises(DomainError) as refused:
            _remind("", by)
        assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:  # the clerk's drafts are certificates' actions
        _remind("", cast.clerk_a, action="draft_renew")
    assert refused.value.code == "register"
    url = reverse("bulk:new_in", args=["van-ban"])
    sign_in(client, cast.clerk_a)
    assert client.get(url).status_code == 403
    assert client.post(url, {"query": "", "action": "remind", "reason": REASON}).status_code == 403
    assert not BulkJob.objects.exists()


def test_each_waiting_letter_is_told_once_even_when_the_job_runs_twice(cast, settings):
    settings.PORTAL_BULK_BATCH = 3
    head_b = f.UserFactory(username="head_b")
    f.MembershipFactory(user=head_b, role=Role.AGENCY_HEAD, organization=cast.agency_b)
    returned = letters_of(cast.agency_a, 2, status=Status.DRAFT, by=cast.clerk_a)
    Transition.objects.bulk_create(
        Transition(
            cert_request_id=pk, from_status=Status.PROVINCE_REVIEW, to_status=Status.DRAFT,
            action="return", note="Thiếu số định danh",
        )
        for pk in returned
    )  # fmt: skip
    signing = letters_of(cast.agency_b, 2, status=Status.ISSUED, by=cast.clerk_b)
    resubmitted = letters_of(cast.agency_a, 1, status=Status.AWAITING_HEAD, by=cast.clerk_a)
    with_province = letters_of(cast.agency_a, 2, status=Status.PROVINCE_REVIEW, by=cast.clerk_a)
    done = letters_of(cast.agency_b, 1, status=Status.DONE, by=cast.clerk_b)
    job = _remind("", cast.officer_1)
    assert job.total == 8
    bulk_job_run(job_id=job.pk, batches=1)  # the worker dies after one batch
    resumed(job)  # the sweep queues it again, a worker takes it
    job.refresh_from_db()
    assert (job.status, job.done_count, job.skipped_count, job.failed_count) == (
        JobStatus.DONE, 5, 3, 0,
    )  # fmt: skip

    def keys(user):
        return sorted(
            Notification.objects.filter(user=user, kind="bulk").values_list("key", flat=True)
        )

    key = f"bulk_job:{job.pk}:remind_letter:%s"
    assert keys(cast.clerk_a) == sorted(key % pk for pk in returned + resubmitted)
    assert keys(cast.head_a) == [key % resubmitted[0]]  # the head: only what awaits them
    assert keys(cast.clerk_b) == sorted(key % pk for pk in signing)
    assert keys(head_b) == sorted(key % pk for pk in signing)
    told = Notification.objects.get(user=cast.clerk_a, key=key % returned[0])
    assert "bị trả lại" in told.message and REASON in told.message
    assert told.url == reverse("requests_app:detail", args=[returned[0]])
    # The job run again from the start (its items pending again): nobody is told twice.
    count = Notification.objects.filter(kind="bulk").count()
    job.items.update(status=ItemStatus.PENDING, message="")
    BulkJob.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, done_count=0, skipped_count=0, failed_count=0
    )
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_count, job.skipped_count) == (JobStatus.DONE, 5, 3)
    assert Notification.objects.filter(kind="bulk").count() == count
    skipped = dict(job.items.filter(status=ItemStatus.SKIPPED).values_list("object_id", "message"))
    assert set(skipped) == set(with_province) | set(done)
    assert skipped[done[0]] == (
        "Văn bản đang ở trạng thái “Hoàn thành”: không chờ cơ quan đề nghị."
    )


def test_the_job_page_lists_each_letters_outcome_with_its_link(cast, client):
    waiting = letters_of(cast.agency_a, 2, status=Status.ISSUED, by=cast.clerk_a)
    moving = letters_of(cast.agency_a, 1, status=Status.PROVINCE_REVIEW, by=cast.clerk_a)
    sign_in(client, cast.officer_1)
    url = reverse("bulk:new_in", args=["van-ban"])
    body = client.get(url).content.decode()
    assert "Bộ lọc tìm thấy 3 văn bản" in body and '<option value="remind"' in body
    response = client.post(url, {"query": "", "action": "remind", "reason": REASON})
    assert response.status_code == 302
    bulk_job_run(job_id=BulkJob.objects.get().pk)
    body = client.get(response["Location"]).content.decode()
    for pk in waiting + moving:
        assert f'href="{reverse("requests_app:detail", args=[pk])}"' in body
    assert body.count('data-status="done" data-object') == 2
    assert body.count('data-status="skipped" data-object') == 1
    assert "không chờ cơ quan đề nghị" in body


def test_the_letters_register_carries_its_filter_to_the_bulk_page(cast, client):
    letters_of(cast.agency_a, 1, status=Status.ISSUED, by=cast.clerk_a)
    entry = f"{reverse('bulk:new_in', args=['van-ban'])}?status=issued"
    sign_in(client, cast.officer_1)
    body = client.get(reverse("requests_app:list"), {"status": "issued"}).content.decode()
    assert 'id="bulk-entry"' in body and entry in body
    sign_in(client, cast.clerk_a)
    body = client.get(reverse("requests_app:list"), {"status": "issued"}).content.decode()
    assert 'id="bulk-entry"' not in body
