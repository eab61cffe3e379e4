"""Benchmark of the portal's share of one signing round trip at the signer's desk (docs/ca.md,
"Signing at the signer's desk").

    python bench/bench_desk_signing.py [--n 30]

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set) and a throw-away SoftHSM2 token store (its
own SOFTHSM2_CONF, which also holds the CA's HSM slot for this run), so it never touches real
data. Issues the head's personal certificate and the agency's seal through the simulated CA
onto a USB token each (SoftHSM2: the key pair generated inside the token, the certificate
written back; docs/ca.md, "Subscribers' tokens"), the PIN taken from its envelope. Then N
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
seal) per letter, of each step, and of the token's signing; then of the worker's step that
follows, the long-term proofs (`letter_archive_extend`: the DSS and a document time-stamp,
docs/ca.md "Long-term signatures"; goal: at most 300 ms a letter). Goal (docs/scale.md §12):
the portal's share of one letter's desk signing at most 300 ms (median), PIN prompt excluded.
The JSON endpoints around the services add only their base64 and JSON.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass

from _letters import build_agency, issued_letter  # noqa: E402 - bench/ is on the path
from _setup import configure, throwaway_database, throwaway_token_store  # noqa: E402
from _verdicts import exit_code, verdict  # noqa: E402

configure()
# The run's own token store, set before the portal loads the PKCS#11 module.
throwaway_token_store("bench-desk-signing-")

GOAL = 0.300
STEPS = ("prepare head", "complete head", "prepare seal", "complete seal")


@dataclass(frozen=True)
class OnToken:
    """A certificate issued onto a USB token (key pair generated inside it) and what the
    holder knows of it: the token's serial and the PIN handed over with the device."""

    certificate: object
    serial: str
    pin: str
    key_id: bytes
    public_der: bytes


def on_tokens(world) -> tuple[OnToken, OnToken]:
    """The head's personal certificate and the agency's seal, each issued by the simulated
    CA onto a USB token of its own (docs/ca.md, "Subscribers' tokens"), the PIN envelope opened
    by the CA operator as at the handover."""
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from certificates import services
    from certificates.choices import SubjectKind
    from devices.choices import DeviceKind
    from devices.models import DeviceToken
    from devices.services import device_deliver_for_certificate, device_token_pin_reveal

    agency, _clerk, head = world
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    services.ca_initialize(by=operator)

    def issue(subject_kind, holder) -> OnToken:
        device = device_deliver_for_certificate(
            kind=DeviceKind.USB_TOKEN, agency=agency, holder=holder, by=operator
        )
        certificate = services.certificate_issue(
            subject_kind=subject_kind, agency=agency, person=holder, device=device, by=operator
        )
        token = DeviceToken.objects.get(device=device)
        return OnToken(
            certificate=certificate,
            serial=token.serial,
            pin=device_token_pin_reveal(device=device, by=operator),
            key_id=token.key_id_bytes,
            public_der=bytes(token.public_key_der),
        )

    return issue(SubjectKind.PERSON, head.person), issue(SubjectKind.ORGANIZATION, None)


def token_signs(on_token: OnToken, digest: bytes) -> bytes:
    """What the signing client does once the PIN is typed: log in, find the key, sign the
    SHA-256 digest (RSA: PKCS#1 v1.5 over DigestInfo; EC: ECDSA, DER)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    from portal.lib import pkcs11

    public = serialization.load_der_public_key(on_token.public_der)
    with pkcs11.session(on_token.serial, user_pin=on_token.pin) as session:
        key = pkcs11.signing_key(session, key_id=on_token.key_id, public_der=on_token.public_der)
        if isinstance(public, ec.EllipticCurvePublicKey):
            return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def issued_for_the_desk(world, number: int):
    from requests_app.choices import FormKind
    from requests_app.models import CertRequest
    from requests_app.tasks import letter_document_render_task

    pk = issued_letter(world, FormKind.ISSUE_PERSON, 3, number)
    letter_document_render_task.apply((pk,)).get()
    return CertRequest.objects.get(pk=pk)


def run(n: int) -> None:
    from certificates.desk.services import DeskAnswer, digest_of
    from requests_app import services
    from requests_app.choices import Status

    world = build_agency()
    _agency, _clerk, head = world
    personal, seal = on_tokens(world)
    tokens = {personal.certificate.pk: personal, seal.certificate.pk: seal}
    started = time.perf_counter()
    letters = [issued_for_the_desk(world, number) for number in range(1, n + 2)]
    setup = time.perf_counter() - started

    load_before = os.getloadavg()[0]
    portal = {step: [] for step in STEPS}
    token, cpu, archive = [], [], []
    for letter in letters:
        token_time = cpu_time = 0.0
        for who in ("head", "seal"):
            c0, t0 = time.process_time(), time.perf_counter()
            desk = services.letter_desk_prepare(cert_request=letter, by=head)
            digest = digest_of(desk)
            t1, c1 = time.perf_counter(), time.process_time()
            signature = token_signs(tokens[desk.certificate_id], digest)
            c2, t2 = time.process_time(), time.perf_counter()
            done = services.letter_desk_complete(
                cert_request=letter,
                answer=DeskAnswer(
                    desk_signing_id=desk.pk,
                    nonce=desk.nonce,
                    signature=signature,
                    certificate_der=bytes(desk.certificate.der),
                ),
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
        # The worker's step once the signed version is stored: B-LT and B-LTA.
        t4 = time.perf_counter()
        archived = services.letter_archive_extend(document_id=done.document.pk)
        archive.append(time.perf_counter() - t4)
        assert archived is not None and archived.archive_until is not None, letter
    load_after = os.getloadavg()[0]

    # The first letter also pays for loading the stamp font and warming the caches.
    first = sum(portal[step][0] for step in STEPS)
    for values in (*portal.values(), token, cpu, archive):
        del values[0]
    share = [sum(portal[step][i] for step in STEPS) for i in range(n)]

    def ms(values):
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        return f"median {statistics.median(values) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"

    share_verdict = verdict(statistics.median(share) <= GOAL)
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
    print(f"portal's share, per letter: {ms(share)}; goal ≤ 300 ms: {share_verdict}")
    print(f"CPU time of this process in the portal's share, per letter: {ms(cpu)}")
    print(f"token signing (the client's part, not counted), per letter: {ms(token)}")
    archive_verdict = verdict(statistics.median(archive) <= GOAL)
    print(
        f"B-LT and B-LTA finishing in the worker (DSS with chains, CRLs and OCSP answers, "
        f"document time-stamp), per letter: {ms(archive)}; goal ≤ 300 ms: {archive_verdict}"
    )


def main() -> None:
    logging.getLogger("celery").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=30, help="letters to sign and seal")
    args = parser.parse_args()
    with throwaway_database("bench_desk_signing_"):
        run(args.n)


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
