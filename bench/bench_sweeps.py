"""The sweeps at scale, on PostgreSQL (docs/processing.md §4.9, §12.4).

The renewal ladder: seeds N certificates with one INSERT … SELECT and times the ladder sweep
(goal: at most 10 s at 1,000,000 certificates), with its number of SQL statements, then times
a second run (nothing new to insert). The certificates belong to --agencies agencies (each
with a clerk and a head), their end dates spread evenly over the next five years and the last
month, so about 1/30 of them stand on a rung of the ladder.

The expiry sweep: seeds a backlog of N certificates past their end (spread over the last 30
days), each on a token handed to its subscriber, and times `certificate_expire_due` (goal: at
most 10 s for 10,000): every certificate expired, every device's return obligation opened with
its custody record, notices and audit events; then a second run (nothing left), the first
overdue notice of all those obligations (`return_obligation_notify_overdue`) and
`audit_verify`.

    python bench/bench_sweeps.py                                  # both, at their goal's size
    python bench/bench_sweeps.py --sweep ladder --certificates 50000  # a quick ladder
    python bench/bench_sweeps.py --sweep expiry --backlog 2000        # a quick expiry

Each sweep runs on its own throw-away test database (bench/_setup.py). For the expiry sweep,
BENCH_SHOW_QUERIES=1 lists its slowest statements and BENCH_PROFILE=<file> writes a cProfile.
"""

import argparse
import os
import sys
import time
from datetime import timedelta

import _setup

GOAL_SECONDS = 10.0
GOAL_CERTIFICATES = 1_000_000
EXPIRY_GOAL_SECONDS = 10.0
EXPIRY_GOAL_BACKLOG = 10_000


def seed(connection, n_certificates: int, n_agencies: int) -> None:
    from agencies.choices import Role
    from agencies.models import Membership
    from tests import factories as f

    province = f.ProvinceFactory(name="Tỉnh Lai Châu")
    agencies = [f.AgencyFactory(parent=province) for _ in range(n_agencies)]
    for i, agency in enumerate(agencies):
        for role in (Role.AGENCY_CLERK, Role.AGENCY_HEAD):
            user = f.UserFactory(username=f"{role}-{i}")
            Membership.objects.create(user=user, role=role, organization=agency)
    first, last = agencies[0].pk, agencies[-1].pk
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO certificates_certificate (serial, subject_kind, common_name, email,"
            " organization_name, organizational_units, locality, subject_dn, not_before,"
            " not_after, status, renewal_count, revocation_reason, created_at, agency_id, origin)"
            " SELECT upper(to_hex(6052837899185946624 + g)), 'organization', 'Cơ quan ' || g,"
            " '', '', '', '', '', now() - interval '400 days',"
            " now() - interval '30 days' + (g %% 1855) * interval '1 day' + interval '1 hour',"
            " 'valid', 0, '', now(), %s + g %% (%s - %s + 1), ''"
            " FROM generate_series(1, %s) AS g",
            [first, last, first, n_certificates],
        )
        cursor.execute("ANALYZE certificates_certificate")


