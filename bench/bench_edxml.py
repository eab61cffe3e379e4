"""Benchmark of edXML packages (docs/exchange.md, "edXML packages"): export and import of one
letter of 100 rows.

    python bench/bench_edxml.py [--n 10]

Runs in a throw-away database (Django's test database: a temporary SQLite file, or
test_<name> on PostgreSQL when DATABASE_URL is set). Issues the head's certificate and the
agency's seal through the simulated CA, renders a Mẫu 01 letter of 100 rows through the
worker's task and signs it as the head's own software does, then measures N times:

1. the export (`letter_edxml_export`: the package built, base64 included, validated against
   the schema);
2. the import by the CA (`letter_edxml_import`: defusedxml's gate, schema validation, hashes,
   the signatures verified, the letter, its PDF and the status message "received" written),
   in a transaction rolled back after each run so that every run imports afresh.

Goal: export + import at most 200 ms per letter (median).
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

# The head's certificate and the seal need keys, not devices: what is measured is the
# package, and the verification reads the same signatures either way.
os.environ.setdefault("PORTAL_SUBSCRIBER_KEY_STORE", "software")
configure()

GOAL = 0.200
ROWS = 100


class _Rollback(Exception):
    pass


def prepare():
    """The agency's world with codes, the CA and its registry clerk, and one signed letter."""
    from django.contrib.auth import get_user_model

    from agencies.choices import OrgKind, Role
    from agencies.models import Membership, Organization
    from certificates import services as ca
    from certificates.choices import SubjectKind
    from portal.documents import DocumentKind
    from requests_app.choices import FormKind
    from requests_app.models import CertRequest, LetterDocument
    from requests_app.tasks import letter_document_render_task
    from tests.outside_signer import sign_and_seal, signing_pair

    world = build_agency()
    agency, _clerk, head = world
    ca_org = Organization.objects.create(kind=OrgKind.CA, name="Cục CTS&BMTT (mô phỏng)")
    operator = get_user_model().objects.create(username="bench_ca_operator")
    registrar = get_user_model().objects.create(username="bench_ca_registrar")
    for user in (operator, registrar):
        Membership.objects.create(user=user, role=Role.CA_OPERATOR, organization=ca_org)
    ca.ca_initialize(by=operator)
    ca.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=agency, person=head.person, by=operator
    )
    ca.certificate_issue(subject_kind=SubjectKind.ORGANIZATION, agency=agency, by=operator)
    codes = {
        OrgKind.PROVINCE: "000.00.00.H03",
        OrgKind.PROVINCIAL_OFFICE: "000.00.12.H03",
        OrgKind.AGENCY: "000.00.05.H03",
        OrgKind.CA: "000.00.01.G14",
    }
    for kind, code in codes.items():
        Organization.objects.filter(kind=kind).update(code=code)
    letter_pk = issued_letter(world, FormKind.ISSUE_PERSON, ROWS, 1, distinct=True)
    letter_document_render_task.apply((letter_pk,)).get()
    letter = CertRequest.objects.select_related("agency__province").get(pk=letter_pk)
    rendered = LetterDocument.objects.get(letter=letter, kind=DocumentKind.RENDERED)
    signed = sign_and_seal(
        bytes(rendered.content),
        pair=signing_pair(user=head, agency=letter.agency),
        agency_name=letter.agency.name,
        by=head,
        reason="Ký ban hành",
    )
    document = LetterDocument(
        letter=letter, version=2, kind=DocumentKind.SIGNED, number=letter.number,
        issued_on=letter.issued_on, created_by=head,
    )  # fmt: skip
    document.set_content(signed)
    document.save()
    return letter, head, registrar, len(signed)


def run(n: int) -> None:
    from django.db import transaction

    from exchange import services as exchange_services

    letter, head, registrar, pdf_size = prepare()
    load_before = os.getloadavg()[0]
    exports, imports, size = [], [], 0
    for _ in range(n):
        started = time.perf_counter()
        data = exchange_services.letter_edxml_export(cert_request=letter)
        exported = time.perf_counter()
        try:
            with transaction.atomic():
                received = exchange_services.letter_edxml_import(data=data, by=registrar)
                imported = time.perf_counter()
                assert received.pk != letter.pk
                raise _Rollback
        except _Rollback:
            pass
        exports.append(exported - started)
        imports.append(imported - exported)
        size = len(data)
    total = [e + i for e, i in zip(exports, imports, strict=True)]

    def ms(values):
        return (
            f"median {statistics.median(values) * 1000:6.1f} ms, max {max(values) * 1000:6.1f} ms"
        )

    total_verdict = verdict(statistics.median(total) <= GOAL)
    print(
        f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, "
        f"on {os.cpu_count()} cores"
    )
    print(f"letter: Mẫu 01, {ROWS} rows, signed PDF {pdf_size:,} bytes; package {size:,} bytes")
    print(f"export, per letter:          {ms(exports)}")
    print(f"import (verify included):    {ms(imports)}")
    print(f"export + import, per letter: {ms(total)}; goal ≤ 200 ms: {total_verdict}")


def main() -> None:
    logging.getLogger("celery").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10, help="export + import rounds")
    args = parser.parse_args()
    with throwaway_database("bench_edxml_"):
        run(args.n)


if __name__ == "__main__":
    main()
    sys.exit(exit_code())
