"""Bulk jobs from a search (docs/bulk.md): the selection is everything the register's filter
finds within the requester's scope, capped; a revocation below the approval threshold runs
at once, above it waits for a second CA operator; a refused approval cancels the job; a job
stopped mid-way resumes without taking a done item again."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership
from approvals.choices import ApprovalAction, ApprovalStatus
from approvals.models import ApprovalRule
from approvals.services import approval_approve, approval_reject, approval_run
from bulk.choices import ItemStatus, JobStatus
from bulk.models import BulkItem, BulkJob
from bulk.selection import preview
from bulk.services import bulk_job_create, bulk_job_run, bulk_jobs_sweep
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate, CertificateEvent
from portal.errors import DomainError
from tests.bulk.world import certificates_of, organization_certificate, second_ca_operator
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
KEY = RevocationReason.KEY_COMPROMISE


def _create(cast, query, by=None, reason=KEY):
    return bulk_job_create(
        register="certificates", query=query, action="revoke", params={"reason": reason},
        reason="Sở sáp nhập", by=by or cast.ca_operator,
    )  # fmt: skip


def test_the_selection_is_everything_the_filter_finds_not_a_page(cast):
    ids_a = certificates_of(cast.agency_a, 120)
    certificates_of(cast.agency_b, 7)
    job = _create(cast, f"agency={cast.agency_a.pk}&page=3&cursor=x")
    assert job.total == 120  # the register's page shows 50
    assert sorted(job.items.values_list("object_id", flat=True)) == sorted(ids_a)
    assert job.query == f"agency={cast.agency_a.pk}"  # only the filter's own fields are kept


def test_nothing_outside_the_users_scope_is_selected(cast):
    certificates_of(cast.agency_a, 5)
    certificates_of(cast.agency_b, 4)
    seen = preview(register="certificates", query="status=valid", user=cast.clerk_a)
    assert seen.count == 5  # agency B's are not agency A's clerk's
    assert preview(register="certificates", query="status=valid", user=cast.ca_operator).count == 9
    with pytest.raises(DomainError) as refused:  # and revoking is the CA operator's
        _create(cast, "status=valid", by=cast.clerk_a)
    assert refused.value.code == "forbidden"
    assert not BulkJob.objects.exists()


def test_the_cap_refuses_more_in_vietnamese_and_keeps_nothing(cast, settings):
    settings.PORTAL_BULK_MAX_ITEMS = 30
    certificates_of(cast.agency_a, 31)
    with pytest.raises(DomainError) as refused:
        _create(cast, f"agency={cast.agency_a.pk}")
    assert refused.value.code == "too_many"
    assert "tối đa 30" in refused.value.message
    assert not BulkJob.objects.exists() and not BulkItem.objects.exists()
    assert preview(register="certificates", query="", user=cast.ca_operator).too_many


def test_a_reason_that_does_not_apply_to_the_subjects_is_refused(cast):
    certificates_of(cast.agency_a, 3)
    with pytest.raises(DomainError) as refused:
        _create(cast, "", reason=RevocationReason.DISSOLVED)  # an organisation's case
    assert refused.value.code == "reason"


def test_above_the_threshold_it_waits_and_the_requester_cannot_approve(cast, ca):
    certificates_of(cast.agency_a, 60, issuer=ca.issuing)
    job = _create(cast, f"agency={cast.agency_a.pk}")
    assert job.status == JobStatus.WAITING_APPROVAL
    approval = job.approval
    assert approval.action == ApprovalAction.REVOKE_BATCH and approval.count == 60
    with pytest.raises(DomainError) as refused:
        approval_approve(approval=approval, by=cast.ca_operator)
    assert refused.value.code == "own_request"
    approval_approve(approval=approval, by=second_ca_operator(cast))
    approval_run(approval_id=approval.pk)
    approval_run(approval_id=approval.pk)  # a second delivery does nothing
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.DONE
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.DONE, 60), list(
        job.items.values_list("message", flat=True)[:2]
    )
    assert Certificate.objects.filter(status=CertStatus.REVOKED).count() == 60


def test_an_organisations_certificate_always_needs_approval(cast):
    certificates_of(cast.agency_a, 2)
    organization_certificate(cast.agency_a)
    job = _create(cast, f"agency={cast.agency_a.pk}", reason=RevocationReason.KEY_COMPROMISE)
    assert job.status == JobStatus.WAITING_APPROVAL
    assert job.approval.action == ApprovalAction.REVOKE_ORGANIZATION


def test_a_rejected_approval_cancels_the_job_and_revokes_nothing(cast):
    certificates_of(cast.agency_a, 60)
    job = _create(cast, f"agency={cast.agency_a.pk}")
    approval_reject(approval=job.approval, by=second_ca_operator(cast), reason="Chưa đủ căn cứ")
    job.refresh_from_db()  # cancelled by the rejection itself, in its transaction
    assert job.status == JobStatus.CANCELLED
    assert bulk_jobs_sweep() == 0
    assert job.status == JobStatus.CANCELLED
    assert "Chưa đủ căn cứ" in job.outcome
    bulk_job_run(job_id=job.pk)  # a stray delivery does nothing
    assert not Certificate.objects.filter(status=CertStatus.REVOKED).exists()
    assert job.items.filter(status=ItemStatus.PENDING).count() == 60


def test_a_job_stopped_mid_way_resumes_without_touching_done_items(cast, ca, settings):
    settings.PORTAL_BULK_BATCH = 20
    ids = certificates_of(cast.agency_a, 45, issuer=ca.issuing)
    Certificate.objects.filter(pk=ids[-1]).update(
        status=CertStatus.REVOKED, revoked_at=timezone.now()
    )
    job = _create(cast, f"agency={cast.agency_a.pk}")
    assert job.status == JobStatus.QUEUED
    bulk_job_run(job_id=job.pk, batches=1)  # the worker dies after one batch
    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.RUNNING, 20)
    first = set(job.items.filter(status=ItemStatus.DONE).values_list("object_id", flat=True))
    BulkJob.objects.filter(pk=job.pk).update(progress_at=timezone.now() - timedelta(hours=1))
    bulk_jobs_sweep()  # queued again: claimed by moving its sign of life
    job.refresh_from_db()
    assert job.progress_at > timezone.now() - timedelta(minutes=1)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert (job.done_count, job.failed_count, job.skipped_count) == (44, 0, 1)
    skipped = job.items.get(status=ItemStatus.SKIPPED)
    assert skipped.object_id == ids[-1] and skipped.message
    # each certificate revoked once: the first batch's were not taken again
    events = CertificateEvent.objects.filter(certificate_id__in=first, kind="revoked")
    assert events.count() == 20
    assert CertificateEvent.objects.filter(kind="revoked").count() == 44


def test_the_job_page_reads_its_filter_in_words(client, cast):
    """The approver and the requester read what was selected by names, not the query's ids."""
    certificates_of(cast.agency_a, 3)
    job = _create(cast, f"province={cast.province_1.pk}&agency={cast.agency_a.pk}&status=valid")
    sign_in(client, second_ca_operator(cast))

    page = client.get(reverse("bulk:detail", args=[job.pk])).content.decode()

    shown = re.search(r'<dd id="bulk-filter">(.*?)</dd>', page, re.S).group(1)
    assert shown == (
        "Tỉnh, thành phố: Tỉnh Lai Châu; Cơ quan quản lý: Sở Tài chính tỉnh Lai Châu; "
        "Trạng thái: Còn hiệu lực"
    )
    assert f"<code>{job.query}</code>" not in page  # the ids only in the link to the register


