"""Benchmark of signing and verifying a letter (docs/ca.md, "Signing and verification").

    python bench/bench_signing.py --n 10

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set), so it never touches real data. Issues a
personal certificate for an agency head and the agency's organisation certificate through the
services, then for each of N one-page letters measures:

1. signing: the head's signature, then the agency's seal (two PAdES B-B signatures with their
   stamps, each an incremental update; the simulated device's key decrypted each time);
2. verifying both signatures (`verify_pdf`: integrity, coverage, chain, revocation).

The first letter also pays for loading the stamp font once per process; it is shown apart.
"""

from __future__ import annotations

import argparse
import statistics
import time
from io import BytesIO

from _setup import configure, throwaway_database  # noqa: E402 - bench/ is on the path

configure()


def one_page_letter(number: int) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    name = generic.NameObject
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {name("/Type"): name("/Font"), name("/Subtype"): name("/Type1"),
         name("/BaseFont"): name("/Times-Roman")}
    )  # fmt: skip
    resources = generic.DictionaryObject(
        {name("/Font"): generic.DictionaryObject({name("/F1"): font})}
    )
    text = b"BT /F1 13 Tf 85 760 Td (Cong van so %d/STC-VP) Tj ET" % number
    writer.insert_page(
        PageObject(
            contents=writer.add_object(generic.StreamObject(stream_data=text)),
            media_box=generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
            resources=resources,
        )
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def build_world():
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization, Person
    from certificates import services
    from certificates.choices import SubjectKind

    province = Organization.objects.create(kind=OrgKind.PROVINCE, name="Tỉnh Lai Châu")
    agency = Organization.objects.create(
        kind=OrgKind.AGENCY,
        name="Sở Tài chính tỉnh Lai Châu",
        parent=province,
        official_email="vanthu@stc.laichau.gov.vn",
    )
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    Membership.objects.create(user=operator, role=Role.CA_OPERATOR, organization=ca_org)
    head_user = get_user_model().objects.create(username="bench_head")
    Membership.objects.create(user=head_user, role=Role.AGENCY_HEAD, organization=agency)
    head = Person.objects.create(
        full_name="Trần Thị Ánh Dương",
        national_id="100000000001",
        official_email="duong.tta@stc.laichau.gov.vn",
        position="Giám đốc",
        organization=agency,
        user=head_user,
    )
    services.ca_initialize(by=operator)
    head_certificate = services.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=agency, person=head, by=operator
    )
    seal_certificate = services.certificate_issue(
        subject_kind=SubjectKind.ORGANIZATION, agency=agency, by=operator
    )
    return agency, head, head_user, head_certificate, seal_certificate


def run(n: int) -> None:
    from certificates.signing import Appearance, get_signer, signature_position, verify_pdf

    agency, head, head_user, head_certificate, seal_certificate = build_world()
    signer = get_signer()
    sign_times, verify_times = [], []
    cpu_started = time.process_time()
    for number in range(1, n + 1):
        pdf = one_page_letter(number)
        started = time.perf_counter()
        position = signature_position(pdf)
        signed = signer.sign(
            pdf,
            certificate=head_certificate,
            field_name="ChuKyLanhDao",
            appearance=Appearance.signature(
                position, signer_name=head.full_name, title=head.position, agency=agency.name
            ),
            by=head_user,
        )
        signed = signer.sign(
            signed,
            certificate=seal_certificate,
            field_name="DauCoQuan",
            appearance=Appearance.seal(position, agency=agency.name),
            by=head_user,
        )
        signed_at = time.perf_counter()
        reports = verify_pdf(signed, agency=agency)
        verify_times.append(time.perf_counter() - signed_at)
        sign_times.append(signed_at - started)
        assert len(reports) == 2 and all(r.ok for r in reports), reports

    cpu = time.process_time() - cpu_started

    def ms(values):
        return (
            f"median {statistics.median(values) * 1000:7.1f} ms, max {max(values) * 1000:7.1f} ms"
        )

    print(f"letters: {n} (one page, two signatures each), PDF {len(signed):,} bytes signed")
    print(f"first letter (font loading included): sign {sign_times[0] * 1000:.1f} ms")
    rest = sign_times[1:] or sign_times
    print(f"sign head + seal, per letter:   {ms(rest)}")
    print(f"verify two signatures, per letter: {ms(verify_times)}")
    total = [s + v for s, v in zip(rest, verify_times[-len(rest) :], strict=True)]
    print(f"sign + verify, per letter:      {ms(total)}")
    print(f"CPU time of this process, per letter (all included): {cpu / n * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10, help="letters to sign and verify")
    args = parser.parse_args()
    with throwaway_database("bench_signing_"):
        run(args.n)


if __name__ == "__main__":
    main()
