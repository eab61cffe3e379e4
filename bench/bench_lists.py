"""The long lists at national scale, first page and deep (issue 16 item 2), on PostgreSQL:

    python bench/bench_lists.py                       # 1,000,000 certificates, 300,000 devices
    python bench/bench_lists.py --devices 30000 --certificates 100000 --agencies 2000

Seeds --devices devices (bench/_devices_seed.py: 34 provinces of --agencies agencies, a
subscriber and a certificate per device, open return obligations), more certificates up to
--certificates (one INSERT … SELECT), --letters letters and a Mẫu 07 notice, Mẫu 08 minutes
and Mẫu 09 minutes per agency or two, then GETs each list as the CA operator, a provincial
officer and a clerk: the first page, and a deep page (a jump to a date or serial far down the
list, then "Sau"). Prints each page's time (median of three, buffers warm) and its queries,
against the goal: every page ≤ 300 ms, the deep one as fast as the first
(docs/architecture.md §12.2).

Runs on a throw-away test database (bench/_setup.py)."""

import argparse
import re
import statistics
import sys
import time
from html import unescape as html_unescape
from urllib.parse import parse_qsl

import _setup

GOAL_SECONDS = 0.300
NEXT = re.compile(r'href="\\?([^"]+)" rel="next"')
REPEAT = 3


def seed(connection, *, devices: int, certificates: int, agencies: int, letters: int):
    from _devices_seed import seed_devices

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from tests import factories as f

    seed_devices(connection, n_devices=devices, n_agencies=agencies)
    province = Organization.objects.filter(kind=OrgKind.PROVINCE).order_by("pk").first()
    agency = Organization.objects.filter(kind=OrgKind.AGENCY, province=province).first()
    office = Organization.objects.create(
        kind=OrgKind.PROVINCIAL_OFFICE, name="Sở KH&CN thử", parent=province
    )
    users = {
        "ca": f.UserFactory(username="ca-operator"),
        "officer": f.UserFactory(username="officer"),
        "clerk": f.UserFactory(username="clerk"),
    }
    Membership.objects.create(
        user=users["ca"], role=Role.CA_OPERATOR, organization=f.CAOrgFactory()
    )
    Membership.objects.create(
        user=users["officer"], role=Role.PROVINCIAL_OFFICER, organization=office
    )
    Membership.objects.create(user=users["clerk"], role=Role.AGENCY_CLERK, organization=agency)
    by = users["clerk"].pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM agencies_organization WHERE kind = 'agency'")
        first, last = cursor.fetchone()
        span = last - first + 1
        cursor.execute("SELECT count(*) FROM certificates_certificate")
        more = max(0, certificates - cursor.fetchone()[0])
        cursor.execute(
            "INSERT INTO certificates_certificate (serial, subject_kind, common_name, email,"
            " organization_name, organizational_units, locality, subject_dn, not_before,"
            " not_after, status, renewal_count, revocation_reason, revoked_at, created_at,"
            " agency_id, origin)"
            " SELECT upper(to_hex(7052837899185946624 + g)), 'organization', 'Cơ quan ' || g,"
            " '', '', '', '', '', now() - (g %% 1500) * interval '1 day' - g * interval '1 s',"
            " now() + (g %% 1825) * interval '1 day' + interval '1 hour', 'valid', 0, '', NULL,"
            " now(), %s + g %% %s, '' FROM generate_series(1, %s) AS g",
            [first, span, more],
        )
        cursor.execute(
            "INSERT INTO requests_app_certrequest (form, agency_id, status, subject,"
            " contact_name, contact_national_id, contact_id_issue_place, contact_position,"
            " contact_agency, contact_mobile, contact_email, delivery_address, number, signing,"
            " signing_error, created_by_id, created_at, updated_at, issued_on, forwarded_at)"
            " SELECT '01', %s + g %% %s, CASE WHEN g %% 3 = 0 THEN 'done' ELSE 'forwarded' END,"
            " '', '', '', '', '', '', '', '', '', 'VB-' || g, 'portal', '', %s,"
            " now() - g * interval '5 min', now(), current_date, now() - g * interval '4 min'"
            " FROM generate_series(1, %s) AS g",
            [first, span, by, letters],
        )
        cursor.execute(
            "INSERT INTO devices_handovernotice (agency_id, number, issued_on, handed_on,"
            " created_by_id, created_at, sent_at)"
            " SELECT %s + g %% %s, 'TB-' || g, current_date, current_date, %s, now(),"
            " now() - g * interval '7 min' FROM generate_series(1, %s) AS g",
            [first, span, by, agencies * 3],
        )
        cursor.execute(
            "INSERT INTO devices_returnminutes (agency_id, number, held_at, place, receiver_kind,"
            " receiver_id, agency_representative, agency_representative_title,"
            " receiver_representative, receiver_representative_title, created_by_id,"
            " created_at, sent_at, confirmed_at)"
            " SELECT %s + g %% %s, 'BB-' || g, now() - g * interval '9 min', '', 'ca', %s, '',"
            " '', '', '', %s, now(), now(), CASE WHEN g %% 10 > 0 THEN now() - g * interval"
            " '8 min' END FROM generate_series(1, %s) AS g",
            [first, span, first, by, agencies],
        )
        cursor.execute(
            "INSERT INTO devices_lossreport (device_id, agency_id, subscriber_name,"
            " subscriber_position, certificate_serial, number, held_at, held_place,"
            " representative_name, representative_position, lost_on, lost_place,"
            " circumstances, measures, created_by_id, created_at, sent_at)"
            " SELECT g, %s + g %% %s, '', '', '', 'MT-' || g, now() - g * interval '11 min',"
            " '', '', '', current_date, 'x', 'x', '', %s, now(), now()"
            " FROM generate_series(1, %s) AS g",
            [first, span, by, agencies],
        )
        cursor.execute("ANALYZE")
    return users


