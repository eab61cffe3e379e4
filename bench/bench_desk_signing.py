"""Benchmark of the portal's share of one signing round trip at the signer's desk (docs/ca.md,
"Signing at the signer's desk").

    python bench/bench_desk_signing.py [--n 30]

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set) and a throw-away SoftHSM2 token store (its
own SOFTHSM2_CONF, which also holds the CA's HSM slot for this run), so it never touches real
data. Issues the head's personal certificate and the agency's seal through the simulated CA and
puts each on a SoftHSM2 token of its own (the key imported with `softhsm2-util`, as
tests/browser/test_desk_signing.py does until certificates are issued onto tokens). Then N
Mẫu 01 letters (3 rows) are issued "to be signed with the head's own device" and rendered by the
worker's task (not timed), and for each letter both rounds run as the page drives them:

1. prepare (`letter_desk_prepare`: the letter locked and checked, the signature field and its
   stamp added to the PDF, the byte range digested, the signed attributes built, the request
   stored and audited) — the portal;
2. the token signs the digest (`portal.lib.pkcs11`: open a session and log in with the PIN,
   find the key, C_Sign), standing in for the signing client with its PIN prompt left out —
   NOT the portal's share, printed apart;
3. complete (`letter_desk_complete`: the request locked and checked, the signature checked
   over the prepared attributes, the CMS embedded, the result verified with `verify_pdf`; after
   the seal the signed PDF inspected and stored and the letter handed to the Sở KH&CN) — the
   portal.

Prints the median and 95th percentile of the portal's share (prepare + complete, head and
seal) per letter, of each step, and of the token's signing. Goal (docs/architecture.md §12):
the portal's share of one letter's desk signing at most 300 ms (median), PIN prompt excluded.
The JSON endpoints around the services add only their base64 and JSON.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _letters import build_agency, issued_letter  # noqa: E402 - bench/ is on the path
from _setup import configure, throwaway_database  # noqa: E402

configure()
# The run's own token store, set before the portal loads the PKCS#11 module.
TOKENS = Path(tempfile.mkdtemp(prefix="bench-desk-signing-"))
(TOKENS / "tokens").mkdir()
(TOKENS / "softhsm2.conf").write_text(
    f"directories.tokendir = {TOKENS / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
)
os.environ["SOFTHSM2_CONF"] = str(TOKENS / "softhsm2.conf")

GOAL = 0.300
PIN = "73915284"
SO_PIN = "48261739"
KEY_ID = b"\x01"
STEPS = ("prepare head", "complete head", "prepare seal", "complete seal")


def certificates(world):
    """The head's personal certificate and the agency's seal, issued by the simulated CA."""
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from certificates import services
    from certificates.choices import SubjectKind

    agency, _clerk, head = world
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    services.ca_initialize(by=operator)
    personal = services.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=agency, person=head.person, by=operator
    )
    seal = services.certificate_issue(
        subject_kind=SubjectKind.ORGANIZATION, agency=agency, by=operator
    )
    return personal, seal


def on_token(label: str, certificate, by) -> str:
    """A SoftHSM2 token holding `certificate`'s key (imported: the stand-in, see the module);
    returns its serial."""
    from cryptography.hazmat.primitives import serialization

    from certificates import services
    from portal.lib import pkcs11

    key = services.certificate_signing_material(certificate=certificate, by=by).private_key
    key_file = TOKENS / f"{label}.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    try:
        for args in (
            ["--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", PIN],
            ["--import", str(key_file), "--token", label, "--label", label, "--id", "01",
             "--pin", PIN],
        ):  # fmt: skip
            subprocess.run(["softhsm2-util", *args], check=True, capture_output=True)
    finally:
        key_file.unlink()
    pkcs11.rescan()  # the module was loaded by the CA's ceremony: see the new token
    (serial,) = pkcs11.token_serials(label)
    return serial


def token_signs(serial: str, certificate, digest: bytes) -> bytes:
    """What the signing client does once the PIN is typed: log in, find the key, sign the
    SHA-256 digest (RSA: PKCS#1 v1.5 over DigestInfo; EC: ECDSA, DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    from portal.lib import pkcs11

    public = x509.load_der_x509_certificate(bytes(certificate.der)).public_key()
    public_der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pkcs11.session(serial, user_pin=PIN) as session:
        key = pkcs11.signing_key(session, key_id=KEY_ID, public_der=public_der)
        if isinstance(public, ec.EllipticCurvePublicKey):
            return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def issued_for_the_desk(world, number: int):
    from requests_app.choices import FormKind, Signing
    from requests_app.models import CertRequest
    from requests_app.tasks import letter_document_render_task

    pk = issued_letter(world, FormKind.ISSUE_PERSON, 3, number)
    CertRequest.objects.filter(pk=pk).update(signing=Signing.EXTERNAL)
    letter_document_render_task.apply((pk,)).get()
    return CertRequest.objects.get(pk=pk)


def run(n: int) -> None:
    from certificates.desk.services import digest_of
    from requests_app import services
    from requests_app.choices import Status

    world = build_agency()
    _agency, _clerk, head = world
    personal, seal = certificates(world)
    tokens = {
        personal.pk: on_token("head", personal, head),
        seal.pk: on_token("seal", seal, head),
    }
    started = time.perf_counter()
    letters = [issued_for_the_desk(world, number) for number in range(1, n + 2)]
    setup = time.perf_counter() - started

    load_before = os.getloadavg()[0]
    portal = {step: [] for step in STEPS}
    token, cpu = [], []
    for letter in letters:
        token_time = cpu_time = 0.0
        for who in ("head", "seal"):
            c0, t0 = time.process_time(), time.perf_counter()
            desk = services.letter_desk_prepare(cert_request=letter, by=head)
            digest = digest_of(desk)
            t1, c1 = time.perf_counter(), time.process_time()
            signature = token_signs(tokens[desk.certificate_id], desk.certificate, digest)
            c2, t2 = time.process_time(), time.perf_counter()
            done = services.letter_desk_complete(
                cert_request=letter,
                desk_signing_id=desk.pk,
                nonce=desk.nonce,
                signature=signature,
                certificate_der=bytes(desk.certificate.der),
                by=head,
            )
            t3, c3 = time.perf_counter(), time.process_time()
            portal[f"prepare {who}"].append(t1 - t0)
            portal[f"complete {who}"].append(t3 - t2)
            token_time += t2 - t1
            cpu_time += (c1 - c0) + (c3 - c2)
        token.append(token_time)
        cpu.append(cpu_time)
        letter.refresh_from_db()
        assert done.document is not None and letter.status == Status.PROVINCE_REVIEW, letter
    load_after = os.getloadavg()[0]

    # The first letter also pays for loading the stamp font and warming the caches.
    first = sum(portal[step][0] for step in STEPS)
    for values in (*portal.values(), token, cpu):
        del values[0]
    share = [sum(portal[step][i] for step in STEPS) for i in range(n)]

    def ms(values):
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        return f"median {statistics.median(values) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"

    verdict = "goal met" if statistics.median(share) <= GOAL else "goal NOT met"
    print(
        f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after, "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"letters: {n} (Mẫu 01, 3 rows; head's signature then the seal, both through "
        f"SoftHSM2 tokens; {setup:.1f} s to issue and render them, not timed)"
    )
    print(f"first letter (stamp font loading included): portal {first * 1000:.1f} ms")
    for step in STEPS:
        print(f"  {step + ':':16} {ms(portal[step])}")
    print(f"portal's share, per letter: {ms(share)}; goal ≤ 300 ms: {verdict}")
    print(f"CPU time of this process in the portal's share, per letter: {ms(cpu)}")
    print(f"token signing (the client's part, not counted), per letter: {ms(token)}")


def main() -> None:
    logging.getLogger("celery").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=30, help="letters to sign and seal")
    args = parser.parse_args()
    try:
        with throwaway_database("bench_desk_signing_"):
            run(args.n)
    finally:
        shutil.rmtree(TOKENS, ignore_errors=True)


if __name__ == "__main__":
    main()
