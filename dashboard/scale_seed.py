"""The national-scale dataset for the benchmarks (docs/scale.md §12.1): a realistic spread
of agencies, people, devices, certificates, letters with their rows, Mẫu 07 notices and return
obligations over the 34 provinces, written by PostgreSQL itself (`INSERT … SELECT` over
`generate_series`), so a million certificates take seconds, not hours of `save()`.

It lives in the roof (dashboard) because it fills every app's tables. Nothing here is audited or
signed: the rows stand for history the benchmarks read, not for actions the portal took. Every
NOT NULL column a statement does not name gets its model default (`dashboard.scale_sql.insert_select`), so a field
added later with a default needs no change here.
"""

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from agencies.choices import OrgKind, Role
from agencies.models import Membership, Organization, Person
from agencies.provinces import PROVINCES_2025
from certificates.models import Certificate
from dashboard.scale_sql import insert_select, last_id, reset_sequences
from devices.models import Device, HandoverItem, HandoverNotice, ReturnObligation
from portal.field_rotation import reencrypt_model
from requests_app.models import CertRequest, RequestRow

# Usernames of the accounts a benchmark signs in as (docs/scale.md §12.1).
CA_USERNAME = "scale-ca"
OFFICER_USERNAME = "scale-so-{province}"  # 1 … 34
CLERK_USERNAME = "scale-clerk-{agency}"  # 1 … --agencies (the n-th agency)
HEAD_USERNAME = "scale-head-{agency}"


@dataclass(frozen=True)
class Sizes:
    certificates: int = 1_000_000
    letters: int = 200_000
    agencies: int = 20_000
    devices: int = 300_000
    people: int = 600_000
    notices: int = 50_000
    obligations: int = 20_000


def seed_scale(sizes: Sizes, log=print) -> dict[str, int]:
    """Fill an empty PostgreSQL database; returns the rows written per table."""
    if connection.vendor != "postgresql":
        raise RuntimeError("seed_scale writes with PostgreSQL's generate_series: use PostgreSQL.")
    if Certificate.objects.exists() or CertRequest.objects.exists():
        raise RuntimeError("The database already holds certificates or letters.")
    written: dict[str, int] = {}
    started = time.perf_counter()

    def step(name, count):
        written[name] = count
        log(f"  {count:>9,} {name} ({time.perf_counter() - started:.0f} s)")

    User = get_user_model()
    with transaction.atomic():
        # The tree's top by the ORM (paths are computed on save): the CA, 34 provinces, each
        # with its Sở KH&CN.
        ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục Chứng thực số và BMTT")
        provinces = []
        for name, _former in PROVINCES_2025:
            province = Organization.objects.create(kind=OrgKind.PROVINCE, name=name)
            office = Organization.objects.create(
                kind=OrgKind.PROVINCIAL_OFFICE,
                name=f"Sở Khoa học và Công nghệ {name.split(' ', 1)[1]}",
                parent=province,
                province=province,
            )
            provinces.append((province, office))
        ca = User.objects.create(username=CA_USERNAME, first_name="Vận hành", last_name="CA")
        Membership.objects.create(user=ca, role=Role.CA_OPERATOR, organization=ca_org)
        for n, (_province, office) in enumerate(provinces, start=1):
            officer = User.objects.create(username=OFFICER_USERNAME.format(province=n))
            Membership.objects.create(
                user=officer, role=Role.PROVINCIAL_OFFICER, organization=office
            )
        step("provinces", len(provinces))
        _seed_bulk(sizes, provinces, step)
    # The SQL above writes ID numbers, dates and phones in clear: encrypted now, in batches,
    # as the migration does for existing rows (docs/privacy-at-rest.md).
    for model in (Person, Device, CertRequest, RequestRow):
        step(f"{model._meta.verbose_name_plural} encrypted", reencrypt_model(model).written)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  analysed ({time.perf_counter() - started:.0f} s)")
    return written


