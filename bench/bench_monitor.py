"""The signing-activity monitor at national scale (docs/architecture.md §13), on PostgreSQL:

    python bench/bench_monitor.py                      # 20,000,000 events, 1,000,000 certificates
    python bench/bench_monitor.py --events 2000000     # a smaller run (goals not decided)

Seeds --certificates certificates (one INSERT … SELECT, as bench_stats.py) over 34 provinces
of --agencies agencies, and --events signing events spread evenly over the last 365 days in
time order (one INSERT … SELECT over generate_series: 60 % signed at the portal, 10 % uploaded,
20 % verified, 10 % OCSP; two signatures a document; one in 97 by a public CA's certificate,
one in 211 by a revoked one; the night flag as the portal computes it), with the event table's
indexes built after the rows (as a restore would). Then prints against the goals:

1. the monthly rollup (`dashboard.monitor_rollups`): the first run over the twelve months,
   the current month alone again (what the hourly beat does), and the idle list — not
   judged, printed;
2. the page "Giám sát hoạt động ký số" (`/giam-sat-ky-so/`) for the CA (nationwide), a
   Sở KH&CN (its province) and an agency's clerk, this month and last: p95 of REPEAT visits
   each, with the figures kept between the worker's writes (as in use) and built anew at
   every visit — goal: p95 ≤ 150 ms for both.

`--keep` keeps the seeded database (its name is printed); `--reuse` with DATABASE_URL naming
it times the pages again without seeding (drop it afterwards).

Runs on a throw-away test database (bench/_setup.py)."""

import argparse
import os
import statistics as stats
import sys
import time

import _setup

GOAL_P95_SECONDS = 0.150
GOAL_EVENTS = 20_000_000
GOAL_CERTIFICATES = 1_000_000
REPEAT = 20
SERIAL_BASE = 6052837899185946624  # as bench_stats.py: upper hex serials


def seed_registry(connection, n_certificates: int, n_agencies: int):
    from agencies.choices import Role
    from agencies.models import Membership
    from tests import factories as f

    provinces = [f.ProvinceFactory(name=f"Tỉnh số {i + 1}") for i in range(34)]
    offices = [f.ProvincialOfficeFactory(parent=p) for p in provinces[:1]]
    agencies = [f.AgencyFactory(parent=provinces[i % 34]) for i in range(n_agencies)]
    users = {
        "ca": (Role.CA_OPERATOR, f.CAOrgFactory()),
        "province": (Role.PROVINCIAL_OFFICER, offices[0]),
        "clerk": (Role.AGENCY_CLERK, agencies[0]),
    }
    people = {}
    for name, (role, org) in users.items():
        people[name] = f.UserFactory(username=f"bench-{name}")
        Membership.objects.create(user=people[name], role=role, organization=org)
    first, last = agencies[0].pk, agencies[-1].pk
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO certificates_certificate (serial, subject_kind, common_name, email,"
            " organization_name, organizational_units, locality, subject_dn, not_before,"
            " not_after, status, renewal_count, revocation_reason, revoked_at, created_at,"
            " agency_id, origin)"
            " SELECT upper(to_hex(%s::bigint + g)), 'organization', 'Cơ quan ' || g,"
            " '', '', '', '', '', now() - (g %% 730) * interval '1 day',"
            " now() + (g %% 1825) * interval '1 day' + interval '1 hour',"
            " CASE WHEN g %% 211 = 0 THEN 'revoked' ELSE 'valid' END, 0,"
            " CASE WHEN g %% 211 = 0 THEN 'cessation' ELSE '' END,"
            " CASE WHEN g %% 211 = 0 THEN now() END, now(),"
            " %s + g %% (%s - %s + 1), ''"
            " FROM generate_series(1, %s) AS g",
            [SERIAL_BASE, first, last, first, n_certificates],
        )
        cursor.execute("SELECT min(id) FROM certificates_certificate")
        first_certificate = cursor.fetchone()[0]
    return people, first_certificate, (first, last)


EVENTS_SQL = """
INSERT INTO certificates_signingevent (kind, at, certificate_id, serial, issuer_kind,
    agency_id, document_kind, document_id, document_number, outcome, night)
SELECT e.kind, e.at,
       CASE WHEN e.public THEN NULL ELSE %(first_cert)s + e.c - 1 END,
       CASE WHEN e.public THEN 'PUB' || e.g ELSE upper(to_hex(%(serial_base)s::bigint + e.c)) END,
       CASE WHEN e.public THEN 'public' ELSE 'government' END,
       %(first_agency)s + e.c %% (%(last_agency)s - %(first_agency)s + 1),
       CASE WHEN e.kind = 'ocsp' THEN '' ELSE 'letter' END,
       CASE WHEN e.kind = 'ocsp' THEN NULL ELSE e.g / 2 END,
       '',
       CASE WHEN e.g %% 211 = 0 THEN 'revoked' WHEN e.public THEN 'untrusted' ELSE 'ok' END,
       extract(hour FROM e.at AT TIME ZONE 'Asia/Ho_Chi_Minh') >= 22
           OR extract(hour FROM e.at AT TIME ZONE 'Asia/Ho_Chi_Minh') < 6
FROM (
    SELECT g,
           CASE WHEN g %% 10 < 6 THEN 'signed' WHEN g %% 10 = 6 THEN 'uploaded'
                WHEN g %% 10 < 9 THEN 'verified' ELSE 'ocsp' END AS kind,
           now() - interval '365 days' + (g::float8 / %(n)s) * interval '365 days' AS at,
           1 + (g::bigint * 7919) %% %(n_certs)s AS c,
           g %% 97 = 0 AS public
    FROM generate_series(1, %(n)s) AS g
) e
"""