LISTS = [
    # (name, path, deep query: a jump far down the list)
    ("certificates", "/chung-thu/", {"den": "01/01/2022"}),
    ("devices", "/thiet-bi/", {"den": "VT00250000"}),
    ("letters", "/van-ban/", {"den": "01/01/2025"}),
    ("Mẫu 07", "/thiet-bi/mau-07/", {"den": "01/01/2025"}),
    ("Mẫu 08", "/thiet-bi/mau-08/", {}),
    ("Mẫu 09", "/thiet-bi/mau-09/", {"den": "01/01/2025"}),
    ("returns", "/thiet-bi/thu-hoi/", {"den": "01/01/2030"}),
]
QUEUES = {"ca": ("CA queue", "/ca/hang-doi/", {}), "officer": ("Sở inbox", "/so-khcn/hop-thu/", {})}


def timed(client, url: str, params: dict) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params)
            figures.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(figures), len(queries), response


def run(args) -> int:
    with _setup.throwaway_database("bench-lists-") as connection:
        if connection.vendor != "postgresql":
            print("bench_lists needs PostgreSQL (DATABASE_URL=postgres://…)", file=sys.stderr)
            return 2
        from django.test import Client, override_settings

        from tests.helpers import sign_in

        started = time.perf_counter()
        users = seed(
            connection,
            devices=args.devices,
            certificates=args.certificates,
            agencies=args.agencies,
            letters=args.letters,
        )
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        override_settings(
            ALLOWED_HOSTS=["testserver"],
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ).enable()
        failed = False
        for role in ("ca", "officer", "clerk"):
            client = sign_in(Client(), users[role])
            lists = LISTS + ([QUEUES[role]] if role in QUEUES else [])
            for name, path, deep in lists:
                first, n_first, response = timed(client, path, {})
                html = len(response.content)
                line = (
                    f"{role:8} {name:13} page 1 {first * 1000:6.0f} ms {n_first:2} q"
                    f" {html // 1024:4} KB"
                )
                slow = first > GOAL_SECONDS
                if deep:
                    _, _, response = timed(client, path, deep)
                following = NEXT.search(response.content.decode())
                if following:
                    query = dict(parse_qsl(html_unescape(following.group(1))))
                    far, n_far, _ = timed(client, path, query)
                    line += f" | {'deep' if deep else 'next'} {far * 1000:6.0f} ms {n_far:2} q"
                    slow |= far > GOAL_SECONDS
                else:
                    line += " | deep: no rows that far"
                line += " | " + ("goal NOT met" if slow else "goal met")
                failed |= slow
                print(line, flush=True)
        return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=300_000)
    parser.add_argument("--certificates", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=20_000)
    parser.add_argument("--letters", type=int, default=200_000)
    args = parser.parse_args()
    _setup.configure()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
