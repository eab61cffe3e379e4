"""A bulk revocation below the approval threshold runs in a real Celery worker on Redis
(bulk.tasks), in batches, and ends with each item's outcome and one new CRL listing them."""

import time

import pytest
from cryptography import x509

from bulk.choices import ItemStatus, JobStatus
from bulk.services import bulk_job_create
from certificates import services as ca_services
from certificates.choices import CertStatus, RevocationReason
from certificates.models import Certificate, CertificateAuthority, RevocationList
from tests.bulk.world import certificates_of

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached after {timeout} s")


def test_a_revocation_below_the_threshold_runs_in_the_worker_in_batches(
    redis_worker, cast, settings
):
    settings.PORTAL_BULK_BATCH = 7
    ca_services.ca_initialize()
    issuing = CertificateAuthority.objects.public().get(kind="issuing", is_active=True)
    ids = certificates_of(cast.agency_a, 30, issuer=issuing)
    first = RevocationList.objects.filter(authority=issuing).order_by("-number").first()
    job = bulk_job_create(
        register="certificates", query=f"agency={cast.agency_a.pk}&status=valid",
        action="revoke", params={"reason": RevocationReason.DEVICE_UNSAFE},
        reason="Lô thiết bị không an toàn", by=cast.ca_operator,
    )  # fmt: skip
    assert job.status == JobStatus.QUEUED and job.total == 30  # 30 ≤ 50: no approval

    def finished():
        job.refresh_from_db()
        return job.status == JobStatus.DONE

    _wait(finished)
    assert (job.done_count, job.failed_count, job.skipped_count) == (30, 0, 0)
    assert set(job.items.values_list("status", flat=True)) == {ItemStatus.DONE}
    assert Certificate.objects.filter(pk__in=ids, status=CertStatus.REVOKED).count() == 30
    newer = _wait(
        lambda: RevocationList.objects.filter(authority=issuing, number__gt=first.number).first()
    )
    crl = x509.load_der_x509_crl(bytes(newer.der))
    serials = set(Certificate.objects.filter(pk__in=ids).values_list("serial", flat=True))
    listed = {f"{entry.serial_number:X}" for entry in crl}
    assert serials <= listed
    # one publication for the whole job, not one per batch (5 batches of 7)
    time.sleep(1.0)
    assert RevocationList.objects.filter(authority=issuing, number__gt=first.number).count() == 1
