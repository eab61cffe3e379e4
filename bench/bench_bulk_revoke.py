"""Revoking 10,000 certificates found by a search (docs/bulk.md, docs/ca.md "Publication"):
goal at most 30 s from the confirmation to the CRL that lists them all.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_bulk_revoke.py
        [--certificates N] [--batch B]

Builds a throw-away database (bench/_setup.py): the agency of bench/_letters.py, the CA after
its key ceremony, and N valid person certificates of that agency, one person each, issued by
the CA's issuing authority (seeded like bench/bench_field_crypto.py's `seed_certificates`: on
PostgreSQL the people and certificates by SQL, then each certificate given the issuer and the
DER of one the CA really issued), every other one on a USB token handed to its subscriber
(so half the revocations open a device's return obligation). Then, timed, what the CA operators do from the certificate register:

1. the bulk job confirmed from the register's search (`bulk_job_create`, register
   "certificates", the agency's filter): its N items snapshotted from the filter, and, being
   above the approval rule's count, one approval request;
2. a second CA operator's approval (`approval_approve`) and its run (`approval_run`: the job
   queued);
3. the worker's body (`bulk_job_run`, run here in process): batches of B (`--batch`, else
   PORTAL_BULK_BATCH, else 500), each one `certificate_revoke_many(publish_crl=False)` in
   its own transaction, a fixed number of statements, and each item's outcome;
4. the one CRL publication the job queues at its end, run here (`crl_publish`).

Prints certificates/s, SQL statements per certificate and per batch, the time of the
revocations and of the CRL, "goal met"/"goal NOT met"; then checks every certificate was
revoked once (one history row, one `certificate.revoke` event), the CRL has N entries (its DER
parsed), a second pass over the same ids revokes nothing, and `audit_verify` passes.
"""

import argparse
import os
import sys

import _setup
from bench_ca import Clock
from bench_processing import Counter

GOAL_SECONDS = 30.0


def build(n: int):
    from _letters import build_agency
    from bench_field_crypto import seed_certificates
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization, Person
    from certificates.choices import SubjectKind
    from certificates.services import ca_initialize, certificate_issue

    agency, _clerk, _head = build_agency()
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    ca_initialize(by=operator)
    template = certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=agency,
        person=Person.objects.get(organization=agency),
        by=operator,
    )
    steps, _first = seed_certificates(agency, n)
    for step, (seconds, rows) in steps.items():
        print(f"  {step}: {rows:,} in {seconds:.1f} s", flush=True)
    ids = _issued_here(template, agency)
    assert len(ids) == n, (len(ids), n)
    _on_tokens(ids[::2], agency)
    return operator, template.issuer, ids


