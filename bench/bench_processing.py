"""Processing a 1,000-row Mẫu 01 letter, end to end (docs/scale.md
§12.3): goal at most 10 s from "Xử lý" to done, the CA at least 40 % of `openssl speed rsa2048`
in the same run.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_processing.py [--rows N]
        [--inline-keys]

Builds a throw-away database (bench/_setup.py): the agency of bench/_letters.py, the CA after
its key ceremony, and an issued Mẫu 01 letter of N rows (every column filled, one person per
row, each asking for a SIM PKI), forwarded and accepted by the CA operator. Then:

1. the simulated devices' key pairs are generated ahead into the key pool, as the beat job
   `certificates-key-pool` does (what tokens personalised ahead do; timed and shown apart,
   since on a real CA it is the tokens' work); `--inline-keys` skips this, and every key is
   then generated during processing, as before the key pool;
2. the CA operator clicks "Xử lý" (`cert_request_process`; the task it queues is run here,
   in this process, by calling the worker body `cert_request_run_processing`);
3. the worker body processes the rows chunk by chunk (PORTAL_PROCESSING_CHUNK_SIZE).

Prints rows/s, the time from the click to done, SQL statements per row, the CA's own rate
(the time spent in `certificate_issue_batch`: pool keys, subjects, signing, registry rows,
history, audit entries) against openssl's, each goal with "goal met"/"goal NOT met"; then
checks every row is done with exactly one certificate, that a second run of the worker body
issues nothing, and that the audit chain verifies (`audit_verify`).

`--revoke` then processes a Mẫu 05 letter revoking every certificate just issued, each chunk's
rows revoked together (`certificate_revoke_many`), and runs the one CRL publication the letter
queues when it ends, in this process as a worker would: goal at most 10 s for 1,000 rows, the
CRL included. Prints rows/s and SQL statements per row, and checks every row is done, each
certificate revoked once (one history row, one audit event), one CRL queued and listing them
all, a second run of the worker revoking nothing, and `audit_verify`.
"""

import argparse
import os
import sys
import time

import _setup
from bench_ca import Clock, openssl_rsa2048_sign_rate

GOAL_SECONDS = 10.0
GOAL_CA_SHARE = 0.40


