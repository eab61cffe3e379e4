"""Many registry certificates made fast for the bulk tests: built by the factory, written in
one bulk insert, issued by the test CA so the CRL lists them once revoked; a lost worker's job
resumed as the stall sweep resumes it."""

from datetime import timedelta

from django.utils import timezone

from agencies.choices import Role
from bulk.models import BulkJob
from bulk.services import bulk_job_run, bulk_jobs_sweep
from certificates.choices import SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceKind, DeviceStatus, ReturnReason
from devices.models import Device, ReturnObligation
from requests_app.choices import FormKind
from requests_app.models import CertRequest
from tests import factories as f


def certificates_of(agency, n: int, *, issuer=None, people: int = 10, **fields) -> list[int]:
    """`n` valid certificates of people of `agency` (shared among `people` persons); their ids."""
    persons = [f.PersonFactory(organization=agency) for _ in range(min(people, n))]
    now = timezone.now()
    built = [
        f.CertificateFactory.build(
            person=persons[i % len(persons)],
            agency=agency,
            issuer=issuer,
            # a placeholder DER: the registry's row is what revocation and the CRL read
            der=b"\x30\x00" if issuer is not None else b"",
            not_before=now - timedelta(days=10, seconds=i),
            not_after=now + timedelta(days=300),
            **fields,
        )
        for i in range(n)
    ]
    return [c.pk for c in Certificate.objects.bulk_create(built)]


def organization_certificate(agency, *, issuer=None) -> Certificate:
    return f.CertificateFactory(
        subject_kind=SubjectKind.ORGANIZATION,
        person=None,
        subject_organization=agency,
        agency=agency,
        issuer=issuer,
        der=b"\x30\x00" if issuer is not None else b"",  # as certificates_of's
    )


def second_ca_operator(cast, username="ca_operator_2"):
    user = f.UserFactory(username=username)
    f.MembershipFactory(user=user, role=Role.CA_OPERATOR, organization=cast.ca_org)
    return user


def devices_of(agency, n: int, *, owing: bool = True, start: int = 0, holder=None) -> list[int]:
    """`n` tokens delivered to `agency` (written in one insert); with `owing`, each with an
    open return obligation of `agency`, overdue since yesterday. Their ids."""
    devices = Device.objects.bulk_create(
        [
            Device(
                kind=DeviceKind.USB_TOKEN,
                serial=f"BR{agency.pk:03d}{start + i:05d}",
                status=DeviceStatus.AWAITING_RETURN if owing else DeviceStatus.DELIVERED_TO_AGENCY,
                agency=agency,
                holder=holder,
            )
            for i in range(n)
        ]
    )
    if owing:
        today = timezone.localdate()
        ReturnObligation.objects.bulk_create(
            [
                ReturnObligation(
                    device=d,
                    agency=agency,
                    reason=ReturnReason.REVOKED,
                    notified_on=today - timedelta(days=10),
                    due_on=today - timedelta(days=1),
                )
                for d in devices
            ]
        )
    return [d.pk for d in devices]


def letters_of(agency, n: int, *, status, by, issued: bool = True, **fields) -> list[int]:
    """`n` Mẫu 01 letters of `agency` in `status` (written in one insert; `issued`: numbered
    and dated, so the province sees them). Their ids."""
    today = timezone.localdate()
    letters = CertRequest.objects.bulk_create(
        [
            CertRequest(
                form=FormKind.ISSUE_PERSON,
                agency=agency,
                status=status,
                subject=f"Đề nghị cấp chứng thư số đợt {i + 1}",
                number=f"{i + 1}/STC-CKS" if issued else "",
                issued_on=today if issued else None,
                created_by=by,
                **fields,
            )
            for i in range(n)
        ]
    )
    return [letter.pk for letter in letters]


def resumed(job) -> None:
    """The worker that had `job` is lost: the stall window passes, the sweep queues it again
    (running → queued) and a worker takes it (the message the sweep sends is that worker's)."""
    BulkJob.objects.filter(pk=job.pk).update(progress_at=timezone.now() - timedelta(hours=1))
    assert bulk_jobs_sweep() == 1
    bulk_job_run(job_id=job.pk)
