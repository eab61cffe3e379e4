"""A letter of a thousand rows on its page and over the API (docs/scale.md
§12.6):

    python bench/bench_letter_page.py                    # a 1,000-row Mẫu 01, 2,000 letters
    python bench/bench_letter_page.py --letters 20000    # the queues' plans on 20,000 letters
    python bench/bench_letter_page.py --rows 2000 --repeat 30

Seeds one Mẫu 01 letter of --rows rows (bench/_letters.py) waiting in the Sở KH&CN's review,
so its provincial officer sees every row with its decision buttons, with what such a letter
has on its page (its rendered and signed versions, a signature check, a deadline three working
days ahead), and --letters other
letters of every form and step over 34 provinces (their rows, and the certificates the Mẫu 04
renewals name, a fifth of them near expiry). Then prints, each the median and p95 of
--repeat requests served in process (Django's test client: middleware, view, template; no
network), with the SQL queries of one request, against the goal p95 ≤ 150 ms and ≤ 10
queries:

1. the letter's page as the officer, the first page of rows and the last;
2. the letter's page as the agency's clerk (no decision column);
3. the rows endpoint `/api/v1/van-ban/{id}/dong/`, the first page of rows and the last
   (cursor followed to the end beforehand);

and, on PostgreSQL, the plans (EXPLAIN ANALYZE) of the first page of the CA's queue and of
the Sở KH&CN's inbox with their figures (`with_queue_figures`), and of the officer's
letters (`visible_to`): which indexes serve them and how long they take.

Runs on a throw-away test database (bench/_setup.py)."""

import argparse
import gc
import os
import statistics as stats
import sys
import time
from datetime import date, timedelta

import _setup

GOAL_P95_SECONDS = 0.150
GOAL_QUERIES = 10


