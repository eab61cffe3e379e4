"""A clerk's bulk drafts (docs/bulk.md, "Drafting letters"): a Mẫu 05 or Mẫu 04 for what the
register's filter finds of their agency, one draft letter per agency tied to the job, every
row checked by the rules a row typed by hand passes, a certificate that cannot go on the
letter failed with the rule's words, and a job run again never drafting a second letter."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from bulk.choices import ItemStatus, JobStatus
from bulk.models import BulkJob, BulkLetter
from bulk.services import bulk_job_create, bulk_job_run
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate
from portal.errors import DomainError
from requests_app.choices import FormKind, Status
from requests_app.models import CertRequest, RequestRow
from requests_app.services import cert_request_create, row_save
from requests_app.workflow import move
from tests.bulk.world import certificates_of, resumed
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
KEY = RevocationReason.KEY_COMPROMISE


def _draft(cast, query, action="draft_revoke", by=None, reason=KEY):
    return bulk_job_create(
        register="certificates", query=query, action=action, params={"reason": reason},
        reason="Rà soát chứng thư", by=by or cast.clerk_a,
    )  # fmt: skip


def _letters(job):
    return list(CertRequest.objects.filter(bulk_origin__job=job))


def test_a_clerk_drafts_one_mau_05_for_their_agency_and_its_units(cast):
    own = certificates_of(cast.agency_a, 6) + certificates_of(cast.unit_a, 3)
    certificates_of(cast.agency_b, 4)  # another agency's: not the clerk's
    job = _draft(cast, "status=valid")
    assert job.status == JobStatus.QUEUED and job.total == 9 and job.approval is None
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_count, job.failed_count) == (JobStatus.DONE, 9, 0)
    (letter,) = _letters(job)
    assert (letter.form, letter.status, letter.agency) == (
        FormKind.REVOKE,
        Status.DRAFT,
        cast.agency_a,
    )
    assert letter.created_by == cast.clerk_a
    rows = letter.rows.order_by("position")
    assert sorted(rows.values_list("certificate_id", flat=True)) == sorted(own)
    assert list(rows.values_list("position", flat=True)) == list(range(1, 10))
    assert set(rows.values_list("revoke_reason", flat=True)) == {KEY}
    assert not Certificate.objects.filter(status=CertStatus.REVOKED).exists()  # only drafted


def test_a_certificate_that_cannot_go_on_the_letter_fails_with_the_rules_words(cast):
    ids = certificates_of(cast.agency_a, 4)
    Certificate.objects.filter(pk=ids[0]).update(
        status=CertStatus.REVOKED, revoked_at=timezone.now()
    )
    typed = cert_request_create(agency=cast.agency_a, form=FormKind.REVOKE, by=cast.clerk_a)
    row_save(
        cert_request=typed,
        by=cast.clerk_a,
        data={"certificate": Certificate.objects.get(pk=ids[1]), "revoke_reason": KEY},
    )
    job = _draft(cast, f"agency={cast.agency_a.pk}")
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.done_count, job.failed_count, job.skipped_count) == (2, 2, 0)
    failed = dict(job.items.filter(status=ItemStatus.FAILED).values_list("object_id", "message"))
    assert failed[ids[0]] == "Chứng thư đã hết hạn hoặc đã bị thu hồi."
    assert failed[ids[1]] == "Đã có một đề nghị khác chưa xử lý xong cho chứng thư này."
    (letter,) = _letters(job)
    assert set(letter.rows.values_list("certificate_id", flat=True)) == set(ids[2:])
    # the hand-typed letter still has its row, the only open one for that certificate
    assert RequestRow.objects.open().filter(certificate_id=ids[1]).count() == 1


def test_a_job_resumed_after_a_crash_adds_to_the_same_letter(cast, settings):
    settings.PORTAL_BULK_BATCH = 4
    ids = certificates_of(cast.agency_a, 10)
    job = _draft(cast, f"agency={cast.agency_a.pk}")
    bulk_job_run(job_id=job.pk, batches=1)  # the worker dies after one batch
    (letter,) = _letters(job)
    assert letter.rows.count() == 4
    resumed(job)  # the sweep queues it again, a worker takes it
    bulk_job_run(job_id=job.pk)  # a second delivery: the job is done, nothing happens
    job.refresh_from_db()
    assert (job.status, job.done_count) == (JobStatus.DONE, 10)
    assert _letters(job) == [letter]
    assert CertRequest.objects.filter(agency=cast.agency_a).count() == 1
    assert sorted(letter.rows.values_list("certificate_id", flat=True)) == sorted(ids)
    assert sorted(letter.rows.values_list("position", flat=True)) == list(range(1, 11))
    with pytest.raises(IntegrityError), transaction.atomic():  # one letter per job and agency
        other = cert_request_create(agency=cast.agency_a, form=FormKind.REVOKE, by=cast.clerk_a)
        BulkLetter.objects.create(job=job, agency=cast.agency_a, cert_request=other)


def test_a_letter_submitted_mid_way_fails_the_rest_in_words(cast, settings):
    settings.PORTAL_BULK_BATCH = 3
    certificates_of(cast.agency_a, 5)
    job = _draft(cast, f"agency={cast.agency_a.pk}")
    bulk_job_run(job_id=job.pk, batches=1)
    (letter,) = _letters(job)
    with transaction.atomic():
        move(CertRequest.objects.select_for_update().get(pk=letter.pk), "submit", by=cast.clerk_a)
    resumed(job)  # the sweep queues it again, a worker takes it
    job.refresh_from_db()
    assert (job.status, job.done_count, job.failed_count) == (JobStatus.DONE, 3, 2)
    messages = set(job.items.filter(status=ItemStatus.FAILED).values_list("message", flat=True))
    assert len(messages) == 1 and "trạng thái" in messages.pop()
    assert letter.rows.count() == 3 and len(_letters(job)) == 1


def test_a_mau_04_renewal_row_breaking_a_rule_is_failed_with_its_message(cast, settings):
    ids = certificates_of(cast.agency_a, 3)
    Certificate.objects.filter(pk=ids[0]).update(renewal_count=settings.PORTAL_MAX_RENEWALS)
    Certificate.objects.filter(pk=ids[1]).update(not_after=timezone.now() + timedelta(days=5))
    job = _draft(cast, f"agency={cast.agency_a.pk}", action="draft_renew", reason="")
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.done_count, job.failed_count) == (1, 2)
    failed = dict(job.items.filter(status=ItemStatus.FAILED).values_list("object_id", "message"))
    assert "đã được gia hạn" in failed[ids[0]]
    assert "Chỉ gia hạn khi chứng thư còn ít nhất" in failed[ids[1]]
    (letter,) = _letters(job)
    assert letter.form == FormKind.RENEW_CHANGE
    assert list(letter.rows.values_list("certificate_id", "renew")) == [(ids[2], True)]


def test_who_may_draft_and_what_they_need(cast):
    certificates_of(cast.agency_a, 2)
    for by in (cast.ca_operator, cast.officer_1, cast.head_a):
        with pytest.raises(DomainError) as refused:
            _draft(cast, "", by=by)
        assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as refused:  # a Mẫu 05 needs an Art. 17 case
        _draft(cast, "", reason="")
    assert refused.value.code == "reason"
    with pytest.raises(DomainError) as refused:  # and revoking is the CA operator's
        _draft(cast, "", action="revoke")
    assert refused.value.code == "forbidden"
    assert not CertRequest.objects.exists()


def test_the_job_page_links_to_the_drafted_letter(cast, client):
    certificates_of(cast.agency_a, 2)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("bulk:new"),
        {"query": "", "action": "draft_revoke", "revocation_reason": KEY, "reason": "Nghỉ hưu"},
    )
    assert response.status_code == 302
    job_url = response["Location"]
    job = BulkJob.objects.get()
    bulk_job_run(job_id=job.pk)
    page = client.get(job_url)
    (letter,) = _letters(job)
    assert page.status_code == 200
    assert reverse("requests_app:detail", args=[letter.pk]) in page.content.decode()