def test_a_polled_progress_reloads_the_page_once_the_job_has_ended(client, cast, ca):
    certificates_of(cast.agency_a, 3, issuer=ca.issuing)
    job = _create(cast, f"agency={cast.agency_a.pk}")
    sign_in(client, cast.ca_operator)
    url = reverse("bulk:progress", args=[job.pk])
    assert "HX-Refresh" not in client.get(url, headers={"HX-Request": "true"})
    bulk_job_run(job_id=job.pk)
    ended = client.get(url, headers={"HX-Request": "true"})
    assert ended["HX-Refresh"] == "true"
    assert 'hx-trigger="every 1s"' not in ended.content.decode()


def test_the_preview_says_a_revocation_would_wait_for_approval_by_the_rules(client, cast):

    certificates_of(cast.agency_a, 60)
    sign_in(client, cast.ca_operator)
    url = reverse("bulk:new") + f"?agency={cast.agency_a.pk}"
    waits = "chờ một cán bộ Cục CTS&BMTT khác phê duyệt"
    assert waits in client.get(url).content.decode()
    ApprovalRule.objects.create(action=ApprovalAction.REVOKE_BATCH, above=1000)
    assert waits not in client.get(url).content.decode()


def test_a_revocation_is_confirmed_with_the_password_on_the_page_and_in_the_api(client, cast):
    certificates_of(cast.agency_a, 3)
    sign_in(client, cast.ca_operator)
    form = {
        "query": f"agency={cast.agency_a.pk}",
        "action": "revoke",
        "revocation_reason": RevocationReason.AGENCY_REQUEST,
        "reason": "Cơ quan đã sáp nhập",
        "reauth_password": "sai mật khẩu",
    }
    page = client.post(reverse("bulk:new"), form)
    assert page.status_code == 400
    assert "Mật khẩu xác nhận không đúng" in page.content.decode()
    api = client.post(
        "/api/v1/hang-loat/",
        {
            "register": "certificates",
            "query": f"agency={cast.agency_a.pk}",
            "action": "revoke",
            "params": {"reason": RevocationReason.AGENCY_REQUEST},
            "reason": "Cơ quan đã sáp nhập",
            "confirm": True,
        },
        content_type="application/json",
    )
    assert api.status_code in (400, 422)
    assert not BulkJob.objects.exists()


def test_a_reason_that_is_not_text_is_refused_not_a_server_error(client, cast):
    certificates_of(cast.agency_a, 3)
    sign_in(client, cast.ca_operator)
    answer = client.post(
        "/api/v1/hang-loat/",
        {
            "register": "certificates",
            "query": f"agency={cast.agency_a.pk}",
            "action": "remind",
            "params": {"reason": ["x"]},
            "reason": "Nhắc",
        },
        content_type="application/json",
    )
    assert answer.status_code == 400


def test_an_approved_job_whose_requester_lost_the_role_revokes_nothing(cast):

    certificates_of(cast.agency_a, 60)
    job = _create(cast, f"agency={cast.agency_a.pk}")
    Membership.objects.filter(user=cast.ca_operator).delete()
    approval_approve(approval=job.approval, by=second_ca_operator(cast))
    approval_run(approval_id=job.approval_id)
    job.approval.refresh_from_db()
    assert job.approval.status == ApprovalStatus.FAILED
    bulk_jobs_sweep()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert not Certificate.objects.filter(status=CertStatus.REVOKED).exists()