class Counter:
    """Counts the SQL statements of this process (an execute wrapper: no query log kept)."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


class CATimer:
    """Time spent inside `certificate_issue_batch` (wall and this process's CPU)."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self.certificates = 0

    def wrap(self, function):
        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                result = function(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - wall
                self.cpu += time.process_time() - cpu
            self.certificates += len(result)
            return result

        return timed


def build(rows: int):
    from _letters import build_agency, issued_letter
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from certificates.services import ca_initialize
    from requests_app.choices import FormKind, Outcome, Status
    from requests_app.models import CertRequest

    world = build_agency()
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    ca_initialize(by=operator)
    letter_pk = issued_letter(world, FormKind.ISSUE_PERSON, rows, 1, distinct=True)
    # The review, as the province's forwarding and the CA's "accept every valid row" leave it.
    CertRequest.objects.filter(pk=letter_pk).update(
        status=Status.FORWARDED, received_on=timezone.localdate(), forwarded_at=timezone.now()
    )
    letter = CertRequest.objects.get(pk=letter_pk)
    letter.rows.update(outcome=Outcome.ACCEPTED, decided_by=operator, decided_at=timezone.now())
    return letter, operator


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument(
        "--inline-keys",
        action="store_true",
        help="no key pool: every device key is generated during processing",
    )
    parser.add_argument("--openssl-seconds", type=int, default=3)
    parser.add_argument(
        "--revoke",
        action="store_true",
        help="then process a Mẫu 05 revoking the issued certificates (goal ≤ 10 s with its CRL)",
    )
    parser.add_argument(
        "--from-template", help="a copy of this database (bench/run's dataset), not an empty one"
    )
    args = parser.parse_args()
    with _setup.throwaway_database("bench-processing-", template=args.from_template) as connection:
        return run(args, connection)


def run(args, connection) -> int:
    from django.conf import settings
    from django.db import transaction

    import certificates.services as ca_services
    from certificates.models import Certificate
    from certificates.services import issuance
    from portal.audit import audit_verify
    from portal.models import AuditEvent
    from requests_app.choices import Outcome, Status
    from requests_app.services import processing

    n = args.rows
    print(f"building an accepted Mẫu 01 letter of {n:,} rows …", flush=True)
    letter, operator = build(n)
    algorithm = settings.CA_SUBSCRIBER_KEY_ALGORITHM

    print(f"openssl speed -seconds {args.openssl_seconds} rsa2048 (before) …", flush=True)
    openssl_before = (
        openssl_rsa2048_sign_rate(args.openssl_seconds),
        openssl_rsa2048_sign_rate(args.openssl_seconds, elapsed=True),
    )

    pool = None
    if not args.inline_keys:
        print(f"key pool: {n:,} {algorithm} device keys generated ahead …", flush=True)
        with Clock() as pool:
            ca_services.device_key_pool_fill(target=n, batch=n, by=None)

    # The click: the letter moves to "in process" and its task is queued; here the task is
    # run in this process, so the queue is a list.
    queued: list[int] = []
    processing.enqueue_processing = lambda pk: queued.append(pk) or True
    timer = CATimer()
    ca_services.certificate_issue_batch = timer.wrap(ca_services.certificate_issue_batch)
    issuance.certificate_issue_batch = timer.wrap(issuance.certificate_issue_batch)
    counter = Counter()
    audit_before = AuditEvent.objects.count()
    print(f"processing (chunks of {settings.PORTAL_PROCESSING_CHUNK_SIZE} rows) …", flush=True)
    load_before = os.getloadavg()[0]
    with Clock() as end_to_end, connection.execute_wrapper(counter):
        processing.cert_request_process(cert_request=letter, by=operator)
        assert not transaction.get_connection().in_atomic_block
        for pk in queued:
            processing.cert_request_run_processing(cert_request_id=pk)
    load_after = os.getloadavg()[0]

    letter.refresh_from_db()
    rows = list(letter.rows.values_list("pk", "outcome", "result_certificate_id"))
    done = sum(1 for _, outcome, _ in rows if outcome == Outcome.DONE)
    origins = set(
        Certificate.objects.filter(origin__startswith="request_row:").values_list(
            "origin", flat=True
        )
    )
    one_each = all(f"request_row:{pk}:issue" in origins for pk, _, _ in rows) and len(
        origins
    ) == len(rows)
    events = AuditEvent.objects.count() - audit_before

    # A redelivered task: the worker body again on the finished letter issues nothing.
    certificates = Certificate.objects.count()
    processing.cert_request_run_processing(cert_request_id=letter.pk)
    again = Certificate.objects.count() - certificates
    verified = audit_verify()

    print(f"openssl speed -seconds {args.openssl_seconds} rsa2048 (after) …", flush=True)
    openssl_after = (
        openssl_rsa2048_sign_rate(args.openssl_seconds),
        openssl_rsa2048_sign_rate(args.openssl_seconds, elapsed=True),
    )
    openssl_cpu = max(openssl_before[0], openssl_after[0])
    openssl_wall = max(openssl_before[1], openssl_after[1])

    seconds = end_to_end.wall
    ca_wall = timer.certificates / timer.wall if timer.wall else 0.0
    ca_cpu = timer.certificates / timer.cpu if timer.cpu else 0.0
    print()
    print(
        f"Database: {connection.vendor}; {n:,} rows, Mẫu 01 with SIM PKI; chunks of "
        f"{settings.PORTAL_PROCESSING_CHUNK_SIZE}; device keys {algorithm}, "
        f"{'generated during processing' if args.inline_keys else 'from the key pool'}; "
        f"load average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} CPUs"
    )
    if pool is not None:
        print(
            f"Key pool filled ahead (not in the time below): {n:,} keys in {pool.wall:.1f} s "
            f"wall, {pool.cpu:.1f} s CPU ({n / pool.cpu:.1f} keys/s of CPU)"
        )
    print(
        f"Letter status {letter.status}; {done:,} of {len(rows):,} rows done; one certificate "
        f"per row: {'yes' if one_each else 'NO'}; second run of the worker: {again} new "
        f"certificates; {events:,} audit events ({events / max(n, 1):.1f} a row); "
        f"audit_verify: {verified.message}"
    )
    print(
        f"End to end (click + worker): {seconds:.2f} s wall, {end_to_end.cpu:.2f} s CPU of this "
        f"process; {n / seconds:.1f} rows/s; {counter.n:,} SQL statements "
        f"({counter.n / max(n, 1):.2f} a row)"
    )
    print(
        f"CA inside processing: {timer.certificates:,} certificates in {timer.wall:.2f} s wall, "
        f"{timer.cpu:.2f} s CPU: {ca_wall:.0f}/s wall = {100 * ca_wall / openssl_wall:.1f} % of "
        f"openssl's {openssl_wall:.0f} sign/s (-elapsed), {ca_cpu:.0f}/s CPU = "
        f"{100 * ca_cpu / openssl_cpu:.1f} % of openssl's {openssl_cpu:.0f} sign/s (CPU time); "
        f"openssl before / after: {openssl_before[0]:.0f} / {openssl_after[0]:.0f} (CPU), "
        f"{openssl_before[1]:.0f} / {openssl_after[1]:.0f} (wall)"
    )
    correct = (
        letter.status == Status.DONE
        and done == len(rows) == n
        and one_each
        and again == 0
        and verified.ok
    )
    time_met = correct and seconds <= GOAL_SECONDS and n >= 1000
    share = ca_wall / openssl_wall if openssl_wall else 0.0
    print()
    print(
        f"Goal 1,000-row letter processed in ≤ {GOAL_SECONDS:.0f} s: "
        f"{'goal met' if time_met else 'goal NOT met'} ({seconds:.2f} s for {n:,} rows"
        f"{'' if correct else ', rows not all done once or audit broken'}"
        f"{'' if n >= 1000 else ', fewer rows than the goal'})"
    )
    print(
        f"Goal CA ≥ {100 * GOAL_CA_SHARE:.0f} % of openssl speed rsa2048: "
        f"{'goal met' if share >= GOAL_CA_SHARE else 'goal NOT met'} by wall clock "
        f"({100 * share:.1f} %; by CPU time {100 * ca_cpu / openssl_cpu:.1f} %)"
    )
    revoked = revoke(letter, operator, connection) if args.revoke else True
    return 0 if time_met and share >= GOAL_CA_SHARE and revoked else 1


def revoke(issued, operator, connection) -> bool:
    """A Mẫu 05 letter revoking every certificate of `issued`, processed end to end: the click,
    the worker body (each chunk's rows revoked together), then the one CRL publication the
    letter queued when it ended, run here as a worker would. True when the goal is met."""
    from cryptography import x509
    from django.db.models import Count
    from django.utils import timezone

    from certificates.choices import CertEventKind, CertStatus, RevocationReason
    from certificates.models import Certificate, CertificateEvent, RevocationList
    from certificates.services import common
    from certificates.tasks import crl_publish_task
    from portal.audit import audit_verify
    from portal.models import AuditEvent
    from requests_app.choices import FormKind, Outcome, Status
    from requests_app.models import CertRequest, RequestRow, Transition
    from requests_app.services import processing

    letter = CertRequest.objects.create(
        form=FormKind.REVOKE,
        agency=issued.agency,
        status=Status.FORWARDED,
        number="2/STC-CKS",
        issued_on=issued.issued_on,
        created_by=issued.created_by,
        forwarded_at=timezone.now(),
    )
    Transition.objects.create(
        cert_request=letter, from_status=Status.AWAITING_HEAD, to_status=Status.ISSUED,
        action="issue", by=issued.created_by,
    )  # fmt: skip
    certificates = list(
        issued.rows.order_by("position").values_list("result_certificate", flat=True)
    )
    RequestRow.objects.bulk_create(
        RequestRow(
            cert_request=letter, position=position, certificate_id=certificate,
            revoke_reason=RevocationReason.RETIRED, outcome=Outcome.ACCEPTED,
            decided_by=operator, decided_at=timezone.now(),
        )
        for position, certificate in enumerate(certificates, start=1)
    )  # fmt: skip
    # The CRL publications the revocations queue: run here, in this process, once the
    # letter is processed (the broker is a list, as for the processing task).
    crls: list[int] = []
    common.enqueue = lambda name, *args, what: crls.append(args[0]) or True
    counter = Counter()
    audit_before = AuditEvent.objects.count()
    n = len(certificates)
    print(f"Mẫu 05 revoking {n:,} certificates …", flush=True)
    load_before = os.getloadavg()[0]
    with Clock() as clock, connection.execute_wrapper(counter):
        processing.cert_request_process(cert_request=letter, by=operator)
        processing.cert_request_run_processing(cert_request_id=letter.pk)
        published = [crl_publish_task(authority_id) for authority_id in list(crls)]
    load_after = os.getloadavg()[0]
    letter.refresh_from_db()
    done = letter.rows.filter(outcome=Outcome.DONE).count()
    per_certificate = (
        CertificateEvent.objects.filter(certificate_id__in=certificates, kind=CertEventKind.REVOKED)
        .values("certificate_id")
        .annotate(n=Count("pk"))
    )
    revoked_once = sum(1 for row in per_certificate if row["n"] == 1)
    still_valid = (
        Certificate.objects.filter(pk__in=certificates).exclude(status=CertStatus.REVOKED).count()
    )
    audits = AuditEvent.objects.filter(action="certificate.revoke").count()
    events = AuditEvent.objects.count() - audit_before
    serials = set(Certificate.objects.filter(pk__in=certificates).values_list("serial", flat=True))
    issuer_id = Certificate.objects.filter(pk__in=certificates).values("issuer_id").first()
    crl_row = RevocationList.objects.filter(authority_id=issuer_id["issuer_id"]).latest("number")
    crl = x509.load_der_x509_crl(bytes(crl_row.der))
    listed = {f"{entry.serial_number:X}" for entry in crl}
    on_crl = len(serials & listed)

    # A redelivered task: the worker body again on the finished letter revokes nothing.
    history = CertificateEvent.objects.filter(kind=CertEventKind.REVOKED).count()
    queued = len(crls)
    processing.cert_request_run_processing(cert_request_id=letter.pk)
    again = CertificateEvent.objects.filter(kind=CertEventKind.REVOKED).count() - history
    verified = audit_verify()

    seconds = clock.wall
    correct = (
        letter.status == Status.DONE
        and done == n
        and revoked_once == n
        and still_valid == 0
        and audits == n
        and queued == len(crls) == 1
        and on_crl == n
        and again == 0
        and verified.ok
    )
    met = correct and seconds <= GOAL_SECONDS and n >= 1000
    print(
        f"Mẫu 05: {letter.status}, {done:,} of {n:,} rows done; revoked once: {revoked_once:,}; "
        f"still valid: {still_valid}; {audits:,} certificate.revoke events ({events:,} audit "
        f"events in all); CRL publications queued: {queued} (CRL number "
        f"{', '.join(str(p) for p in published)}, {crl_row.entry_count:,} entries, {on_crl:,} of "
        f"the letter's); second run of the worker: {again} revoked; audit_verify: "
        f"{verified.message}; load average {load_before:.1f} → {load_after:.1f}"
    )
    print(
        f"End to end (click + worker + the CRL): {seconds:.2f} s wall, {clock.cpu:.2f} s CPU of "
        f"this process; {n / seconds:.1f} rows/s; {counter.n:,} SQL statements "
        f"({counter.n / max(n, 1):.2f} a row)"
    )
    print(
        f"Goal 1,000-row Mẫu 05 processed with its CRL in ≤ {GOAL_SECONDS:.0f} s: "
        f"{'goal met' if met else 'goal NOT met'} ({seconds:.2f} s for {n:,} rows"
        f"{'' if correct else ', not every certificate revoked once and listed, or audit broken'}"
        f"{'' if n >= 1000 else ', fewer rows than the goal'})"
    )
    return met


if __name__ == "__main__":
    _setup.configure()
    # The key pool this measures is the software key store's (docs/ca.md); the default store,
    # keys born on the devices' tokens, is bench/bench_tokens.py's.
    os.environ.setdefault("PORTAL_SUBSCRIBER_KEY_STORE", "software")
    sys.exit(main())
