"""Plan and apply a merger of many agencies (docs/processing.md §4.8, the goal: 2,000 agencies with
100,000 certificates on PostgreSQL in at most 60 s, with a number of queries that does not
grow with the rows).

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_merger.py [--agencies N] [--per-agency M]

Builds a throw-away database (bench/_setup.py): one province, N agencies each with its own
organisation certificate and M-1 people with a certificate; then plans case (a), all N into
a new name, and applies it (the worker's service, called in this process). Prints, for the
planning and for the application, the time and the number of queries, against the goals,
and checks the audit chain (`audit_verify`, as `manage.py audit_verify` does).
"""

import argparse
import os
import sys
import time
from datetime import timedelta

import _setup
from _verdicts import exit_code, verdict  # noqa: E402

GOAL_SECONDS = 60.0
TOP: dict[str, int] = {}


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        if os.environ.get("BENCH_SHOW_QUERIES"):
            key = sql[:90]
            TOP[key] = TOP.get(key, 0) + 1
        return execute(sql, params, many, context)


def build(agencies: int, per_agency: int):
    from django.contrib.auth import get_user_model
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat
    from django.utils import timezone

    from agencies.choices import OrgKind
    from agencies.models import Organization, Person
    from certificates.choices import SubjectKind
    from certificates.models import Certificate

    admin = get_user_model().objects.create_superuser("bench-admin", password="x")
    province = Organization.objects.create(kind=OrgKind.PROVINCE, name="Tỉnh Đo Thử")
    Organization.objects.bulk_create(
        Organization(kind=OrgKind.AGENCY, name=f"Cơ quan {i}", parent=province, province=province)
        for i in range(agencies)
    )
    orgs = Organization.objects.filter(parent=province)
    orgs.update(path=Concat(Value(province.path), Cast("pk", CharField()), Value("/")))
    org_ids = list(orgs.values_list("pk", flat=True))
    Person.objects.bulk_create(
        (
            Person(
                full_name=f"Người {o}-{k}",
                national_id=f"{o:06d}{k:06d}",
                official_email=f"nguoi{o}.{k}@dothu.gov.vn",
                organization_id=o,
            )
            for o in org_ids
            for k in range(per_agency - 1)
        ),
        batch_size=5000,
    )
    now = timezone.now()
    people = Person.objects.filter(organization_id__in=org_ids).values_list(
        "pk", "organization_id", "full_name"
    )
    serial = iter(range(0x5500000000000000, 0x5600000000000000))

    def cert(**fields):
        return Certificate(
            serial=f"{next(serial):X}",
            not_before=now - timedelta(days=10),
            not_after=now + timedelta(days=400),
            **fields,
        )

    Certificate.objects.bulk_create(
        [
            cert(
                subject_kind=SubjectKind.ORGANIZATION,
                common_name=f"Cơ quan {o}",
                agency_id=o,
                subject_organization_id=o,
            )
            for o in org_ids
        ]
        + [
            cert(subject_kind=SubjectKind.PERSON, common_name=name, agency_id=o, person_id=p)
            for p, o, name in people
        ],
        batch_size=5000,
    )
    return admin, list(Organization.objects.filter(pk__in=org_ids))


def measure(label: str, fn):
    from django.db import connection

    counter = Counter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = fn()
    seconds = time.perf_counter() - started
    print(f"{label:<10} {seconds:8.1f} s {counter.n:9d} queries")
    return result, seconds, counter.n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=2000)
    parser.add_argument("--per-agency", type=int, default=50)
    args = parser.parse_args()
    _setup.configure()
    with _setup.throwaway_database("bench-merger-") as connection:
        from datetime import date

        from certificates.models import Certificate
        from orgmerge.services import merger_plan_apply, merger_plan_create, merger_plan_run_apply

        started = time.perf_counter()
        admin, agencies = build(args.agencies, args.per_agency)
        print(
            f"{connection.vendor}: {len(agencies)} agencies, {Certificate.objects.count()} "
            f"certificates (built in {time.perf_counter() - started:.1f} s)"
        )
        plan, plan_s, plan_q = measure(
            "plan",
            lambda: merger_plan_create(
                sources=agencies,
                case="a",
                target_name="Cơ quan hợp nhất",
                effective_on=date.today(),
                by=admin,
            ),
        )

        def apply():
            merger_plan_apply(plan=plan, by=admin)
            return merger_plan_run_apply(plan_id=plan.pk)

        application, apply_s, apply_q = measure("apply", apply)
        rows = sum(entry["rows"] for entry in application.summary["letters"])
        print(f"actions: {application.summary['actions']}; letter rows drafted: {rows}")
        total = plan_s + apply_s
        total_verdict = verdict(total <= GOAL_SECONDS)
        print(f"total      {total:8.1f} s (goal ≤ {GOAL_SECONDS:.0f} s: {total_verdict})")
        print(f"queries    plan {plan_q}, apply {apply_q} (goal: constant in the rows)")
        from portal.audit import audit_verify

        verified = audit_verify(checkpoints=None)
        print(f"audit      {'OK' if verified.ok else 'BROKEN'}: {verified.checked} events verified")
        for sql, n in sorted(TOP.items(), key=lambda item: -item[1])[:8]:
            print(f"{n:8d}  {sql}")


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
