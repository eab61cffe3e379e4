"""Benchmark of signing and verifying a letter (docs/ca.md, "Signing and verification").

    python bench/bench_signing.py [--n 10]

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set), so it never touches real data. Issues a
personal certificate for an agency head and the agency's organisation certificate through the
services, renders one issued 1-page letter (Mẫu 02) through the worker's task, then for each of
N letters measures:

1. signing as the head's own software does outside the portal (tests/outside_signer.py: the
   head's signature, then the agency's seal over its left third, two PAdES B-B signatures with
   their stamps; the portal itself never signs, see bench_desk_signing.py for its share of a
   signature made at the desk);
2. verifying both signatures (`verify_pdf`: integrity, coverage, chain, revocation), as the
   province's page does on receipt.

The first letter also pays for loading the stamp font once per process; it is shown apart.
Goals: sign (head + seal, the outside software's figure, for scale) at most 1 s and verify at
most 1 s per letter (medians), so that the province's letter page stays within a second.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

from _letters import build_agency, issued_letter  # noqa: E402 - bench/ is on the path
from _setup import configure, throwaway_database  # noqa: E402
from _verdicts import exit_code, verdict  # noqa: E402

configure()

GOAL_SIGN = 1.0
GOAL_VERIFY = 1.0


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
    services.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=agency, person=head.person, by=operator
    )
    services.certificate_issue(subject_kind=SubjectKind.ORGANIZATION, agency=agency, by=operator)


def rendered_letter(world) -> bytes:
    from portal.documents import DocumentKind
    from requests_app.choices import FormKind
    from requests_app.models import LetterDocument
    from requests_app.tasks import letter_document_render_task

    letter_pk = issued_letter(world, FormKind.ISSUE_ORGANIZATION, 3, 1)
    letter_document_render_task.apply((letter_pk,)).get()
    # The rendered version, unsigned: the version the head signs.
    rendered = LetterDocument.objects.get(letter_id=letter_pk, kind=DocumentKind.RENDERED)
    return bytes(rendered.content)


def run(n: int) -> None:
    from certificates.signing import verify_pdf
    from tests.outside_signer import sign_and_seal, signing_pair

    world = build_agency()
    agency, _clerk, head = world
    certificates(world)
    pdf = rendered_letter(world)
    pair = signing_pair(user=head, agency=agency)
    load_before = os.getloadavg()[0]
    sign_times, verify_times = [], []
    cpu_started = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        signed = sign_and_seal(
            pdf, pair=pair, agency_name=agency.name, by=head, reason="Ký ban hành"
        )
        signed_at = time.perf_counter()
        reports = verify_pdf(signed, agency=agency)
        verify_times.append(time.perf_counter() - signed_at)
        sign_times.append(signed_at - started)
        assert len(reports) == 2 and all(r.ok for r in reports), reports
    cpu = time.process_time() - cpu_started
    load_after = os.getloadavg()[0]

    def ms(values):
        return (
            f"median {statistics.median(values) * 1000:6.1f} ms, max {max(values) * 1000:6.1f} ms"
        )

    def median_verdict(values, goal):
        return verdict(statistics.median(values) <= goal)

    rest = sign_times[1:] or sign_times
    print(
        f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after, "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"letters: {n} (Mẫu 02, one page, {len(pdf):,} bytes; "
        f"{len(signed):,} bytes with both signatures)"
    )
    print(f"first letter (stamp font loading included): sign {sign_times[0] * 1000:.1f} ms")
    print(
        f"sign head + seal, per letter:      {ms(rest)}; goal ≤ 1 s: {median_verdict(rest, GOAL_SIGN)}"
    )
    print(
        f"verify two signatures, per letter: {ms(verify_times)}; "
        f"goal ≤ 1 s: {median_verdict(verify_times, GOAL_VERIFY)}"
    )
    total = [s + v for s, v in zip(rest, verify_times[-len(rest) :], strict=True)]
    print(f"sign + verify, per letter:         {ms(total)}")
    print(f"CPU time of this process, per letter (all included): {cpu / n * 1000:.1f} ms")


def main() -> None:
    logging.getLogger("celery").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10, help="letters to sign and verify")
    args = parser.parse_args()
    with throwaway_database("bench_signing_"):
        run(args.n)


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