def _issued_here(template, agency) -> list[int]:
    """The seeded certificates as the CA issued them: its issuing authority, a DER (the one
    really issued's: what the revocation checks is that there is one; the CRL lists serials),
    and all still valid (the seeding spreads their ends over two years, some in the past)."""
    from datetime import timedelta

    from django.utils import timezone

    from certificates.models import Certificate

    seeded = Certificate.objects.filter(agency=agency, issuer__isnull=True)
    seeded.update(
        issuer=template.issuer,
        der=bytes(template.der),
        not_after=timezone.now() + timedelta(days=365),
    )
    return list(
        Certificate.objects.filter(agency=agency)
        .exclude(pk=template.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _on_tokens(ids: list[int], agency) -> None:
    """A USB token handed to the subscriber under each of these certificates."""
    from django.db import connection
    from django.utils import timezone

    from certificates.models import Certificate
    from devices.choices import DeviceKind, DeviceStatus
    from devices.models import Device
    from portal.lib.bulk import insert_rows, update_rows

    holders = dict(Certificate.objects.filter(pk__in=ids).values_list("pk", "person_id"))
    now = timezone.now()
    insert_rows(
        Device,
        ["kind", "serial", "iccid", "phone", "carrier", "status", "agency_id", "holder_id",
         "created_at"],
        (
            (DeviceKind.USB_TOKEN.value, f"RB{pk:08d}", "", "", "",
             DeviceStatus.HANDED_TO_SUBSCRIBER.value, agency.pk, holders[pk], now)
            for pk in ids
        ),
    )  # fmt: skip
    devices = dict(Device.objects.filter(serial__startswith="RB").values_list("serial", "pk"))
    update_rows(Certificate, ["device"], [(pk, devices[f"RB{pk:08d}"]) for pk in ids])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--certificates", type=int, default=10_000)
    parser.add_argument(
        "--batch", type=int, default=int(os.environ.get("PORTAL_BULK_BATCH", "500"))
    )
    args = parser.parse_args()
    with _setup.throwaway_database("bench-bulk-revoke-") as connection:
        return run(args, connection)


def run(args, connection) -> int:
    from cryptography import x509
    from django.db.models import Count

    from agencies.choices import Role
    from agencies.models import Membership
    from approvals.services import approval_approve, approval_run
    from bulk.choices import BulkAction, ItemStatus
    from bulk.services import bulk_job_create, bulk_job_run
    from certificates.choices import CertEventKind, RevocationReason
    from certificates.models import Certificate, CertificateEvent
    from certificates.services import certificate_revoke_many, crl_publish
    from portal.audit import audit_verify
    from portal.models import AuditEvent
    from tests import factories as f

    n, size = args.certificates, args.batch
    print(f"seeding {n:,} valid certificates …", flush=True)
    with Clock() as seeding:
        operator, issuer, ids = build(n)
    print(f"  seeded in {seeding.wall:.1f} s", flush=True)
    on_tokens = len(ids[::2])
    os.environ["PORTAL_BULK_BATCH"] = str(size)
    from django.conf import settings

    settings.PORTAL_BULK_BATCH = size
    settings.PORTAL_BULK_MAX_ITEMS = max(settings.PORTAL_BULK_MAX_ITEMS, n)
    approver = f.UserFactory(username="bench_ca_operator_two", email="hai@bench.gov.vn")
    Membership.objects.create(user=approver, role=Role.CA_OPERATOR, organization=f.CAOrgFactory())
    agency_id = Certificate.objects.get(pk=ids[0]).agency_id
    counter = Counter()
    print(f"revoking {n:,} certificates found by a search, batches of {size} …", flush=True)
    load_before = os.getloadavg()[0]
    with Clock() as total, connection.execute_wrapper(counter):
        with Clock() as confirming:
            job = bulk_job_create(
                register="certificates",
                query=f"agency={agency_id}&status=valid",
                action=BulkAction.REVOKE,
                params={"reason": RevocationReason.RETIRED},
                reason="Theo văn bản số 7/QĐ-CTS",
                by=operator,
            )
            approval_approve(approval=job.approval, by=approver)
            approval_run(approval_id=job.approval_id)
        with Clock() as revoking:
            job = bulk_job_run(job_id=job.pk)
        revocation_statements = counter.n
        with Clock() as publishing:
            crl = crl_publish(authority=issuer)
    load_after = os.getloadavg()[0]
    # what the search found: the N seeded and the one the CA issued as their template
    ids = list(job.items.values_list("object_id", flat=True))
    n = len(ids)
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]
    items = job.items.values_list("status", flat=True)
    revoked = sum(1 for status in items if status == ItemStatus.DONE)
    refused = len(items) - revoked
    why = {}

    entries = sum(1 for _entry in x509.load_der_x509_crl(bytes(crl.der)))
    once = (
        CertificateEvent.objects.filter(certificate_id__in=ids, kind=CertEventKind.REVOKED)
        .values("certificate_id")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .count()
    )
    audits = AuditEvent.objects.filter(action="certificate.revoke").count()
    obligations = AuditEvent.objects.filter(action="return_obligation.open").count()
    with Clock() as second:
        again = sum(
            len(
                certificate_revoke_many(
                    certificate_ids=batch, by=operator, reason=RevocationReason.RETIRED
                ).revoked
            )
            for batch in batches
        )
    verified = audit_verify()

    seconds = total.wall
    correct = (
        revoked == n
        and refused == 0
        and once == n
        and audits == n
        and crl.entry_count == entries == n
        and again == 0
        and verified.ok
    )
    met = correct and seconds <= GOAL_SECONDS and n >= args.certificates >= 10_000
    print()
    print(
        f"Database: {connection.vendor}; {n:,} certificates ({on_tokens:,} on tokens), "
        f"batches of {size}; load average {load_before:.1f} → {load_after:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"Confirmation from the search and approval: {job.total:,} items in "
        f"{confirming.wall:.2f} s\n"
        f"Revocations: {revoked:,} revoked, {refused} refused{f' {why}' if why else ''} in {revoking.wall:.2f} s wall, "
        f"{revoking.cpu:.2f} s CPU ({n / revoking.wall:,.0f} certificates/s); "
        f"{revocation_statements:,} SQL statements ({revocation_statements / max(n, 1):.3f} a "
        f"certificate, {revocation_statements / max(len(batches), 1):.1f} a batch); "
        f"{obligations:,} device returns opened"
    )
    print(
        f"CRL: number {crl.number}, {crl.entry_count:,} entries ({entries:,} in its DER) in "
        f"{publishing.wall:.2f} s wall, {publishing.cpu:.2f} s CPU"
    )
    print(
        f"Checks: revoked once {once:,}; {audits:,} certificate.revoke events; second pass "
        f"revoked {again} ({second.wall:.2f} s); audit_verify: {verified.message}"
    )
    print(
        f"Total (revocations + CRL): {seconds:.2f} s wall, {total.cpu:.2f} s CPU of this "
        f"process; {n / seconds:,.0f} certificates/s"
    )
    print()
    print(
        f"Goal {10_000:,} certificates revoked with their CRL in ≤ {GOAL_SECONDS:.0f} s: "
        f"{'goal met' if met else 'goal NOT met'} ({seconds:.2f} s for {n:,}"
        f"{'' if correct else ', not every certificate revoked once and listed, or audit broken'}"
        f"{'' if n >= 10_000 else ', fewer certificates than the goal'})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    _setup.configure()
    # The one certificate really issued (whose DER the seeded ones carry) takes its key from
    # the software key store, as bench/bench_processing.py's do.
    os.environ.setdefault("PORTAL_SUBSCRIBER_KEY_STORE", "software")
    sys.exit(main())