def seed_events(connection, n_events: int, n_certificates: int, first_cert: int, agencies):
    with connection.cursor() as cursor:
        # Indexes after the rows, as a restore builds them.
        cursor.execute("DROP INDEX IF EXISTS signevent_at_brin")
        cursor.execute("DROP INDEX IF EXISTS signevent_cert_at_idx")
        cursor.execute(
            EVENTS_SQL,
            {
                "first_cert": first_cert,
                "serial_base": SERIAL_BASE,
                "first_agency": agencies[0],
                "last_agency": agencies[1],
                "n": n_events,
                "n_certs": n_certificates,
            },
        )
        cursor.execute(
            "CREATE INDEX signevent_at_brin ON certificates_signingevent USING brin (at)"
            " WITH (pages_per_range = 32)"
        )
        cursor.execute(
            "CREATE INDEX signevent_cert_at_idx ON certificates_signingevent (certificate_id, at)"
        )
        cursor.execute("ANALYZE")


def p95(figures: list[float]) -> float:
    ordered = sorted(figures)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def timed_gets(client, url: str, params: dict, *, anew: bool) -> list[float]:
    """REPEAT visits after a first one; with `anew`, the kept figures are dropped before each,
    so every visit builds and renders the page from the rollups (dashboard/monitor_views.py)."""
    from django.core.cache import cache

    figures = []
    client.get(url, params)
    for _ in range(REPEAT):
        if anew:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url, params)
        figures.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return figures


def seed_and_roll_up(connection, n_events: int, n_certificates: int, n_agencies: int) -> None:
    from django.utils import timezone

    from dashboard.models import SigningCertificateMonth
    from dashboard.monitor_rollups import (
        idle_certificates_refresh,
        signing_month_roll_up,
        signing_months_roll_up,
    )
    from dashboard.months import Month

    started = time.perf_counter()
    _people, first_cert, agencies = seed_registry(connection, n_certificates, n_agencies)
    print(f"seeded {n_certificates:,} certificates in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    seed_events(connection, n_events, n_certificates, first_cert, agencies)
    print(f"seeded {n_events:,} events in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    months = signing_months_roll_up()
    all_months = time.perf_counter() - started
    started = time.perf_counter()
    rows = signing_month_roll_up(Month.of(timezone.localdate()))
    this_month = time.perf_counter() - started
    started = time.perf_counter()
    idle = idle_certificates_refresh()
    idle_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"monthly rollup, first run over {len(months)} months: {all_months:.1f} s "
        f"({SigningCertificateMonth.objects.count():,} certificate-month rows; not judged)"
    )
    print(
        f"monthly rollup, the current month again (the hourly beat): {this_month:.1f} s "
        f"({rows[1]:,} certificate rows, {rows[0]:,} agency rows; not judged)"
    )
    print(f"idle certificates list: {idle:,} certificates in {idle_seconds:.1f} s (not judged)")


def time_pages() -> list[tuple]:
    """(who, month, kept or anew, figures) for the CA, the Sở KH&CN and the clerk."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from dashboard.months import Month
    from tests.helpers import sign_in

    _setup.serve_pages()
    previous = Month.previous(timezone.localdate())
    results = []
    for who in ("ca", "province", "clerk"):
        client = sign_in(Client(), get_user_model().objects.get(username=f"bench-{who}"))
        for label, params in (
            ("this month", {}),
            ("last month", {"thang": f"{previous.year:04d}-{previous.month:02d}"}),
        ):
            for anew in (False, True):
                way = "built anew" if anew else "kept"
                figures = timed_gets(client, "/giam-sat-ky-so/", params, anew=anew)
                results.append((who, label, way, figures))
    return results


def report(results, at_goal_size: bool) -> int:
    failed = False
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores: read the figures with it)")
    for who, label, way, figures in results:
        worst = p95(figures)
        if at_goal_size:
            ok = worst <= GOAL_P95_SECONDS
            failed |= not ok
            verdict = "goal met" if ok else "goal NOT met"
        else:
            verdict = "not decided (run with the default --events 20000000)"
        print(
            f"monitor page, {who}, {label}, {way}: p95 {worst * 1000:.0f} ms, median "
            f"{stats.median(figures) * 1000:.0f} ms of {REPEAT} "
            f"(goal p95 ≤ {GOAL_P95_SECONDS * 1000:.0f} ms): {verdict}"
        )
    return 1 if failed else 0


def run(n_events: int, n_certificates: int, n_agencies: int, keep: bool) -> int:
    with _setup.throwaway_database("bench-monitor-", keep=keep) as connection:
        if connection.vendor != "postgresql":
            print("bench_monitor needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        seed_and_roll_up(connection, n_events, n_certificates, n_agencies)
        results = time_pages()
    return report(results, n_events >= GOAL_EVENTS and n_certificates >= GOAL_CERTIFICATES)


def rerun() -> int:
    """The pages again on a database a run kept (`--keep`), named by DATABASE_URL."""
    import django

    django.setup()
    from django.db import connection

    from certificates.models import Certificate, SigningEvent

    n_events, n_certificates = SigningEvent.objects.count(), Certificate.objects.count()
    print(
        f"{connection.settings_dict['NAME']}: {n_events:,} events, {n_certificates:,} certificates"
    )
    results = time_pages()
    return report(results, n_events >= GOAL_EVENTS and n_certificates >= GOAL_CERTIFICATES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=GOAL_EVENTS)
    parser.add_argument("--certificates", type=int, default=GOAL_CERTIFICATES)
    parser.add_argument("--agencies", type=int, default=340)
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the pages of the kept database DATABASE_URL names",
    )
    args = parser.parse_args()
    _setup.configure()
    if args.reuse:
        return rerun()
    return run(args.events, args.certificates, args.agencies, args.keep)


if __name__ == "__main__":
    sys.exit(main())
