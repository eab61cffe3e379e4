"""Subscribers' keys on PKCS#11 tokens (docs/ca.md, "Subscribers' tokens"), on a throw-away
SoftHSM2 store and database:

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_tokens.py [--personalise N]
        [--rows N] [--empty-rows N]

1. personalising N tokens (100): for each, a new token, its key pair generated inside it,
   the PKCS#10 request signed on it, the certificate issued from it and written back
   (`certificate_issue_batch`, one batch: what a chunk of a letter does);
2. keying ahead: the beat job's service (`device_tokens_key_ahead`) on N stock USB tokens,
   printed as tokens per minute (the software key pool it replaces refilled 100 keys a minute);
3. processing an N-row Mẫu 01 (1,000 rows, USB tokens) from "Xử lý" to done with the stock
   keyed ahead: each row only signs its request on the token, gets its certificate and writes
   it back (goal ≤ 10 s, as with the key pool);
4. the same letter with an empty stock (`--empty-rows`, 1,000 by default): every row's token
   is created and keyed during processing (no goal; the figure the keying ahead avoids).

Prints each figure with its goal; checks every row done with one certificate on its token.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import _setup
from bench_ca import Clock

GOAL_SECONDS = 10.0
POOL_RATE_PER_MINUTE = 100  # the software key pool's refill (docs/scale.md §12.3)


# Where the throw-away SoftHSM2 store goes: tmpfs when the machine has one. SoftHSM2's file
# store rewrites a token's object files by truncating them, which ext4 flushes to the disk at
# once (auto_da_alloc): 10-25 ms of waiting per object written on this machine's disk, against
# about 1 ms on tmpfs. That wait is the simulation's storage, not the portal's work nor a real
# token's (the certificate goes onto a USB token's own flash); `--token-dir` measures it anyway.
TMPFS = "/dev/shm"


def configure(token_parent: str | None = None) -> None:
    _setup.configure()
    os.environ["PORTAL_SUBSCRIBER_KEY_STORE"] = "token"
    # Its own token store: thousands of throw-away tokens never land in var/tokens.
    os.environ.pop("SOFTHSM2_CONF", None)
    parent = token_parent or (TMPFS if os.path.isdir(TMPFS) else None)
    os.environ["PORTAL_TOKEN_DIR"] = tempfile.mkdtemp(prefix="bench-tokens-", dir=parent)


def build_world():
    from _letters import build_agency
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from certificates.services import ca_initialize

    world = build_agency()
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    ca_initialize(by=operator)
    return world, operator


def stock(n: int, prefix: str, operator, *, agency=None) -> list:
    """N USB tokens entering the CA's stock (the stock import's rows, in one write); with
    `agency`, already delivered to it (out of the stock a letter takes from)."""
    from django.utils import timezone

    from devices.choices import DeviceKind, DeviceStatus
    from devices.models import CustodyRecord, Device

    devices = Device.objects.bulk_create(
        [
            Device(
                kind=DeviceKind.USB_TOKEN,
                serial=f"{prefix}{i:06d}",
                agency=agency,
                status=DeviceStatus.DELIVERED_TO_AGENCY if agency else DeviceStatus.IN_CA_STOCK,
            )
            for i in range(n)
        ]
    )
    CustodyRecord.objects.bulk_create(
        CustodyRecord(
            device=device, status=DeviceStatus.IN_CA_STOCK, holder_kind="ca",
            held_from=timezone.now(), handed_by=operator,
        )
        for device in devices
    )  # fmt: skip
    return devices


def accepted_letter(world, operator, rows: int, number: int):
    """An issued Mẫu 01 of `rows` people asking for USB tokens, forwarded and accepted."""
    from _letters import issued_letter
    from django.utils import timezone

    from requests_app.choices import FormKind, Outcome, Status
    from requests_app.models import CertRequest

    letter_pk = issued_letter(world, FormKind.ISSUE_PERSON, rows, number, distinct=True)
    CertRequest.objects.filter(pk=letter_pk).update(
        status=Status.FORWARDED, received_on=timezone.localdate(), forwarded_at=timezone.now()
    )
    letter = CertRequest.objects.get(pk=letter_pk)
    letter.rows.update(
        sim_carrier="", outcome=Outcome.ACCEPTED, decided_by=operator, decided_at=timezone.now()
    )
    return letter


def process(letter, operator) -> Clock:
    from requests_app.services import processing

    queued: list[int] = []
    processing.enqueue_processing = lambda pk: queued.append(pk) or True
    with Clock() as clock:
        processing.cert_request_process(cert_request=letter, by=operator)
        for pk in queued:
            processing.cert_request_run_processing(cert_request_id=pk)
    letter.refresh_from_db()
    return clock


def check_letter(letter) -> tuple[int, bool]:
    """Rows done, and whether each row's certificate is the one on its device's token."""
    from devices.models import DeviceToken
    from devices.services.tokens import unseal
    from portal.lib import pkcs11 as p11
    from requests_app.choices import Outcome

    rows = list(letter.rows.select_related("result_certificate", "result_device"))
    done = sum(1 for row in rows if row.outcome == Outcome.DONE)
    on_tokens = True
    for row in rows[:: max(1, len(rows) // 20)]:  # a sample of 20: each reads its token
        token = DeviceToken.objects.get(device=row.result_device)
        with p11.session(token.serial, user_pin=unseal(token.pin_envelope)) as session:
            on_tokens &= p11.certificates(session) == [bytes(row.result_certificate.der)]
    return done, on_tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--personalise", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--empty-rows", type=int, default=1000)
    parser.add_argument(
        "--token-dir", help="parent folder of the throw-away SoftHSM2 store (default: tmpfs)"
    )
    parser.add_argument(
        "--from-template", help="a copy of this database (bench/run's dataset), not an empty one"
    )
    args = parser.parse_args()
    store = Path(os.environ["PORTAL_TOKEN_DIR"])
    try:
        with _setup.throwaway_database("bench-tokens-", template=args.from_template) as connection:
            return run(args, connection)
    finally:  # the throw-away store (on tmpfs: memory) and the softhsm2.conf beside it
        shutil.rmtree(store, ignore_errors=True)
        store.with_name(f"{store.name}.softhsm2.conf").unlink(missing_ok=True)


def run(args, connection) -> int:
    from django.conf import settings

    from certificates.choices import SubjectKind
    from certificates.services import IssueOrder, certificate_issue_batch
    from devices.models import DeviceToken
    from devices.services import device_tokens_key_ahead
    from portal.audit import audit_verify
    from requests_app.choices import Status

    world, operator = build_world()
    algorithm = settings.CA_SUBSCRIBER_KEY_ALGORITHM
    print(
        f"Database: {connection.vendor}; SoftHSM2 store {settings.PKCS11_TOKEN_DIR}; "
        f"keys {algorithm}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )

    # 1. Personalising N tokens, keys generated inside them, in one issuance batch.
    n = args.personalise
    devices = stock(n, "PZ", operator, agency=world[0])
    orders = [
        IssueOrder(
            subject_kind=SubjectKind.DEVICE_SERVICE, agency=world[0],
            common_name=f"Máy chủ ký số {i}", device=device,
        )
        for i, device in enumerate(devices)
    ]  # fmt: skip
    print(f"personalising {n} tokens …", flush=True)
    with Clock() as personalising:
        certificate_issue_batch(orders=orders, by=operator)
    personalised = DeviceToken.objects.filter(device__in=devices, state="personalised").count()

    # 2. Keying ahead the stock a letter of N rows will take.
    rows = args.rows
    stock(rows, "KA", operator)
    print(f"keying ahead {rows:,} stock tokens …", flush=True)
    with Clock() as keying:
        keyed = device_tokens_key_ahead(limit=rows, by=operator)
    rate = keyed / keying.wall * 60 if keying.wall else 0.0

    # 3. The letter with the stock keyed ahead.
    letter = accepted_letter(world, operator, rows, 1)
    print(f"processing a {rows:,}-row Mẫu 01 with the stock keyed ahead …", flush=True)
    load_before = os.getloadavg()[0]
    keyed_clock = process(letter, operator)
    load_after = os.getloadavg()[0]
    keyed_done, keyed_on_tokens = check_letter(letter)
    keyed_ok = letter.status == Status.DONE and keyed_done == rows and keyed_on_tokens

    # 4. The same with an empty stock: every token made during processing.
    empty_rows = args.empty_rows
    empty_clock = None
    if empty_rows:
        empty = accepted_letter(world, operator, empty_rows, 2)
        print(f"processing a {empty_rows:,}-row Mẫu 01 with an empty stock …", flush=True)
        empty_clock = process(empty, operator)
        empty_done, empty_on_tokens = check_letter(empty)
    verified = audit_verify()

    print()
    print(
        f"Personalising {n} tokens (token created, key pair generated inside, PKCS#10 signed "
        f"on it, certificate issued and written back): {personalising.wall:.1f} s wall, "
        f"{1000 * personalising.wall / n:.0f} ms a token; {personalised} of {n} personalised"
    )
    print(
        f"Keying ahead: {keyed:,} tokens in {keying.wall:.1f} s wall ({keying.cpu:.1f} s CPU, "
        f"SoftHSM2 included: it runs in this process): {rate:.0f} tokens a minute "
        f"(the software key pool refilled {POOL_RATE_PER_MINUTE} keys a minute)"
    )
    print(
        f"{rows:,}-row Mẫu 01, stock keyed ahead: {keyed_clock.wall:.2f} s wall, "
        f"{keyed_clock.cpu:.2f} s CPU, {rows / keyed_clock.wall:.0f} rows/s; load "
        f"{load_before:.1f} → {load_after:.1f}; {keyed_done:,} rows done; certificates on "
        f"their tokens (sample of 20): {'yes' if keyed_on_tokens else 'NO'}"
    )
    if empty_clock is not None:
        print(
            f"{empty_rows:,}-row Mẫu 01, empty stock: {empty_clock.wall:.1f} s wall, "
            f"{empty_clock.cpu:.1f} s CPU, {empty_rows / empty_clock.wall:.1f} rows/s; "
            f"{empty_done:,} rows done; on their tokens: {'yes' if empty_on_tokens else 'NO'}"
        )
    print(f"audit_verify: {verified.message}")
    met = keyed_ok and keyed_clock.wall <= GOAL_SECONDS and rows >= 1000
    print()
    print(
        f"Goal 1,000-row letter with keyed-ahead stock in ≤ {GOAL_SECONDS:.0f} s: "
        f"{'goal met' if met else 'goal NOT met'} ({keyed_clock.wall:.2f} s for {rows:,} rows"
        f"{'' if keyed_ok else ', rows not all done on their tokens'})"
    )
    print(
        f"Keying ahead faster than the key pool it replaces ({POOL_RATE_PER_MINUTE}/min): "
        f"{'yes' if rate >= POOL_RATE_PER_MINUTE else 'no'} ({rate:.0f}/min)"
    )
    return 0 if met and verified.ok else 1


if __name__ == "__main__":
    configure(token_parent=next(
        (arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("--token-dir=")), None
    ))  # fmt: skip
    sys.exit(main())
