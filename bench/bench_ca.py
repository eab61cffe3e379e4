"""Benchmark of the simulated CA, through the service layer.

    python bench/bench_ca.py --n 200

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set), so it never touches real data. Prints:

1. `openssl speed -seconds 3 rsa2048` RSA-2048 sign/s, measured in the same run;
2. the devices generating their key pairs (`device_key_generate`: key generation and encryption
   of the private key at rest) — on a real token this happens on the token, not at the CA;
3. the CA issuing N certificates for keys already on the devices (`certificate_issue_batch`
   with whole letters of 7 rows and one batch of N; `certificate_issue` one by one): building,
   signing with the issuing CA's RSA-2048 key, registry rows, history and one audit event per
   certificate, committed — compared with openssl's sign rate (goal: at least 40 %);
4. end to end, key generation included (RSA-2048 and EC P-256 device keys), for reference;
5. publishing a CRL of 100,000 entries (`crl_publish`: reading the rows, building the CRL in
   one pass, signing, storing) (goal: at most 3 s); BENCH_PROFILE=<file> writes a cProfile of
   the second publication.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta

from _setup import configure, throwaway_database  # noqa: E402 - bench/ is on the path
from _verdicts import exit_code, verdict  # noqa: E402

configure()

LETTER_ROWS = 7  # rows of an average letter (docs/domain.md §3)
CRL_ENTRIES = 100_000


def openssl_rsa2048_sign_rate(seconds: int = 3, *, elapsed: bool = False) -> float:
    """RSA-2048 sign/s; by CPU user time (openssl's default) or wall clock (`-elapsed`)."""
    command = ["openssl", "speed", "-seconds", str(seconds), "rsa2048"]
    if elapsed:
        command.insert(2, "-elapsed")
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    # "rsa 2048 bits 0.000241s 0.000016s   4141.9  61673.0"  (sign, verify, sign/s, verify/s)
    match = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+[\d.]+", result.stdout, re.M)
    if not match:
        raise SystemExit(f"cannot read openssl speed output:\n{result.stdout}")
    return float(match.group(1))


class Clock:
    """Wall-clock and CPU seconds of this process (openssl speed divides by CPU user time)."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def build_world(n: int):
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization, Person
    from devices.choices import DeviceKind
    from devices.models import Device

    province = Organization.objects.create(kind=OrgKind.PROVINCE, name="Tỉnh Lai Châu")
    agency = Organization.objects.create(
        kind=OrgKind.AGENCY,
        name="Sở Tài chính tỉnh Lai Châu",
        parent=province,
        official_email="vanthu@stc.laichau.gov.vn",
    )
    unit = Organization.objects.create(kind=OrgKind.UNIT, name="Phòng Ngân sách", parent=agency)
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    people = Person.objects.bulk_create(
        Person(
            full_name=f"Nguyễn Văn Thử {i}",
            national_id=f"{100000000000 + i}",
            official_email=f"nguoidung{i}@stc.laichau.gov.vn",
            organization=unit,
        )
        for i in range(n)
    )
    devices = Device.objects.bulk_create(
        Device(kind=DeviceKind.USB_TOKEN, serial=f"TK{i:08d}", agency=agency) for i in range(n)
    )
    return agency, operator, people, devices


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="certificates per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each CA measurement")
    parser.add_argument("--crl", type=int, default=CRL_ENTRIES, help="entries of the big CRL")
    parser.add_argument("--openssl-seconds", type=int, default=3)
    args = parser.parse_args()

    with throwaway_database("bench_ca_") as connection:
        run(args, connection)


def run(args, connection) -> None:
    from django.conf import settings
    from django.utils import timezone

    from certificates import services
    from certificates.choices import CertStatus, RevocationReason, SubjectKind
    from certificates.models import Certificate

    n = args.n
    agency, operator, people, devices = build_world(n)
    services.ca_initialize(by=operator)
    algorithm = settings.CA_SUBSCRIBER_KEY_ALGORITHM

    def release(keys):
        """Free the keys for the next run, as a renewal would (old certificate superseded)."""
        Certificate.objects.filter(key__in=keys, status=CertStatus.VALID).update(
            status=CertStatus.REVOKED,
            revoked_at=timezone.now(),
            revocation_reason=RevocationReason.SUPERSEDED,
        )

    def orders(persons, keys):
        return [
            services.IssueOrder(
                subject_kind=SubjectKind.PERSON,
                agency=agency,
                person=person,
                device=key.device,
                device_key=key,
            )
            for person, key in zip(persons, keys, strict=True)
        ]

    def openssl_rates() -> tuple[float, float]:
        return (
            openssl_rsa2048_sign_rate(args.openssl_seconds),
            openssl_rsa2048_sign_rate(args.openssl_seconds, elapsed=True),
        )

    print(f"openssl speed -seconds {args.openssl_seconds} rsa2048 (before) …", flush=True)
    openssl_before = openssl_rates()

    # 2. The devices generate their keys (on a real token: on the token).
    print(f"{n} devices generate their {algorithm} key pairs …", flush=True)
    with Clock() as keygen:
        keys = [
            services.device_key_generate(device=device, by=operator, algorithm=algorithm)
            for device in devices
        ]

    # 3. The CA issues for keys already on the devices.
    def timed_batches(size: int) -> list[Clock]:
        runs = []
        for _ in range(args.repeat):
            release(keys)
            with Clock() as clock:
                for i in range(0, n, size):
                    services.certificate_issue_batch(
                        orders=orders(people[i : i + size], keys[i : i + size]), by=operator
                    )
            runs.append(clock)
        return runs

    print("CA issuance …", flush=True)
    ca_side = [
        (f"certificate_issue_batch, one batch of {n}", timed_batches(n)),
        (f"certificate_issue_batch, letters of {LETTER_ROWS} rows", timed_batches(LETTER_ROWS)),
    ]
    release(keys)
    with Clock() as one_by_one:
        for person, key in zip(people, keys, strict=True):
            services.certificate_issue(
                subject_kind=SubjectKind.PERSON,
                agency=agency,
                person=person,
                device=key.device,
                device_key=key,
                by=operator,
            )
    ca_side.append(("certificate_issue, one at a time", [one_by_one]))

    # 4. End to end, the key generated during issuance.
    end_to_end = []
    for key_algorithm, persons in (("rsa2048", people[: max(1, n // 4)]), ("ec_p256", people)):
        with Clock() as clock:
            services.certificate_issue_batch(
                orders=[
                    services.IssueOrder(
                        subject_kind=SubjectKind.PERSON,
                        agency=agency,
                        person=person,
                        key_algorithm=key_algorithm,
                    )
                    for person in persons
                ],
                by=operator,
            )
        end_to_end.append(
            (f"{len(persons)} certificates, {key_algorithm} device keys", len(persons), clock)
        )

    print(f"openssl speed -seconds {args.openssl_seconds} rsa2048 (after) …", flush=True)
    openssl_after = openssl_rates()
    # The less flattering reference of the two measurements, for each clock.
    openssl_cpu = max(openssl_before[0], openssl_after[0])
    openssl_wall = max(openssl_before[1], openssl_after[1])

    # 5. A CRL of 100,000 entries.
    print(f"Inserting {args.crl:,} revoked certificates …", flush=True)
    issuing = Certificate.objects.filter(issuer__isnull=False).first().issuer
    already = Certificate.objects.on_crl_of(issuing).count()  # superseded by the runs above
    now = timezone.now()
    reasons = [
        RevocationReason.KEY_COMPROMISE,
        RevocationReason.SUPERSEDED,
        RevocationReason.RETIRED,
    ]
    Certificate.objects.bulk_create(
        (
            Certificate(
                serial=format(secrets.randbits(126) | (1 << 126), "X"),
                subject_kind=SubjectKind.DEVICE_SERVICE,
                common_name=f"Dịch vụ {i}",
                agency=agency,
                issuer=issuing,
                not_before=now - timedelta(days=100),
                not_after=now + timedelta(days=900),
                status=CertStatus.REVOKED,
                revoked_at=now - timedelta(minutes=i % 5000),
                revocation_reason=reasons[i % 3],
            )
            for i in range(args.crl - already)
        ),
        batch_size=5000,
    )
    crl_runs = []
    profile = os.environ.get("BENCH_PROFILE")  # a cProfile of the last CRL run, to this file
    for run_number in range(2):
        profiler = cProfile.Profile() if profile and run_number == 1 else None
        with Clock() as clock:
            if profiler:
                profiler.enable()
            crl = services.crl_publish(authority=issuing, force=True)
            if profiler:
                profiler.disable()
        crl_runs.append(clock)
        if profiler:
            profiler.dump_stats(profile)

    # Report.
    def line(label: str, count: int, clocks: list[Clock]) -> tuple[float, float]:
        wall = max(rate(count, c.wall) for c in clocks)
        cpu = max(rate(count, c.cpu) for c in clocks)
        print(
            f"  {label:44s} {wall:7.0f}/s wall = {100 * wall / openssl_wall:5.1f} %"
            f"   {cpu:7.0f}/s CPU = {100 * cpu / openssl_cpu:5.1f} %"
        )
        return 100 * wall / openssl_wall, 100 * cpu / openssl_cpu

    print()
    print(
        f"Database: {connection.vendor}; issuing CA key: {settings.CA_ISSUING_KEY_ALGORITHM}; "
        f"N = {n}; best of {args.repeat} runs; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        "openssl speed rsa2048, same run (before / after): "
        f"{openssl_before[0]:.0f} / {openssl_after[0]:.0f} sign/s by CPU time (openssl's "
        f"default), {openssl_before[1]:.0f} / {openssl_after[1]:.0f} by wall clock (-elapsed)"
    )
    print(
        "Our rates are compared clock for clock with the higher openssl figure. CPU time is this "
        "process only (with PostgreSQL the server's work is not in it: trust the wall clock)."
    )
    print(f"Devices generating {algorithm} key pairs (generation, encryption at rest, audit):")
    line(f"{n} keys (on the token in reality)", n, [keygen])
    print("CA issuance for keys already on the devices (sign, registry, history, audit, commit):")
    ratios = [line(label, n, clocks) for label, clocks in ca_side]
    best_wall, best_cpu = max(r[0] for r in ratios), max(r[1] for r in ratios)
    print("End to end, the device key generated during issuance (one batch):")
    for label, count, clock in end_to_end:
        line(label, count, [clock])
    crl_wall = min(c.wall for c in crl_runs)
    print(
        f"CRL of {crl.entry_count:,} entries published (read rows, build in one pass, sign, "
        f"store): {crl_wall:.2f} s wall, {min(c.cpu for c in crl_runs):.2f} s CPU "
        f"(runs: {', '.join(f'{c.wall:.2f}' for c in crl_runs)} s); "
        f"{len(bytes(crl.der)) / 1e6:.1f} MB DER"
    )
    print()
    print(
        "Goal ≥ 40 % of openssl's RSA-2048 sign rate, CA side: "
        f"by CPU time {best_cpu:.1f} % ({verdict(best_cpu >= 40)}), "
        f"by wall clock {best_wall:.1f} % ({verdict(best_wall >= 40)}; "
        "meaningful only on an idle machine)"
    )
    print(
        f"Goal CRL of {args.crl:,} entries ≤ 3 s: "
        f"{verdict(crl_wall <= 3 and crl.entry_count >= args.crl)} by wall clock "
        f"({crl_wall:.2f} s; {min(c.cpu for c in crl_runs):.2f} s CPU)"
    )


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
