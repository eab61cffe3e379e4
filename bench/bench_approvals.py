"""The approvers' queue at scale (docs/approvals.md): goal p95 ≤ 150 ms at 1M certificates.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_approvals.py [--certificates N]
        [--history N] [--pending N]

Seeds, on a throw-away database (bench/_setup.py): the world of bench/_letters.py with its
provincial officer and CA operator (bench_letter_page.seed_letter, a 10-row letter),
--certificates certificates each with its person (bench_field_crypto.seed_certificates: SQL
and `reencrypt_model` on PostgreSQL), --history decided requests (done, rejected, expired:
years of four-eyes work, by SQL) and --pending requests waiting, made by a second CA
operator through `approval_request` (what a real request writes: its transition, audit event
and notifications), a third of them for the agency (the officer may decide those).

Prints the median and p95 of --repeat requests served in process, each with "goal met" or
not: the queue page `/phe-duyet/` as the CA operator and as the provincial officer, the API's
`?cho_toi=1` list and its first numbered page, and a request's page."""

import argparse
import os
import statistics as stats
import time

import _setup

GOAL_P95_SECONDS = 0.150


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def seed_requests(agency, history: int, pending: int, requester) -> int:
    from django.db import connection

    from approvals.choices import ApprovalAction, ApprovalStatus
    from approvals.models import Approval
    from approvals.services import approval_request
    from dashboard.scale_sql import insert_select, reset_sequences

    started = time.perf_counter()
    statuses = [ApprovalStatus.DONE, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED]
    if connection.vendor == "postgresql" and history:
        cases = " ".join(f"WHEN {i} THEN '{s.value}'" for i, s in enumerate(statuses))
        insert_select(
            Approval,
            {
                "action": f"'{ApprovalAction.REVOKE_BATCH.value}'",
                "object_key": "'bulk_job:history-' || g",
                "object_label": "'Thu hồi hàng loạt ' || g",
                "params": "'{}'::jsonb",
                "count": "100 + g % 900",
                "organization_id": str(agency.pk),
                "status": f"CASE g % 3 {cases} END",
                "requested_by_id": str(requester.pk),
                "requested_at": "now() - (g || ' minutes')::interval",
                "reason": "'Sáp nhập cơ quan'",
                "expires_at": "now() - (g || ' minutes')::interval + interval '72 hours'",
                "decision_note": "'Đã xác minh'",
                "outcome": "''",
            },
            f"generate_series(1, {history}) g",
        )
        reset_sequences("approvals_approval")
    for i in range(pending):
        approval_request(
            action=ApprovalAction.REVOKE_BATCH,
            object_key=f"bulk_job:pending-{i}",
            object_label=f"Thu hồi {120 + i} chứng thư số",
            by=requester,
            reason="Cơ quan đã sáp nhập",
            organization=agency if i % 3 == 0 else None,
            count=120 + i,
        )
    return time.perf_counter() - started


def measure(function, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    times.sort()
    return stats.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def get(client, url):
    def request():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return request


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    _setup.configure()
    with _setup.throwaway_database("bench-approvals-") as connection:
        from bench_field_crypto import seed_certificates
        from bench_letter_page import seed_letter
        from django.test import Client

        from agencies.choices import Role
        from agencies.models import Membership
        from approvals.models import Approval
        from tests import factories as f
        from tests.helpers import sign_in

        started = time.perf_counter()
        _letter, agency, _clerk, officer, operator = seed_letter(10)
        seed_certificates(agency, args.certificates)
        requester = f.UserFactory(username="bench_operator_two", email="hai@bench.gov.vn")
        Membership.objects.create(
            user=requester, role=Role.CA_OPERATOR, organization=f.CAOrgFactory()
        )
        seeded = seed_requests(agency, args.history, args.pending, requester)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"scale: {args.certificates:,} certificates, {Approval.objects.count():,} requests "
            f"({args.pending} pending, made in {seeded:.1f} s), {connection.vendor}; seeded in "
            f"{time.perf_counter() - started:.1f} s (load average {load()})",
            flush=True,
        )
        _setup.serve_pages()
        as_operator, as_officer = Client(), Client()
        sign_in(as_operator, operator)
        sign_in(as_officer, officer)
        one = Approval.objects.pending().first()
        lines = {
            "queue page, CA operator": get(as_operator, "/phe-duyet/"),
            "queue page, provincial officer": get(as_officer, "/phe-duyet/"),
            "API ?cho_toi=1, CA operator": get(as_operator, "/api/v1/phe-duyet/?cho_toi=1"),
            "API first page, CA operator": get(as_operator, "/api/v1/phe-duyet/"),
            "a request's page, CA operator": get(as_operator, f"/phe-duyet/{one.pk}/"),
        }
        met_all = True
        print(f"\n{'median / p95 ms':<34}   (goal p95 ≤ {GOAL_P95_SECONDS * 1000:.0f} ms)")
        for label, request in lines.items():
            request()  # warm
            median, p95 = measure(request, args.repeat)
            met = p95 <= GOAL_P95_SECONDS
            met_all = met_all and met
            print(
                f"{label:<34} {median * 1000:7.1f} / {p95 * 1000:7.1f}"
                f"  {'goal met' if met else 'goal NOT met'}"
            )
        print(f"load average {load()}")
    return 0 if met_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
