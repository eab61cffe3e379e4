"""A job is judged on what it will act on (docs/bulk.md, "Flow" 2–3): whether it waits for a
second person and whether its Art. 17 case applies are read from its snapshot (its items),
never from the register's filter read again. Here a certificate moves from one agency to
another at the very moment of a statement of the confirmation (a trigger of the database,
tests/bulk/meanwhile.py), so that the filter read again would find something else."""

import pytest

from approvals.choices import ApprovalAction
from bulk.choices import JobStatus
from bulk.models import BulkItem, BulkJob
from bulk.services import bulk_job_create
from certificates.choices import RevocationReason
from certificates.models import Certificate
from portal.errors import DomainError
from tests.bulk.meanwhile import after_insert
from tests.bulk.world import certificates_of, organization_certificate

pytestmark = pytest.mark.django_db


def _revoke(cast, reason=RevocationReason.KEY_COMPROMISE):
    return bulk_job_create(
        register="certificates", query=f"agency={cast.agency_a.pk}", action="revoke",
        params={"reason": reason}, reason="Sở sáp nhập", by=cast.ca_operator,
    )  # fmt: skip


def _move(certificate, agency) -> str:
    """The UPDATE moving `certificate` to `agency` (its ids are integers)."""
    table = Certificate._meta.db_table
    return f"UPDATE {table} SET agency_id = {int(agency.pk)} WHERE id = {int(certificate.pk)}"  # noqa: S608


def test_an_organisations_certificate_moved_out_after_the_snapshot_still_needs_approval(cast):
    certificates_of(cast.agency_a, 2)
    seal = organization_certificate(cast.agency_a)
    # the seal leaves agency A as the items are written: agency A read again has no seal
    after_insert(BulkItem, _move(seal, cast.agency_b))

    job = _revoke(cast)

    assert Certificate.objects.get(pk=seal.pk).agency_id == cast.agency_b.pk
    assert seal.pk in set(job.items.values_list("object_id", flat=True))  # the job revokes it
    assert job.status == JobStatus.WAITING_APPROVAL
    assert job.approval.action == ApprovalAction.REVOKE_ORGANIZATION


def test_an_organisations_certificate_moved_in_after_the_snapshot_asks_no_approval(cast):
    certificates_of(cast.agency_a, 2)
    seal = organization_certificate(cast.agency_b)
    # the seal joins agency A once the items are written: the job does not revoke it
    after_insert(BulkItem, _move(seal, cast.agency_a))

    job = _revoke(cast)

    assert seal.pk not in set(job.items.values_list("object_id", flat=True))
    assert (job.status, job.approval) == (JobStatus.QUEUED, None)


def test_the_revocation_case_is_checked_on_the_snapshot(cast):
    """A case for people only (retired) is refused when the snapshot holds an organisation's
    certificate, though the filter read before the job was written found people only."""
    certificates_of(cast.agency_a, 2)
    seal = organization_certificate(cast.agency_b)
    # the seal joins agency A once the job is written, before its items are
    after_insert(BulkJob, _move(seal, cast.agency_a))

    with pytest.raises(DomainError) as refused:
        _revoke(cast, reason=RevocationReason.RETIRED)

    assert refused.value.code == "reason"
    assert not BulkJob.objects.exists() and not BulkItem.objects.exists()