def seed_letter(rows: int):
    """The world of bench/_letters.py, its officer and CA operator, and the big letter."""
    from _letters import build_agency, issued_letter

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from portal.workdays import add_working_days
    from requests_app.choices import FormKind, Status
    from requests_app.models import CertRequest
    from tests import factories as f

    world = build_agency()
    agency = world[0]
    office = Organization.objects.get(kind=OrgKind.PROVINCIAL_OFFICE)
    officer = f.UserFactory(username="bench_officer")
    Membership.objects.create(user=officer, role=Role.PROVINCIAL_OFFICER, organization=office)
    operator = f.UserFactory(username="bench_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=f.CAOrgFactory())
    pk = issued_letter(world, FormKind.ISSUE_PERSON, rows, 1, distinct=True)
    CertRequest.objects.filter(pk=pk).update(
        status=Status.PROVINCE_REVIEW,
        received_on=date.today(),
        due_on=add_working_days(date.today(), 3),
    )
    signed_versions(CertRequest.objects.get(pk=pk), officer)
    return pk, agency, world[1], officer, operator


def signed_versions(letter, officer) -> None:
    """What a letter in the Sở's review has on its page: its rendered and signed versions
    (placeholder bytes: the page reads their details, never their content) and the signature
    check the officer asked for again."""
    from portal.documents import DocumentKind
    from requests_app.models import LetterDocument, LetterVerification

    for version, kind in enumerate((DocumentKind.RENDERED, DocumentKind.SIGNED), start=1):
        document = LetterDocument(
            letter=letter,
            version=version,
            kind=kind,
            number=letter.number,
            issued_on=letter.issued_on,
        )
        document.set_content(b"%PDF-1.7 placeholder " + kind.encode())
        document.save()
    LetterVerification.objects.create(
        document=document, checked_by=officer, ok=True, summary="2 chữ ký hợp lệ"
    )


def seed_letters(connection, n_letters: int, clerk):
    """`n_letters` letters over 34 provinces of 10 agencies each, 6 rows each; every sixth a
    Mẫu 04 whose rows renew certificates of their own, a fifth of those near expiry."""
    from agencies.choices import OrgKind
    from agencies.models import Organization
    from requests_app.choices import FormKind, Outcome, Status
    from requests_app.models import CertRequest, RequestRow
    from tests import factories as f

    if not n_letters:
        return
    lai_chau = Organization.objects.get(kind=OrgKind.PROVINCE)
    provinces = [lai_chau] + [f.ProvinceFactory(name=f"Tỉnh số {i + 2}") for i in range(33)]
    agencies = [f.AgencyFactory(parent=provinces[i % 34]) for i in range(340)]
    forms = list(FormKind.values)
    statuses = (
        [Status.DONE] * 12
        + [Status.FORWARDED, Status.IN_PROCESS, Status.PROVINCE_REVIEW, Status.DRAFT]
        + [Status.PROVINCE_REVIEW, Status.ISSUED]
    )
    today = date.today()
    letters = []
    for i in range(n_letters):
        form, status = forms[i % 6], statuses[i // 6 % len(statuses)]  # every pair
        reached = status in (Status.PROVINCE_REVIEW, Status.FORWARDED, Status.IN_PROCESS)
        if status in (Status.FORWARDED, Status.IN_PROCESS) and form == FormKind.RENEW_CHANGE:
            status = Status.PROVINCE_REVIEW
        letters.append(
            CertRequest(
                form=form,
                agency=agencies[i % len(agencies)],
                status=status,
                number=f"{i}/BENCH",
                issued_on=None if status == Status.DRAFT else today,
                forwarded_at=(
                    None
                    if status in (Status.DRAFT, Status.ISSUED, Status.PROVINCE_REVIEW)
                    or form == FormKind.RENEW_CHANGE
                    else _now()
                ),
                due_on=today + timedelta(days=i % 40) if reached or status == Status.DONE else None,
                created_by=clerk,
            )
        )
    letters = CertRequest.objects.bulk_create(letters, batch_size=2000)
    renewals = [letter for letter in letters if letter.form == FormKind.RENEW_CHANGE]
    with connection.cursor() as cursor:
        # the certificates the Mẫu 04 rows renew, one each; a fifth expire within 20 days
        cursor.execute(
            "INSERT INTO certificates_certificate (serial, subject_kind, common_name, email,"
            " organization_name, organizational_units, locality, subject_dn, not_before,"
            " not_after, status, renewal_count, revocation_reason, created_at, agency_id,"
            " origin)"
            " SELECT upper(to_hex(7052837899185946624 + g)), 'organization', 'Cơ quan ' || g,"
            " '', '', '', '', '', now() - interval '300 days',"
            " now() + CASE WHEN g %% 5 = 0 THEN interval '20 days' ELSE interval '200 days' END,"
            " 'valid', 0, '', now(), %s, '' FROM generate_series(1, %s) AS g",
            [agencies[0].pk, len(renewals) * 6],
        )
        cursor.execute("SELECT id FROM certificates_certificate ORDER BY id")
        certificates = iter([pk for (pk,) in cursor.fetchall()])
    rows = []
    for letter in letters:
        done = letter.status == Status.DONE
        for position in range(1, 7):
            row = RequestRow(
                cert_request=letter,
                position=position,
                full_name=f"Người {letter.pk}-{position}",
                outcome=Outcome.DONE if done else Outcome.PENDING,
                is_open=not done,
            )
            if letter.form == FormKind.RENEW_CHANGE:
                row.certificate_id, row.renew = next(certificates), True
            rows.append(row)
    RequestRow.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _now():
    from django.utils import timezone

    return timezone.now()


def measure(client, url: str, repeat: int) -> tuple[float, float, int, float]:
    """(median, p95, queries of one request, median CPU time) of `repeat` GETs of `url`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates compiled, scope and caches
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return stats.median(times), p95, len(queries), stats.median(cpu)


def last_cursor_page(client, url: str) -> str:
    response = client.get(url).json()
    while response["next"]:
        page = response["next"]
        response = client.get(page).json()
        if not response["next"]:
            return page
    return url


def report(label: str, figures: tuple[float, float, int, float]) -> bool:
    median, p95, queries, cpu = figures
    met = p95 <= GOAL_P95_SECONDS and queries <= GOAL_QUERIES
    print(
        f"{label:<44} median {median * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"
        f"  (CPU {cpu * 1000:5.1f} ms)  {queries:2d} queries  {'goal met' if met else 'goal NOT met'}"
    )
    return met


def former_queue_figures(queryset):
    """The queues' figures as they were before §12.6, for the comparison: an EXISTS over
    every renewal row and certificate, and counts by a GROUP BY over the queue's rows."""
    from django.conf import settings
    from django.db.models import Count, Exists, F, OuterRef, Q
    from django.utils import timezone

    from requests_app.choices import Outcome
    from requests_app.models import RequestRow

    limit = timezone.now() + timedelta(days=settings.PORTAL_RENEW_MIN_DAYS_LEFT)
    at_risk = RequestRow.objects.filter(
        cert_request=OuterRef("pk"),
        renew=True,
        outcome__in=[Outcome.PENDING, Outcome.ACCEPTED],
        certificate__not_after__lt=limit,
    )
    return (
        queryset.select_related("agency", "agency__province")
        .annotate(
            rows_total=Count("rows"),
            rows_pending=Count("rows", filter=Q(rows__outcome=Outcome.PENDING)),
            rows_accepted=Count("rows", filter=Q(rows__outcome=Outcome.ACCEPTED)),
            rows_refused=Count("rows", filter=Q(rows__outcome=Outcome.REFUSED)),
            renewal_at_risk=Exists(at_risk),
        )
        .order_by("-renewal_at_risk", F("due_on").asc(nulls_last=True), "pk")
    )


def plans(officer, operator) -> None:
    from requests_app.models import CertRequest

    ca = CertRequest.objects.ca_queue(operator)
    inbox = CertRequest.objects.province_inbox(officer)
    queues = {
        "CA queue, first page": ca.with_queue_figures(),
        "CA queue, first page, as before": former_queue_figures(ca),
        "Sở KH&CN inbox, first page": inbox.with_queue_figures(),
        "Sở KH&CN inbox, first page, as before": former_queue_figures(inbox),
        "officer's letters, newest first": CertRequest.objects.visible_to(officer).order_by(
            "-created_at"
        ),
        "CA operator's letters, newest first": CertRequest.objects.visible_to(operator).order_by(
            "-created_at"
        ),
    }
    for label, queryset in queues.items():
        text = queryset[:25].explain(analyze=True)
        lines = text.splitlines()
        used = sorted(
            {
                line.split(" using ")[1].split(" ")[0]
                for line in lines
                if " using " in line and "Index" in line
            }
            | {
                line.split("Index Scan on ")[1].split(" ")[0]
                for line in lines
                if "Bitmap Index Scan on " in line
            }
        )
        seq = sorted(
            {line.split("Seq Scan on ")[1].split(" ")[0] for line in lines if "Seq Scan" in line}
        )
        total = [line.strip() for line in lines if "Execution Time" in line]
        print(f"\n{label}: {total[0] if total else ''}")
        print(f"  indexes: {', '.join(used) or 'none'}")
        print(f"  sequential scans: {', '.join(seq) or 'none'}")
        if os.environ.get("BENCH_PLANS"):
            print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--letters", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--plans-only", action="store_true", help="the queues' plans, no page timings"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where one page request spends its time"
    )
    args = parser.parse_args()

    _setup.configure()
    with _setup.throwaway_database("bench-letter-page-") as connection:
        from django.test import Client

        from tests.helpers import sign_in

        started = time.perf_counter()
        pk, _agency, clerk, officer, operator = seed_letter(args.rows)
        seed_letters(connection, args.letters, clerk)
        print(
            f"seeded a {args.rows}-row letter and {args.letters} others in"
            f" {time.perf_counter() - started:.1f} s ({connection.vendor});"
            f" load average {os.getloadavg()[0]:.1f}"
        )
        _setup.serve_pages()
        # A web worker's heap holds no seeding objects: leave them out of the collector's
        # full passes, which would otherwise be charged to the timed requests.
        gc.collect()
        gc.freeze()
        as_officer, as_clerk = Client(), Client()
        sign_in(as_officer, officer)
        sign_in(as_clerk, clerk)
        page = f"/van-ban/{pk}/"
        last = (args.rows + 49) // 50
        rows_api = f"/api/v1/van-ban/{pk}/dong/?page_size=50"
        if args.profile:
            import cProfile
            import pstats

            as_officer.get(page)
            profiler = cProfile.Profile()
            profiler.runcall(as_officer.get, page)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                as_officer.get(page)
            for query in queries:
                print(f"{float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
            return 0
        if args.plans_only:
            plans(officer, operator)
            return 0
        results = [
            report("page, rows 1–50 (officer, decisions)", measure(as_officer, page, args.repeat)),
            report(
                f"page, last page {last} (officer, decisions)",
                measure(as_officer, f"{page}?page={last}", args.repeat),
            ),
            report("page, rows 1–50 (clerk)", measure(as_clerk, page, args.repeat)),
            report("rows API, first page of 50", measure(as_officer, rows_api, args.repeat)),
            report(
                "rows API, last page of 50",
                measure(as_officer, last_cursor_page(as_officer, rows_api), args.repeat),
            ),
        ]
        if connection.vendor == "postgresql":
            plans(officer, operator)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
