"""300,000 devices as the CA sees them, loaded with COPY (`portal.lib.bulk.insert_rows`) for
the export benchmark (bench/bench_export.py): 34 provinces of agencies, one subscriber per
device, a certificate on most devices (a renewed one on some: the newest is the one exported),
an open return obligation on some (a few overdue)."""

from datetime import date, datetime, timedelta

PROVINCES = 34


def seed_devices(connection, *, n_devices: int, n_agencies: int, log=print) -> None:
    from agencies.choices import OrgKind
    from agencies.models import Organization, Person
    from certificates.models import Certificate
    from devices.models import Device, ReturnObligation
    from portal.lib.bulk import insert_rows

    tz = datetime.now().astimezone().tzinfo
    now = datetime.now(tz)
    provinces = [
        Organization.objects.create(kind=OrgKind.PROVINCE, name=f"Tỉnh số {i + 1}")
        for i in range(PROVINCES)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM agencies_organization")
        first = cursor.fetchone()[0] + 1
    agency_rows = []
    for n in range(n_agencies):
        province = provinces[n % PROVINCES]
        pk = first + n
        agency_rows.append(
            (pk, OrgKind.AGENCY, f"Sở Thử Nghiệm số {n + 1}", "", f"{province.path}{pk}/",
             f"{4000000000 + n}", f"{1000000 + n}", f"vanthu{n}@thunghiem.gov.vn",
             "Số 1 đường Thử Nghiệm", "", province.pk, province.pk)
        )  # fmt: skip
    insert_rows(
        Organization,
        ["id", "kind", "name", "short_name", "path", "tax_code", "budget_code", "official_email",
         "address", "mail_domains", "parent_id", "province_id"],
        agency_rows,
    )  # fmt: skip
    agencies = [row[0] for row in agency_rows]
    log(f"  {n_agencies:,} agencies")

    def people():
        for n in range(1, n_devices + 1):
            yield (n, f"Nguyễn Văn Thử {n}", date(1985, 5, 17), f"{n:012d}", date(2021, 7, 1),
                   "CCSQLHCVTTXH", "Chuyên viên", f"09{n:08d}", f"nguoidung{n}@thunghiem.gov.vn",
                   agencies[n % n_agencies])  # fmt: skip

    insert_rows(
        Person,
        ["id", "full_name", "date_of_birth", "national_id", "id_issue_date", "id_issue_place",
         "position", "mobile", "official_email", "organization_id"],
        people(),
    )  # fmt: skip
    log(f"  {n_devices:,} people")

    def devices():
        for n in range(1, n_devices + 1):
            if n % 7 == 0:  # a SIM PKI: its serial is its ICCID
                iccid = f"8984{n:015d}"
                yield (n, "sim_pki", iccid, iccid, f"09{n:08d}", "viettel",
                       "handed_to_subscriber", now, agencies[n % n_agencies], n)  # fmt: skip
            else:
                status = "handed_to_subscriber" if n % 11 else "delivered_to_agency"
                yield (n, "usb_token", f"VT{n:08d}", "", "", "", status, now,
                       agencies[n % n_agencies], n)  # fmt: skip

    insert_rows(
        Device,
        ["id", "kind", "serial", "iccid", "phone", "carrier", "status", "created_at", "agency_id",
         "holder_id"],
        devices(),
    )  # fmt: skip
    log(f"  {n_devices:,} devices")

    def certificates():
        pk = 0
        for n in range(1, n_devices + 1):
            if n % 10 == 0:  # no certificate yet
                continue
            issued = now - timedelta(days=n % 700)
            # Every fifth device was renewed: an older, expired certificate before the valid one.
            for renewed in (1, 0) if n % 5 == 0 else (0,):
                pk += 1
                start = issued - timedelta(days=1095 * renewed)
                yield (pk, f"{0x5400000000000000 + pk:X}", "person", f"Nguyễn Văn Thử {n}",
                       f"nguoidung{n}@thunghiem.gov.vn", "", "", "", "", start,
                       start + timedelta(days=1095), "expired" if renewed else "valid", 0, "",
                       now, agencies[n % n_agencies], n, n, "")  # fmt: skip

    written = insert_rows(
        Certificate,
        ["id", "serial", "subject_kind", "common_name", "email", "organization_name",
         "organizational_units", "locality", "subject_dn", "not_before", "not_after", "status",
         "renewal_count", "revocation_reason", "created_at", "agency_id", "device_id",
         "person_id", "origin"],
        certificates(),
    )  # fmt: skip
    log(f"  {written:,} certificates")

    today = now.date()

    def obligations():
        for pk, n in enumerate(range(13, n_devices + 1, 13), start=1):
            notified = today - timedelta(days=n % 40)
            yield (pk, f"{0x5400000000000000 + n:X}", "expired", notified,
                   notified + timedelta(days=30), now, "", agencies[n % n_agencies], n, n)  # fmt: skip

    written = insert_rows(
        ReturnObligation,
        ["id", "certificate_serial", "reason", "notified_on", "due_on", "opened_at",
         "close_note", "agency_id", "device_id", "person_id"],
        obligations(),
    )  # fmt: skip
    log(f"  {written:,} open return obligations")
    with connection.cursor() as cursor:
        for table in (
            "agencies_organization",
            "agencies_person",
            "devices_device",
            "certificates_certificate",
            "devices_returnobligation",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")
