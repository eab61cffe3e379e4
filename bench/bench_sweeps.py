"""The renewal ladder at scale: seeds N certificates with one INSERT … SELECT on PostgreSQL and
times the ladder sweep (goal: at most 10 s at 1,000,000 certificates), with its number of SQL
statements, then times a second run (nothing new to insert).

    python bench/bench_sweeps.py                      # 1,000,000 certificates
    python bench/bench_sweeps.py --certificates 50000 # a quick run

The certificates belong to --agencies agencies (each with a clerk and a head), their end dates
spread evenly over the next five years and the last month, so about 1/30 of them stand on a
rung of the ladder. Runs on a throw-away test database (bench/_setup.py).
"""

import argparse
import os
import sys
import time

import _setup

GOAL_SECONDS = 10.0
GOAL_CERTIFICATES = 1_000_000


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


def run(n_certificates: int, n_agencies: int) -> int:
    with _setup.throwaway_database("bench-sweeps-") as connection:
        if connection.vendor != "postgresql":
            print("bench_sweeps needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        from django.db import transaction
        from django.test.utils import CaptureQueriesContext

        from certificates.deadlines import renewal_ladder_sweep

        started = time.perf_counter()
        seed(connection, n_certificates, n_agencies)
        print(f"seeded {n_certificates:,} certificates in {time.perf_counter() - started:.1f} s")

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=GOAL_CERTIFICATES)
    parser.add_argument("--agencies", type=int, default=200)
    args = parser.parse_args()
    _setup.configure()
    # The sweep e-mails what it inserted once committed; not what is measured here.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    return run(args.certificates, args.agencies)


if __name__ == "__main__":
    sys.exit(main())