def run(n_certificates: int, n_agencies: int, template: str | None = None) -> int:
    with _setup.throwaway_database("bench-sweeps-", template=template) as connection:
        if connection.vendor != "postgresql":
            print("bench_sweeps needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        from django.db import transaction
        from django.test.utils import CaptureQueriesContext

        from certificates.deadlines import renewal_ladder_sweep

        if template:  # the dataset's own registry, as seeded
            from certificates.models import Certificate

            n_certificates = Certificate.objects.count()
            print(f"the registry of {template}: {n_certificates:,} certificates")
        else:
            started = time.perf_counter()
            seed(connection, n_certificates, n_agencies)
            print(
                f"seeded {n_certificates:,} certificates in {time.perf_counter() - started:.1f} s"
            )

        for label in ("first sweep", "second sweep (nothing new)"):
            with CaptureQueriesContext(connection) as queries, transaction.atomic():
                started = time.perf_counter()
                inserted = renewal_ladder_sweep()
                elapsed = time.perf_counter() - started
            print(
                f"{label}: {elapsed:.2f} s, {len(queries.captured_queries)} SQL statements, "
                f"{inserted:,} notifications inserted"
            )
            if label == "first sweep":
                first_elapsed = elapsed
        # The sweep reads the certificates on a rung through the not_after index, so its cost
        # follows the certificates near expiry, not the registry's size: only a run at the
        # goal's size decides the goal.
        at_goal_size = n_certificates >= GOAL_CERTIFICATES
        verdict = (
            ("goal met" if first_elapsed <= GOAL_SECONDS else "goal NOT met")
            if at_goal_size
            else "not decided (run with the default --certificates 1000000)"
        )
        print(
            f"goal: ≤ {GOAL_SECONDS:.0f} s at {GOAL_CERTIFICATES:,} certificates; "
            f"measured {first_elapsed:.2f} s at {n_certificates:,}: {verdict}"
        )
        return 1 if at_goal_size and first_elapsed > GOAL_SECONDS else 0


def seed_backlog(connection, n_certificates: int, n_agencies: int) -> None:
    """n certificates past their end, each on a token handed to its subscriber, with the
    token's open custody record; the agencies' clerks and heads are the ones told."""
    from django.contrib.auth import get_user_model

    from agencies.choices import Role
    from agencies.models import Membership
    from devices.models import Device
    from tests import factories as f

    province = f.ProvinceFactory(name="Tỉnh Điện Biên")
    # No budget code: the factories' sequence would meet the dataset's codes on its copy.
    agencies = [f.AgencyFactory(parent=province, budget_code="") for _ in range(n_agencies)]
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{role}-{i}", email=f"{role}-{i}@thunghiem.gov.vn")
        for i in range(n_agencies)
        for role in (Role.AGENCY_CLERK, Role.AGENCY_HEAD)
    )
    Membership.objects.bulk_create(
        Membership(user=user, role=user.username.split("-")[0], organization=agencies[i // 2])
        for i, user in enumerate(users)
    )
    first, last = agencies[0].pk, agencies[-1].pk
    # On a copy of the dataset, only the devices made here get custody and certificates.
    after = Device.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO devices_device (kind, serial, iccid, phone, carrier, status, agency_id,"
            " created_at)"
            " SELECT 'usb_token', 'BX' || lpad(g::text, 8, '0'), '', '', '',"
            " 'handed_to_subscriber', %s + g %% (%s - %s + 1), now()"
            " FROM generate_series(1, %s) AS g",
            [first, last, first, n_certificates],
        )
        cursor.execute(
            "INSERT INTO devices_custodyrecord (device_id, status, holder_kind, agency_id,"
            " held_from, document_ref, note)"
            " SELECT id, status, 'subscriber', agency_id, now() - interval '400 days', '', ''"
            " FROM devices_device WHERE id > %s",
            [after],
        )
        cursor.execute(
            "INSERT INTO certificates_certificate (serial, subject_kind, common_name, email,"
            " organization_name, organizational_units, locality, subject_dn, not_before,"
            " not_after, status, renewal_count, revocation_reason, created_at, agency_id, origin,"
            " device_id)"
            " SELECT upper(to_hex(6196953087261802496 + d.id)), 'organization',"
            " 'Cơ quan ' || d.id, '', '', '', '', '', now() - interval '400 days',"
            " now() - interval '1 hour' - (d.id %% 30) * interval '1 day', 'valid', 0, '', now(),"
            " d.agency_id, '', d.id"
            " FROM devices_device d WHERE d.id > %s",
            [after],
        )
        cursor.execute("ANALYZE")


def _backend_cpu(connection) -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server):
    the sweep's database work, whatever else the machine is doing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_expiry(n_certificates: int, n_agencies: int, template: str | None = None) -> int:
    with _setup.throwaway_database("bench-expiry-", template=template) as connection:
        if connection.vendor != "postgresql":
            print("bench_sweeps needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse
        from django.utils import timezone

        from certificates.models import Certificate
        from certificates.services import certificate_expire_due
        from devices.models import ReturnObligation
        from devices.services import return_obligation_notify_overdue
        from portal.audit import audit_verify
        from portal.models import AuditEvent, Notification

        started = time.perf_counter()
        seed_backlog(connection, n_certificates, n_agencies)
        print(
            f"seeded a backlog of {n_certificates:,} due certificates, each on a handed token,"
            f" in {time.perf_counter() - started:.1f} s"
        )
        # A running worker has its URL configuration loaded (the notices' links); a cold one
        # spends a second importing every view on its first reverse().
        reverse("devices:returns")
        # What the sweep owes, counted before it runs: a device goes back once, so one already
        # owing its return (an obligation open on it) keeps that obligation and gets no second
        # one (docs/scale.md §12.4). On a dataset that has such devices (seed_scale's
        # devices awaiting return, 1 in 23) "obligations opened" is fewer than the expired
        # certificates on devices, by exactly those: the 9,565 of 10,000 seen at 1M (docs/scale.md §12.4).
        due_devices = Certificate.objects.due_to_expire().filter(device__isnull=False)
        on_devices = due_devices.values("device_id").distinct().count()
        already_owing = (
            ReturnObligation.objects.open().filter(device_id__in=due_devices.values("device_id"))
        ).count()
        last_obligation = ReturnObligation.objects.order_by("-pk").values_list("pk", flat=True)
        last_obligation = last_obligation.first() or 0
        backend = _backend_cpu(connection)
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.process_time()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile

                profile = cProfile.Profile()
                expired = profile.runcall(certificate_expire_due)
                profile.dump_stats(os.environ["BENCH_PROFILE"])
            else:
                expired = certificate_expire_due()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        backend = _backend_cpu(connection) - backend
        statements = len(queries.captured_queries)
        if os.environ.get("BENCH_SHOW_QUERIES"):
            for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:12]:
                print(f"  {query['time']} s  {query['sql'][:150]}")
        opened = ReturnObligation.objects.filter(pk__gt=last_obligation).count()
        print(
            f"expiry sweep: {elapsed:.2f} s wall, {cpu:.2f} s CPU here + {backend:.2f} s CPU in"
            f" the PostgreSQL backend (load average {os.getloadavg()[0]:.1f}),"
            f" {expired:,} certificates"
            f" expired ({on_devices:,} devices), {opened:,} return obligations opened"
            f" ({already_owing:,} devices already owing their return kept theirs),"
            f" {Notification.objects.count():,} notices, {AuditEvent.objects.count():,} audit"
            f" events; {statements} SQL statements ({statements / max(expired, 1):.4f} a"
            " certificate; before §12.4: 23.7)"
        )
        with CaptureQueriesContext(connection) as again:
            started = time.perf_counter()
            second = certificate_expire_due()
            print(
                f"second expiry sweep (nothing left): {time.perf_counter() - started:.3f} s,"
                f" {len(again.captured_queries)} SQL statements, {second} expired"
            )
        late = timezone.localdate() + timedelta(days=60)
        with CaptureQueriesContext(connection) as told_queries:
            started = time.perf_counter()
            told = return_obligation_notify_overdue(today=late)
            print(
                f"overdue notice of every obligation: {time.perf_counter() - started:.2f} s,"
                f" {told:,} obligations told, {len(told_queries.captured_queries)} SQL statements"
            )
        started = time.perf_counter()
        verified = audit_verify()
        print(
            f"audit_verify: {'ok' if verified.ok else verified.message},"
            f" {verified.checked:,} events in {time.perf_counter() - started:.1f} s"
        )
        left = Certificate.objects.due_to_expire().count()
        at_goal_size = n_certificates >= EXPIRY_GOAL_BACKLOG
        # Every device of the backlog is a handed token: each owes its return, once.
        accounted = opened + already_owing == on_devices
        if not accounted:
            print(f"{on_devices - opened - already_owing:,} devices owe a return and got none")
        met = elapsed <= EXPIRY_GOAL_SECONDS and left == 0 and verified.ok and accounted
        verdict = (
            ("PASS" if met else "FAIL")
            if at_goal_size
            else f"not decided (run with --backlog {EXPIRY_GOAL_BACKLOG})"
        )
        print(
            f"goal: a backlog of {EXPIRY_GOAL_BACKLOG:,} expired in ≤ {EXPIRY_GOAL_SECONDS:.0f} s;"
            f" measured {elapsed:.2f} s for {n_certificates:,}: {verdict}"
        )
        return 1 if at_goal_size and not met else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", choices=["ladder", "expiry", "all"], default="all")
    parser.add_argument("--certificates", type=int, default=GOAL_CERTIFICATES)
    parser.add_argument("--agencies", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=EXPIRY_GOAL_BACKLOG)
    parser.add_argument(
        "--from-template", help="a copy of this database (bench/run's dataset), not an empty one"
    )
    args = parser.parse_args()
    _setup.configure()
    # The sweeps e-mail what they inserted once committed; not what is measured here.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    failed = 0
    if args.sweep in ("ladder", "all"):
        failed |= run(args.certificates, args.agencies, args.from_template)
    if args.sweep in ("expiry", "all"):
        failed |= run_expiry(args.backlog, min(args.agencies, 50), args.from_template)
    return failed


if __name__ == "__main__":
    sys.exit(main())
