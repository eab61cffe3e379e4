"""Benchmark of the time-stamping authority (RFC 3161), through the service layer.

    python bench/bench_tsa.py --n 1000 [--key rsa2048|ec_p256]

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set) and its own SoftHSM2 token store, so it
never touches real data or var/tokens. Makes the key ceremony (the TSA's key generated in the
CA's HSM slot), then answers N time-stamp requests (SHA-256 imprint, nonce, certReq) one after
the other with `certificates.services.timestamp_respond`, in process: parsing, the Timestamp
row and its monitor event, the TSTInfo and CMS built, C_Sign on the token, committed. Prints
timestamp requests per second, wall clock and CPU, next to the bare C_Sign rate of the same key.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import tempfile

import _setup
from bench_ca import Clock


def configure(key: str) -> None:
    _setup.configure()
    os.environ["CA_TSA_KEY_ALGORITHM"] = key
    os.environ.pop("SOFTHSM2_CONF", None)
    os.environ["PORTAL_TOKEN_DIR"] = tempfile.mkdtemp(prefix="bench-tsa-tokens-")


def requests(n: int) -> list[bytes]:
    from asn1crypto import tsp

    return [
        tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": hashlib.sha256(f"van ban {i}".encode()).digest(),
                },
                "nonce": secrets.randbits(64),
                "cert_req": True,
            }
        ).dump()
        for i in range(n)
    ]


def run(args, connection) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from django.conf import settings

    from certificates import services
    from certificates.backends.ca_keys import load_timestamp_unit
    from certificates.models import SigningEvent, Timestamp, TimestampUnit

    with Clock() as ceremony:
        services.ca_initialize()
    unit = TimestampUnit.objects.get(is_active=True)
    key = load_timestamp_unit(unit).private_key
    print(
        f"Database: {connection.vendor}; CA_KEY_STORE {settings.CA_KEY_STORE}; TSA key "
        f"{unit.key_algorithm} ({type(key).__name__}); ceremony {ceremony.wall:.2f} s"
    )

    def sign_once():
        if isinstance(key, rsa.RSAPrivateKey):
            key.sign(b"x", padding.PKCS1v15(), hashes.SHA256())
        else:
            key.sign(b"x", ec.ECDSA(hashes.SHA256()))

    sign_once()  # the token's session opened, the key found
    with Clock() as signing:
        for _ in range(args.n):
            sign_once()
    print(f"bare C_Sign: {args.n / signing.wall:8.1f} signatures/s (CPU {signing.cpu:.2f} s)")

    bodies = requests(args.n)
    services.timestamp_respond(request_der=bodies[0])  # warm: caches, prepared statements
    before = Timestamp.objects.count()
    with Clock() as answering:
        for body in bodies:
            reply = services.timestamp_respond(request_der=body)
            if not reply.granted:
                raise SystemExit(f"request refused: {reply.failure}")
    assert Timestamp.objects.count() - before == args.n
    print(
        f"timestamp requests: {args.n / answering.wall:8.1f} requests/s "
        f"({args.n} sequential, {answering.wall:.2f} s wall, CPU {answering.cpu:.2f} s, "
        f"{1000 * answering.wall / args.n:.2f} ms a token)"
    )
    print(f"rows: {Timestamp.objects.count()} timestamps, {SigningEvent.objects.count()} events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="time-stamp requests answered")
    parser.add_argument("--key", default="rsa2048", help="the TSA's key: rsa2048 or ec_p256")
    args = parser.parse_args()
    configure(args.key)
    with _setup.throwaway_database("bench-tsa-") as connection:
        run(args, connection)


if __name__ == "__main__":
    main()
