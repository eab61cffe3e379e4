"""The statistics page and a large export at national scale (docs/statistics.md), on PostgreSQL:

    python bench/bench_stats.py                        # 1,000,000 certificates
    python bench/bench_stats.py --certificates 100000  # a quick run (goals not decided)
    python bench/bench_stats.py --no-export            # the page only

Seeds --certificates certificates (one INSERT … SELECT) over 34 provinces of --agencies
agencies, a fifth of them revoked, with an "issued" event each spread over the last year, and
prints against their goals:

1. the nationwide statistics page for a CA operator (`/thong-ke/`): the figures computed from
   the database with its buffers warm (cache cleared before each request), and the page served
   from the statistics cache (docs/statistics.md §10) — goal: ≤ 300 ms warm; both are
   printed and each is judged, since a reader may hit the page just after the cache expired.
   The first page, which tallies the ended months of the trend (once a month nationwide,
   §10), is printed and not judged;
2. the peak Python memory (tracemalloc) of exporting 200,000 certificates from the
   certificate list (`?status=revoked&xuat=xlsx`): the click saves an export job, and the
   job is built here as the worker builds it (`portal.export_jobs`, docs/architecture.md
   §12.5), streamed through `portal.lib.xlsx_stream` — goal: ≤ 100 MB.

Runs on a throw-away test database (bench/_setup.py)."""

import argparse
import statistics as stats
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import _setup

GOAL_PAGE_SECONDS = 0.300
GOAL_EXPORT_MB = 100
GOAL_CERTIFICATES = 1_000_000
EXPORT_ROWS = 200_000
REPEAT = 5


def seed(connection, n_certificates: int, n_agencies: int):
    from agencies.choices import Role
    from agencies.models import Membership
    from tests import factories as f

    provinces = [f.ProvinceFactory(name=f"Tỉnh số {i + 1}") for i in range(34)]
    agencies = [f.AgencyFactory(parent=provinces[i % 34]) for i in range(n_agencies)]
    operator = f.UserFactory(username="ca-operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=f.CAOrgFactory())
    first, last = agencies[0].pk, agencies[-1].pk
    revoked_every = max(1, n_certificates // EXPORT_ROWS)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO certificates_certificate (serial, subject_kind, common_name, email,"
            " organization_name, organizational_units, locality, subject_dn, not_before,"
            " not_after, status, renewal_count, revocation_reason, revoked_at, created_at,"
            " agency_id, origin)"
            " SELECT upper(to_hex(6052837899185946624 + g)), 'organization', 'Cơ quan ' || g,"
            " '', '', '', '', '', now() - (g %% 365) * interval '1 day',"
            " now() + (g %% 1825) * interval '1 day' + interval '1 hour',"
            " CASE WHEN g %% %s = 0 THEN 'revoked' ELSE 'valid' END, 0,"
            " CASE WHEN g %% %s = 0 THEN 'cessation' ELSE '' END,"
            " CASE WHEN g %% %s = 0 THEN now() END, now(),"
            " %s + g %% (%s - %s + 1), ''"
            " FROM generate_series(1, %s) AS g",
            [revoked_every] * 3 + [first, last, first, n_certificates],
        )
        cursor.execute(
            "INSERT INTO certificates_certificateevent (certificate_id, kind, at, note)"
            " SELECT id, 'issued', not_before, '' FROM certificates_certificate"
        )
        cursor.execute("ANALYZE")
    return operator


def timed_get(client, url: str, *, clear_cache: bool) -> float:
    from django.core.cache import cache

    if clear_cache:
        cache.clear()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    return elapsed


def export_through_a_job(client) -> tuple[int, int, float, int]:
    """Ask for the export (an export job: the redirect to its page), then build the job in
    this process as the worker does; (rows, bytes, seconds, peak traced bytes) of the whole."""
    from unittest import mock

    from django.conf import settings
    from django.test import override_settings

    from config.storage import FILE_SYSTEM
    from portal.export_jobs.service import export_job_run
    from portal.models import ExportJob

    with (
        tempfile.TemporaryDirectory(prefix="bench-stats-exports-") as folder,
        override_settings(
            STORAGES={
                **settings.STORAGES,
                "exports": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": Path(folder)}},
            }
        ),
        mock.patch("portal.export_jobs.service.enqueue_export"),  # no worker: built below
    ):
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get("/chung-thu/", {"status": "revoked", "xuat": "xlsx"})
        assert response.status_code == 302 and "/xuat-excel/" in response.url, response
        job = ExportJob.objects.latest("pk")
        assert export_job_run(job_id=job.pk) == "ready"
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        job.refresh_from_db()
        return job.rows_done, job.size, elapsed, peak


def run(n_certificates: int, n_agencies: int, *, export: bool = True) -> int:
    with _setup.throwaway_database("bench-stats-") as connection:
        if connection.vendor != "postgresql":
            print("bench_stats needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        from django.test import Client

        from tests.helpers import sign_in

        started = time.perf_counter()
        operator = seed(connection, n_certificates, n_agencies)
        print(f"seeded {n_certificates:,} certificates in {time.perf_counter() - started:.1f} s")
        client = sign_in(Client(), operator)  # an operator's session has its second factor
        _setup.serve_pages()
        # The first page tallies the ended months (once a month nationwide, §10) and warms
        # the database's buffers.
        first = timed_get(client, "/thong-ke/", clear_cache=True)
        computed = [timed_get(client, "/thong-ke/", clear_cache=True) for _ in range(REPEAT)]
        cached = [timed_get(client, "/thong-ke/", clear_cache=False) for _ in range(REPEAT)]

        if export:
            rows, size, export_seconds, peak = export_through_a_job(client)

    at_goal_size = n_certificates >= GOAL_CERTIFICATES
    failed = False

    def verdict(ok: bool) -> str:
        nonlocal failed
        if not at_goal_size:
            return "not decided (run with the default --certificates 1000000)"
        failed |= not ok
        return "goal met" if ok else "goal NOT met"

    print(
        f"statistics page, the first (tallying the ended months, once a month): "
        f"{first * 1000:.0f} ms (not judged)"
    )
    for label, figures in (("computed (cache cleared)", computed), ("from the cache", cached)):
        median = stats.median(figures)
        print(
            f"statistics page, {label}: median {median * 1000:.0f} ms of {REPEAT} "
            f"(goal ≤ {GOAL_PAGE_SECONDS * 1000:.0f} ms): {verdict(median <= GOAL_PAGE_SECONDS)}"
        )
    if not export:
        return 1 if failed else 0
    peak_mb = peak / 1024 / 1024
    print(
        f"export of {rows:,} certificates (an export job built as the worker does): "
        f"{size / 1024 / 1024:.1f} MB .xlsx in {export_seconds:.1f} s, peak Python memory "
        f"{peak_mb:.1f} MB (goal ≤ {GOAL_EXPORT_MB} MB): {verdict(peak_mb <= GOAL_EXPORT_MB)}"
    )
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=GOAL_CERTIFICATES)
    parser.add_argument("--agencies", type=int, default=340)
    parser.add_argument("--no-export", action="store_true", help="time the page only")
    args = parser.parse_args()
    _setup.configure()
    return run(args.certificates, args.agencies, export=not args.no_export)


if __name__ == "__main__":
    sys.exit(main())
