"""Benchmark of the remote-signing service (docs/remote-signing.md, "The CSC API").

    python bench/bench_remote_signing.py [--holders 100] [--hashes 10] [--credentials 1000000]

Needs PostgreSQL (DATABASE_URL=postgres://…). Runs in a throw-away database and a throw-away
SoftHSM2 token store (its own SOFTHSM2_CONF: the CA's HSM slot and the remote-signing slot of
this run), so it never touches real data. Not timed: the simulated CA issues an RSSP
certificate to each of `--holders` people of one agency (the key pair generated in the HSM's
subscriber slot), each holder activates it with the CA's code and a PIN, gets an OAuth token
for a client application (written to the database: the authorization-code flow is not what is
measured), and `--credentials` more credentials are written into the registry by SQL so that
every lookup below finds its row among that many. Then gunicorn serves the portal with the
shipped command line (Dockerfile: `--workers 3`, production settings, database connections kept
and the cache in Redis as .env.example has them), and the holders' client
applications call it over HTTP on loopback:

1. **signHash round trip**: one `signatures/signHash` of one hash per holder, each with an
   authorisation obtained just before (not timed), one at a time: the client's wall time of
   the POST (the service: token, credential, authorisation checked on the locked row, the
   signature in the HSM, the audit). Goal p95 ≤ 50 ms; the human's PIN and code excluded.
2. **100 holders at once**: every holder, each on a thread of its own and all started
   together, authorises `--hashes` hashes (`credentials/authorize` with the PIN and a fresh
   authenticator code) and signs them with one `signatures/signHash`. Signatures per second =
   all the hashes signed / wall time from the first request to the last answer. Goal ≥ 100/s
   on two cores. Printed beside it, measured in the same run in this process: the HSM's share
   (the same number of signatures made by the slot one after another, C_Sign only) and the
   PIN checks' (one HMAC in the slot per authorisation).
3. **Credential lookup** among the registry's credentials: `credentials/info` for a holder's
   credential, one at a time; its p95 (goal ≤ 50 ms), and the plan of the lookup's query
   (an index scan, not a scan of the table).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from _setup import ROOT, configure, throwaway_database, throwaway_token_store  # noqa: E402 - bench/ is on the path

configure()
from tests.remote_signing.authenticator import Authenticator  # noqa: E402 - no Django in it

# The run's own token store, set before the portal loads the PKCS#11 module; gunicorn's
# workers inherit it and find the keys made here.
TOKENS = throwaway_token_store("bench-remote-signing-")

GOAL_SIGN_HASH_P95 = 0.050
GOAL_PER_SECOND = 100.0
GOAL_LOOKUP_P95 = 0.050
PIN = "24681357"
SHA256 = "2.16.840.1.101.3.4.2.1"
RSA = "1.2.840.113549.1.1.1"
BIN = Path(sys.executable).parent


class Holder(Authenticator):
    """One holder's client application: their token, credential, PIN and authenticator."""

    def __init__(self, url: str, token: str, credential_id: str, secret: str):
        super().__init__(secret)
        self.url, self.token, self.credential_id = url, token, credential_id

    def post(self, method: str, body: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}/csc/v1/{method}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 - loopback
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method}: {error.code} {error.read()[:300]!r}") from error

    def authorize(self, hashes: list[str]) -> str:
        return self.post(
            "credentials/authorize",
            {"credentialID": self.credential_id, "numSignatures": len(hashes), "hash": hashes,
             "PIN": PIN, "OTP": self.code(), "hashAlgorithmOID": SHA256},
        )["SAD"]  # fmt: skip

    def sign(self, sad: str, hashes: list[str]) -> list[str]:
        return self.post(
            "signatures/signHash",
            {"credentialID": self.credential_id, "SAD": sad, "hash": hashes, "hashAlgo": SHA256,
             "signAlgo": RSA},
        )["signatures"]  # fmt: skip


def hashes_of(label: str, n: int) -> list[str]:
    return [
        base64.b64encode(hashlib.sha256(f"{label}-{i}".encode()).digest()).decode()
        for i in range(n)
    ]