def _seed_bulk(sizes: Sizes, provinces, step) -> None:
    n_prov = len(provinces)
    # provinces[i] for i = g % 34, as SQL arrays indexed from 1.
    province_ids = "ARRAY[{}]::bigint[]".format(",".join(str(p.pk) for p, _ in provinces))
    province_paths = "ARRAY[{}]::text[]".format(",".join(f"'{p.path}'" for p, _ in provinces))
    A, P, D, C, L = sizes.agencies, sizes.people, sizes.devices, sizes.certificates, sizes.letters
    a0 = last_id(Organization)

    # Agencies: agency n (1 … A) has id a0 + n and lies in province (n % 34) + 1.
    step(
        "agencies",
        insert_select(
            Organization,
            {
                "id": f"{a0} + g",
                "kind": f"'{OrgKind.AGENCY}'",
                "name": "(ARRAY['Sở Tài chính','Sở Nội vụ','Sở Y tế','Sở Xây dựng',"
                "'Ủy ban nhân dân xã','Trường THPT','Bệnh viện Đa khoa','Chi cục Thuế'])"
                "[1 + g % 8] || ' số ' || g",
                "path": f"({province_paths})[1 + g % {n_prov}] || ({a0} + g) || '/'",
                "parent_id": f"({province_ids})[1 + g % {n_prov}]",
                "province_id": f"({province_ids})[1 + g % {n_prov}]",
                "tax_code": "(4000000000 + g)::text",
                "budget_code": "(1000000 + g)::text",
                "official_email": "'vanthu' || g || '@coquan.gov.vn'",
                "address": "'Số ' || g || ' đường Trần Hưng Đạo'",
            },
            f"generate_series(1, {A}) g",
        ),
    )

    def agency(n: str) -> str:
        """The agency of person, device, letter or notice number `n` (1-based)."""
        return f"({a0} + 1 + (({n}) - 1) % {A})"

    # Accounts: a clerk and a head for every agency; unusable passwords (benchmarks sign in
    # with force_login, bench/run's load test makes its own account).
    User = get_user_model()
    u0 = last_id(User)
    for offset, pattern in ((0, CLERK_USERNAME), (A, HEAD_USERNAME)):
        insert_select(
            User,
            {
                "id": f"{u0 + offset} + g",
                "username": "'" + pattern.replace("{agency}", "' || g || '") + "'",
                "password": "'!'",
                "first_name": "'Cán bộ'",
                "last_name": "'số ' || g",
                "date_joined": "now()",
            },
            f"generate_series(1, {A}) g",
        )
    for offset, role in ((0, Role.AGENCY_CLERK), (A, Role.AGENCY_HEAD)):
        insert_select(
            Membership,
            {
                "user_id": f"{u0 + offset} + g",
                "role": f"'{role}'",
                "organization_id": f"{a0} + g",
            },
            f"generate_series(1, {A}) g",
        )
    step("accounts", 2 * A)

    def clerk(n: str) -> str:
        """The clerk of agency(n)."""
        return f"({u0} + 1 + (({n}) - 1) % {A})"

    surnames = (
        "ARRAY['Nguyễn','Trần','Lê','Phạm','Hoàng','Huỳnh','Phan','Vũ','Võ','Đặng','Bùi','Đỗ']"
    )
    middles = "ARRAY['Văn','Thị','Hữu','Minh','Thanh','Ngọc','Đức','Quang']"
    givens = "ARRAY['An','Bình','Hằng','Dũng','Hương','Khánh','Lan','Phúc','Quỳnh','Sơn','Thảo','Việt','Yến']"

    def name(n: str) -> str:
        """A Vietnamese full name for number `n`."""
        return (
            f"({surnames})[1 + ({n}) % 12] || ' ' || ({middles})[1 + ({n}) % 8]"
            f" || ' ' || ({givens})[1 + ({n}) % 13]"
        )

    p0 = last_id(Person)
    step(
        "people",
        insert_select(
            Person,
            {
                "id": f"{p0} + g",
                "full_name": name("g"),
                "date_of_birth": "date '1970-01-01' + (g % 10000)",
                "national_id": "lpad((g + 1000000)::text, 12, '0')",
                # unique until the encryption below puts the real blind index
                "national_id_index": "'pending-' || g",
                "id_issue_date": "date '2021-07-01' + (g % 1000)",
                "id_issue_place": "'Cục Cảnh sát QLHC về TTXH'",
                "position": "'Chuyên viên'",
                "mobile": "'09' || lpad((g % 100000000)::text, 8, '0')",
                "official_email": "'canbo' || g || '@coquan.gov.vn'",
                "organization_id": agency("g"),
            },
            f"generate_series(1, {P}) g",
        ),
    )

    # Devices: 70 % USB Token, 20 % SIM PKI, 10 % SD Secure; 1 in 20 still in the CA's stock,
    # the rest held by person g (and so by person g's agency).
    d0 = last_id(Device)
    step(
        "devices",
        insert_select(
            Device,
            {
                "id": f"{d0} + g",
                "kind": "CASE WHEN g % 10 < 7 THEN 'usb_token' WHEN g % 10 < 9 THEN 'sim_pki'"
                " ELSE 'sd_secure' END",
                "serial": "CASE WHEN g % 10 IN (7, 8) THEN '8984' || lpad(g::text, 15, '0')"
                " ELSE 'VT' || lpad(g::text, 9, '0') END",
                "iccid": "CASE WHEN g % 10 IN (7, 8) THEN '8984' || lpad(g::text, 15, '0')"
                " ELSE '' END",
                "phone": "CASE WHEN g % 10 IN (7, 8) THEN '09' || lpad(g::text, 8, '0') ELSE '' END",
                "carrier": "CASE WHEN g % 10 IN (7, 8) THEN 'viettel' ELSE '' END",
                "status": "CASE WHEN g % 20 = 0 THEN 'in_ca_stock' WHEN g % 23 = 0"
                " THEN 'awaiting_return' WHEN g % 11 = 0 THEN 'delivered_to_agency'"
                " ELSE 'handed_to_subscriber' END",
                "created_at": "now() - (g % 1000) * interval '1 day'",
                "agency_id": f"CASE WHEN g % 20 = 0 THEN NULL ELSE {agency('g')} END",
                "holder_id": f"CASE WHEN g % 20 = 0 THEN NULL ELSE {p0} + g END",
            },
            f"generate_series(1, {D}) g",
        ),
    )

    # Certificates: g's subject is person g (people wrap around); one in ten an organisation's.
    # 75 % valid, 15 % expired, 10 % revoked; validity three years ending over the next three
    # (valid) or the last two (expired, revoked). The first D valid ones sit on device g.
    c0 = last_id(Certificate)
    person = f"({p0} + 1 + ((g - 1) % {P}))"
    step(
        "certificates",
        insert_select(
            Certificate,
            {
                "id": f"{c0} + g",
                "serial": f"upper(to_hex({0x5400000000000000} + {c0} + g))",
                "subject_kind": "CASE WHEN g % 10 = 3 THEN 'organization' ELSE 'person' END",
                "common_name": f"CASE WHEN g % 10 = 3 THEN 'Cơ quan số ' || g ELSE {name('g')} END",
                "email": "'canbo' || g || '@coquan.gov.vn'",
                "subject_dn": "'CN=Chứng thư ' || g",
                "not_before": "s.end_at - interval '1095 days'",
                "not_after": "s.end_at",
                "status": "s.status",
                "revocation_reason": "CASE WHEN s.status = 'revoked' THEN 'key_compromise' ELSE '' END",
                "revoked_at": "CASE WHEN s.status = 'revoked' THEN s.end_at - interval '400 days' END",
                "created_at": "s.end_at - interval '1095 days'",
                "agency_id": agency(f"(1 + (g - 1) % {P})"),
                "person_id": f"CASE WHEN g % 10 = 3 THEN NULL ELSE {person} END",
                "subject_organization_id": f"CASE WHEN g % 10 = 3 THEN {agency('g')} END",
                "device_id": f"CASE WHEN s.status = 'valid' AND g <= {D} AND g % 20 <> 0"
                f" THEN {d0} + g END",
            },
            f"generate_series(1, {C}) g, LATERAL (SELECT"
            " CASE WHEN g % 20 < 15 THEN 'valid' WHEN g % 20 < 18 THEN 'expired' ELSE 'revoked' END"
            " AS status, date_trunc('hour', now()) + CASE WHEN g % 20 < 15"
            " THEN (1 + g % 1095) * interval '1 day' ELSE - (1 + g % 730) * interval '1 day' END"
            " AS end_at) s",
        ),
    )

    # Letters: the newest quarter still in flight (the statuses a letter waits in), the rest
    # done or refused. Forms: half Mẫu 01, then 04, 05, 06, 02, 03.
    r0 = last_id(CertRequest)
    open_from = int(L * 0.75)
    form = (
        "CASE WHEN g % 20 < 10 THEN '01' WHEN g % 20 < 14 THEN '04' WHEN g % 20 < 17 THEN '05'"
        " WHEN g % 20 < 18 THEN '06' WHEN g % 20 < 19 THEN '02' ELSE '03' END"
    )
    status = (
        f"CASE WHEN g <= {open_from} THEN (CASE WHEN g % 17 = 0 THEN 'refused' ELSE 'done' END)"
        " ELSE (ARRAY['draft','awaiting_head','province_review','forwarded','in_process',"
        "'province_review','forwarded','draft'])[1 + g % 8] END"
    )
    step(
        "letters",
        insert_select(
            CertRequest,
            {
                "id": f"{r0} + g",
                "form": form,
                "agency_id": agency("g"),
                "status": status,
                "subject": "'V/v đề nghị chứng thư số chuyên dùng công vụ'",
                "contact_name": name("g"),
                "contact_mobile": "'0912345678'",
                "contact_email": "'vanthu' || g || '@coquan.gov.vn'",
                "number": f"CASE WHEN g % 8 = 0 AND g > {open_from} THEN '' ELSE g || '/CV-CQ' END",
                "issued_on": "(created - interval '0 day')::date",
                "created_by_id": clerk("g"),
                "created_at": "created",
                "updated_at": "created",
                "forwarded_at": f"CASE WHEN g <= {open_from} OR g % 8 IN (3, 4, 6)"
                " THEN created + interval '2 days' END",
                "received_on": "(created + interval '1 day')::date",
                "due_on": f"CASE WHEN g > {open_from} THEN (created + interval '5 days')::date END",
                "done_at": f"CASE WHEN g <= {open_from} THEN created + interval '6 days' END",
            },
            f"generate_series(1, {L}) g, LATERAL (SELECT now() - ({L} - g) * "
            f"(interval '730 days' / {L}) AS created) t",
        ),
    )

    # Rows: 1 + g % 12 a letter (6.5 on average), person k = the letter's k-th; a Mẫu 04/05
    # row names a certificate of the letter's agency's people, each open one at most once.
    rows = insert_select(
        RequestRow,
        {
            "cert_request_id": "l.id",
            "position": "k",
            "full_name": name("l.id + k"),
            "date_of_birth": "date '1975-03-01' + ((l.id + k) % 9000)::int",
            "national_id": "lpad((l.id * 13 + k)::text, 12, '0')",
            "id_issue_date": "date '2021-07-01'",
            "id_issue_place": "'Cục Cảnh sát QLHC về TTXH'",
            "position_title": "'Chuyên viên'",
            "mobile": "'09' || lpad(((l.id * 13 + k) % 100000000)::text, 8, '0')",
            "email": "'canbo' || (l.id * 13 + k) || '@coquan.gov.vn'",
            "work_agency": "'Cơ quan số ' || l.agency_id",
            "province_name": "'Tỉnh Lai Châu'",
            "key_storage": "CASE WHEN l.form IN ('01', '02', '03') THEN 'token' ELSE '' END",
            "certificate_id": f"CASE WHEN l.form IN ('04', '05') AND (l.id - {r0}) * 12 + k <= {C}"
            f" THEN {c0} + (l.id - {r0}) * 12 + k END",
            "renew": "l.form = '04' AND k % 2 = 0",
            "change_info": "l.form = '04' AND k % 2 = 1",
            "revoke_reason": "CASE WHEN l.form = '05' THEN 'key_compromise' ELSE '' END",
            "outcome": "CASE WHEN l.status = 'done' THEN 'done' WHEN l.status = 'refused'"
            " THEN 'refused' WHEN l.status = 'in_process' THEN 'accepted' ELSE 'pending' END",
            "decided_at": "CASE WHEN l.status IN ('done', 'refused', 'in_process')"
            " THEN l.created_at + interval '3 days' END",
            "is_open": "l.status NOT IN ('done', 'refused', 'cancelled')",
        },
        f"requests_app_certrequest l, generate_series(1, 1 + l.id % 12) k WHERE l.id > {r0}",
    )
    step("letter rows", rows)

    # Mẫu 07: notices of 1–4 devices each, sent to the CA, over the agencies' devices.
    n0 = last_id(HandoverNotice)
    N = sizes.notices
    step(
        "Mẫu 07 notices",
        insert_select(
            HandoverNotice,
            {
                "id": f"{n0} + g",
                "agency_id": agency("g"),
                "number": "g || '/TB-CQ'",
                "issued_on": "(now() - (g % 700) * interval '1 day')::date",
                "handed_on": "(now() - (g % 700) * interval '1 day')::date",
                "created_by_id": clerk("g"),
                "created_at": "now() - (g % 700) * interval '1 day'",
                "sent_at": "now() - (g % 700) * interval '1 day'",
            },
            f"generate_series(1, {N}) g",
        ),
    )
    # Device g belongs to agency g % A like notice g: items take devices g, g + A, g + 2A …
    insert_select(
        HandoverItem,
        {
            "notice_id": f"{n0} + g",
            "position": "k",
            "device_id": f"{d0} + g + (k - 1) * {A}",
            "person_id": f"{p0} + g + (k - 1) * {A}",
            "acknowledged": "true",
        },
        f"generate_series(1, {N}) g, generate_series(1, 1 + g % 4) k"
        f" WHERE g + (k - 1) * {A} <= {D} AND (g + (k - 1) * {A}) % 20 <> 0",
    )

    # Open return obligations on the devices awaiting return (a third of them overdue).
    step(
        "return obligations",
        insert_select(
            ReturnObligation,
            {
                "certificate_serial": f"upper(to_hex({0x5500000000000000} + g))",
                "reason": "CASE WHEN g % 3 = 0 THEN 'revoked' ELSE 'expired' END",
                "notified_on": "current_date - (g % 12)",
                "due_on": "current_date - (g % 12) + 7",
                "opened_at": "now() - (g % 12) * interval '1 day'",
                "agency_id": agency("g"),
                "device_id": f"{d0} + g",
                "person_id": f"{p0} + g",
            },
            f"generate_series(1, {D}) g WHERE g % 23 = 0 AND g % 20 <> 0"
            f" AND g <= 23 * {sizes.obligations}",
        ),
    )
    reset_sequences(
        "agencies_organization", "auth_user", "agencies_membership", "agencies_person",
        "devices_device", "certificates_certificate", "requests_app_certrequest",
        "requests_app_requestrow", "devices_handovernotice", "devices_handoveritem",
        "devices_returnobligation",
    )  # fmt: skip