def holders_issued(n: int) -> list[tuple[str, str, str]]:
    """n people of one agency, each with an activated RSSP credential and an OAuth token:
    (token, credential id, authenticator secret) each."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization, Person
    from certificates import services as ca
    from certificates.choices import SubjectKind
    from devices.choices import DeviceKind
    from devices.models import RemoteCredential
    from devices.services import device_deliver_for_certificate
    from remote_signing import services

    users = get_user_model().objects
    province = Organization.objects.create(kind=OrgKind.PROVINCE, name="Tỉnh Lai Châu")
    agency = Organization.objects.create(
        kind=OrgKind.AGENCY, name="Sở Tài chính tỉnh Lai Châu", parent=province
    )
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = users.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    ca.ca_initialize(by=operator)
    application = get_application_model().objects.create(
        name="bench signer", client_type="public", authorization_grant_type="authorization-code",
        redirect_uris="https://signer.example/callback", user=operator,
    )  # fmt: skip
    found = []
    for i in range(n):
        user = users.create(username=f"bench_holder_{i}")
        person = Person.objects.create(
            full_name=f"Cán bộ {i}", national_id=f"1{i:011d}", organization=agency, user=user,
            official_email=f"canbo{i}@stc.laichau.gov.vn", position="Chuyên viên",
        )  # fmt: skip
        device = device_deliver_for_certificate(
            kind=DeviceKind.RSSP, agency=agency, holder=person, by=operator
        )
        ca.certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=agency, person=person, device=device,
            by=operator,
        )  # fmt: skip
        credential = RemoteCredential.objects.get(device=device)
        code = services.activation_code_issue(credential=credential, by=operator)
        secret = services.credential_activate(credential=credential, code=code, pin=PIN, by=user)
        token = secrets.token_urlsafe(32)
        get_access_token_model().objects.create(
            user=user, application=application, token=token, scope="service credential",
            expires=timezone.now() + timedelta(hours=2),
        )  # fmt: skip
        found.append((token, credential.credential_id, secret))
    return found


def registry_filled(connection, total: int) -> int:
    """`total` more credentials in the registry, each on a device of its own (SQL, in one
    statement each: what a national CA's registry holds, not keys in the HSM)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO devices_device (kind, serial, iccid, phone, carrier, status, created_at)
            SELECT 'rssp', 'BENCH-RSSP-' || g, '', '', '', 'delivered_to_agency', now()
            FROM generate_series(1, %s) AS g
            """,
            [total],
        )
        cursor.execute(
            """
            INSERT INTO devices_remotecredential
                (device_id, credential_id, state, key_algorithm, public_key_der, keyed_at,
                 created_at)
            SELECT d.id, md5(d.serial), 'issued', 'rsa2048', '\\x00'::bytea, now(), now()
            FROM devices_device d WHERE d.serial LIKE 'BENCH-RSSP-%%'
            """
        )
        cursor.execute("ANALYZE devices_device")
        cursor.execute("ANALYZE devices_remotecredential")
        cursor.execute("SELECT count(*) FROM devices_remotecredential")
        return cursor.fetchone()[0]


def lookup_plan(connection, credential_id: str) -> str:
    """The plan of the service's lookup of a holder's credential (remote_signing/api/csc.py)."""
    from devices.models import RemoteCredential

    query = RemoteCredential.objects.select_related("device__holder").filter(
        credential_id=credential_id
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return " / ".join(row[0].strip() for row in cursor.fetchall()[:3])


def hsm_seconds(credential_ids: list[str], per_holder: int) -> float:
    """The slot's own time for the signatures of phase 2: C_Sign one after another."""
    from certificates.backends import get_backend
    from devices.models import RemoteCredential

    backend = get_backend()
    digest = hashlib.sha256(b"hsm share").digest()
    credentials = list(RemoteCredential.objects.filter(credential_id__in=credential_ids))

    def sign(credential, count: int) -> None:
        backend.remote_hashes_sign(
            credential_id=credential.credential_id,
            public_key_der=bytes(credential.public_key_der),
            digests=[digest] * count,
            hash_name="sha256",
        )

    sign(credentials[0], 1)  # the session opened
    started = time.perf_counter()
    for credential in credentials:
        sign(credential, per_holder)
    return time.perf_counter() - started


def pin_check_seconds(rounds: int) -> float:
    """The slot's own time for the PIN checks of phase 2: one HMAC in the HSM each."""
    from certificates.backends import get_backend

    backend = get_backend()
    backend.remote_pin_mac(data=b"warm")
    started = time.perf_counter()
    for i in range(rounds):
        backend.remote_pin_mac(data=f"remote-signing-pin\x00{i}\x00{PIN}".encode())
    return time.perf_counter() - started


def serve(database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_SECURE_COOKIES": "0",
        # as .env.example has them: connections kept, the shared cache in Redis
        "DATABASE_CONN_MAX_AGE": "60",
        "PORTAL_CACHE_URL": os.environ.get("PORTAL_CACHE_URL", os.environ.get("REDIS_URL", "")),
    }
    process = subprocess.Popen(
        [BIN / "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--access-logfile", str(log)],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live/", timeout=2)  # noqa: S310
            return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not answer /health/live/ within a minute")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def verdict(met: bool) -> str:
    return "goal met" if met else "goal NOT met"


def run(args) -> bool:
    with throwaway_database("bench-remote-signing-") as connection:
        if connection.vendor != "postgresql":
            raise SystemExit("bench_remote_signing needs PostgreSQL: DATABASE_URL=postgres://…")
        started = time.perf_counter()
        issued = holders_issued(args.holders)
        print(
            f"{args.holders} holders issued and activated in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        total = registry_filled(connection, args.credentials)
        print(f"registry: {total:,} credentials ({time.perf_counter() - started:.0f} s to write)")
        plan = lookup_plan(connection, issued[0][1])
        settings = connection.settings_dict
        database_url = (
            f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        log = TOKENS / "access.log"
        server = serve(database_url, args.port, log)
        try:
            url = f"http://127.0.0.1:{args.port}"
            holders = [Holder(url, *found) for found in issued]

            # 2. every holder at once (first: each authenticator step is good once)
            barrier = threading.Barrier(len(holders) + 1)
            signed: list[int] = []
            errors: list[str] = []

            def round_of(holder: Holder, index: int) -> None:
                hashes = hashes_of(f"at-once-{index}", args.hashes)
                barrier.wait()
                try:
                    signed.append(len(holder.sign(holder.authorize(hashes), hashes)))
                except Exception as error:  # noqa: BLE001 - counted and printed
                    errors.append(str(error))

            threads = [
                threading.Thread(target=round_of, args=(holder, i))
                for i, holder in enumerate(holders)
            ]
            for thread in threads:
                thread.start()
            barrier.wait()
            started = time.perf_counter()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            per_second = sum(signed) / wall

            # 1. signHash one at a time, each authorised just before
            round_trips = []
            for i, holder in enumerate(holders):
                hashes = hashes_of(f"one-{i}", 1)
                sad = holder.authorize(hashes)
                started = time.perf_counter()
                holder.sign(sad, hashes)
                round_trips.append(time.perf_counter() - started)

            # 3. credentials/info among the registry's credentials
            lookups = []
            for holder in holders:
                started = time.perf_counter()
                holder.post("credentials/info", {"credentialID": holder.credential_id})
                lookups.append(time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(timeout=30)
        hsm = hsm_seconds([found[1] for found in issued], args.hashes)
        pin = pin_check_seconds(args.holders)

    ms = 1000
    sign_p95, lookup_p95 = p95(round_trips), p95(lookups)
    rate_met = per_second >= GOAL_PER_SECOND and not errors
    print(
        f"\nremote signing, gunicorn --workers 3 on loopback, {os.cpu_count()} cores, "
        f"{total:,} credentials in the registry"
    )
    print(
        f"  signHash round trip (1 hash, {len(round_trips)} holders one at a time): "
        f"p50 {statistics.median(round_trips) * ms:.1f} ms, p95 {sign_p95 * ms:.1f} ms "
        f"(goal p95 ≤ {GOAL_SIGN_HASH_P95 * ms:.0f} ms): {verdict(sign_p95 <= GOAL_SIGN_HASH_P95)}"
    )
    print(
        f"  {args.holders} holders at once, {args.hashes} hashes each (authorize + signHash): "
        f"{sum(signed)} signatures in {wall:.2f} s = {per_second:.0f}/s, {len(errors)} errors "
        f"(goal ≥ {GOAL_PER_SECOND:.0f}/s, 0 errors): {verdict(rate_met)}"
    )
    print(
        f"    same run, one after another in this process: the HSM's C_Sign for those "
        f"{args.holders * args.hashes} signatures {hsm:.2f} s ({hsm / wall:.0%} of the wall "
        f"time); the PIN checked {args.holders} times in the HSM {pin:.2f} s "
        f"({pin / wall:.0%})"
    )
    for error in errors[:3]:
        print(f"    error: {error}")
    print(
        f"  credentials/info among {total:,} credentials: p50 "
        f"{statistics.median(lookups) * ms:.1f} ms, p95 {lookup_p95 * ms:.1f} ms "
        f"(goal p95 ≤ {GOAL_LOOKUP_P95 * ms:.0f} ms): {verdict(lookup_p95 <= GOAL_LOOKUP_P95)}"
    )
    print(f"    the lookup's plan: {plan}")
    return sign_p95 <= GOAL_SIGN_HASH_P95 and rate_met and lookup_p95 <= GOAL_LOOKUP_P95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=100)
    parser.add_argument("--hashes", type=int, default=10, help="hashes per authorisation")
    parser.add_argument("--credentials", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8767, help="gunicorn's, on 127.0.0.1")
    args = parser.parse_args()
    met = run(args)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
