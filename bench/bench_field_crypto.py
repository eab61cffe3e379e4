"""What encrypting personal data at rest costs (docs/privacy-at-rest.md): the certificate
lists and the 1,000-row letter with the ID numbers, dates and phones encrypted, then the same
data written back in clear and read by fields that no longer decrypt ("before"):

    python bench/bench_field_crypto.py                         # 20,000 certificates, 1,000 rows
    python bench/bench_field_crypto.py --certificates 1000000  # the goal's size (minutes)

Seeds, on a throw-away database (bench/_setup.py), --certificates person certificates, each
with its own person, in agency A of bench/_letters.py, and one Mẫu 01 letter of --rows rows in
the Sở KH&CN's review (bench_letter_page.seed_letter). On PostgreSQL the people are written in
clear by SQL and encrypted by `reencrypt_model` (the migrations' and `rotate_field_keys`'
path), the certificates by SQL: 1M people and certificates seed in a few minutes. The scale
and the load average are printed with every figure.

Prints, each the median and p95 of --repeat requests served in process (Django's test client),
encrypted and before, the ratio of the p95s (the goal's) and the best time of each state (what
the request costs when the machine is not busy elsewhere); the two states alternate --rounds
times, so that the load of a shared machine falls on both alike:

1. the certificate list `/chung-thu/` and its API as the CA operator, first page;
2. the letter's page as the officer (first page of rows) and its rows API, first page;
3. the whole letter as its users take it, every row's values decrypted: its Excel export
   (masked) and its PDF preview, as the officer (the preview takes seconds: --repeat-pdf
   requests in each state);
4. every row of the letter read through the ORM alone (1,000 rows × 4 decrypted columns):
   the part of line 3 that decryption adds to, shown for its cost per value;
5. an exact search by ID number (`Person.objects.with_national_id`: the blind index in both
   runs, shown for its absolute time);
6. the seeding steps: 2,000 people through bulk_create (each encrypts 4 values and computes
   one blind index: a person's write), the rest encrypted by `reencrypt_model`.

"Before" is measured by writing the values back in clear (`reencrypt_model(reverse=True)`)
and replacing, in this process only, the encrypted fields' conversions by the plain ones of
CharField and DateField: the same code, data and queries without the cryptography. The
people written by SQL stay encrypted in both states (no measured request reads them: the
certificate lists load no person, the search finds one of the first 2,000), so that a switch
rewrites a few thousand rows, not a million.
Goal: the encrypted pages and the whole letter's export and PDF within 10 % (and 15 ms) of
before, the 150 ms page goal still met. The bare ORM read of line 4 is no request of a user's:
its ratio is printed with the cost of a value, not judged."""

import argparse
import base64
import gc
import os
import statistics as stats
import time
from collections import defaultdict
from datetime import date, timedelta

import _setup

GOAL_RATIO = 1.10
GOAL_SLACK_SECONDS = 0.015
GOAL_P95_SECONDS = 0.150


SAMPLE_PEOPLE = 2000  # written through bulk_create to time a person's write


def _people(agency, first: int, n: int) -> list:
    from agencies.models import Person

    return [
        Person(
            full_name=f"Nguyễn Văn Đo {i}",
            date_of_birth=date(1970, 1, 1) + timedelta(days=i % 9000),
            national_id=f"{700000000000 + i:012d}",
            id_issue_date=date(2021, 7, 1),
            id_issue_place="CCSQLHCVTTXH",
            mobile=f"09{i % 100000000:08d}",
            official_email=f"do{i}@laichau.gov.vn",
            organization=agency,
        )
        for i in range(first, first + n)
    ]


def seed_certificates(agency, n: int) -> tuple[dict[str, tuple[float, int]], int | None]:
    """`n` people of `agency` with a certificate each. The first SAMPLE_PEOPLE go through
    `bulk_create` (each encrypts 4 values and computes one blind index: what a write costs).
    On PostgreSQL the rest are written in clear by one INSERT … SELECT and then encrypted by
    `reencrypt_model`, the path of the migrations and `rotate_field_keys` (the 1M-certificate
    run seeds in minutes, not an hour); elsewhere by `bulk_create`. The certificates by one
    INSERT … SELECT (PostgreSQL) or `bulk_create`. Returns the seconds and rows of each step,
    and the key of the first person written by SQL (None without)."""
    from django.db import connection
    from django.utils import timezone

    from agencies.models import Person
    from certificates.choices import SubjectKind
    from certificates.models import Certificate
    from dashboard.scale_sql import insert_select, last_id, reset_sequences
    from portal.field_rotation import reencrypt_model

    spent = {}
    sample = min(n, SAMPLE_PEOPLE)
    started = time.perf_counter()
    people = Person.objects.bulk_create(_people(agency, 0, sample), batch_size=2000)
    spent["people written (bulk_create)"] = (time.perf_counter() - started, sample)
    if connection.vendor != "postgresql":
        people += Person.objects.bulk_create(_people(agency, sample, n - sample), batch_size=2000)
        now = timezone.now()
        Certificate.objects.bulk_create(
            (
                Certificate(
                    serial=f"{0x6400000000000000 + i:X}",
                    subject_kind=SubjectKind.PERSON,
                    person=person,
                    agency=agency,
                    common_name=person.full_name,
                    email=person.official_email,
                    not_before=now - timedelta(days=i % 700),
                    not_after=now + timedelta(days=365 - i % 700),
                )
                for i, person in enumerate(people)
            ),
            batch_size=2000,
        )
        return spent, None
    p0, rest = last_id(Person), n - sample
    started = time.perf_counter()
    insert_select(
        Person,
        {
            "id": f"{p0} + g",
            "full_name": f"'Nguyễn Văn Đo ' || ({sample - 1} + g)",
            "date_of_birth": f"(date '1970-01-01' + ({sample - 1} + g) % 9000)::text",
            "national_id": f"({700000000000 + sample - 1} + g)::text",
            "national_id_index": "'pending-' || g",  # unique until the encryption fills it
            "id_issue_date": "'2021-07-01'",
            "id_issue_place": "'CCSQLHCVTTXH'",
            "mobile": f"'09' || lpad((({sample - 1} + g) % 100000000)::text, 8, '0')",
            "official_email": f"'do' || ({sample - 1} + g) || '@laichau.gov.vn'",
            "organization_id": str(agency.pk),
            "created_at": "now()",
        },
        f"generate_series(1, {rest}) g",
    )
    reset_sequences("agencies_person")
    spent["people inserted in clear (SQL)"] = (time.perf_counter() - started, rest)
    started = time.perf_counter()
    count = reencrypt_model(Person, after_pk=p0)
    spent["people encrypted (reencrypt_model)"] = (time.perf_counter() - started, count.written)
    first = people[0].pk
    started = time.perf_counter()
    insert_select(
        Certificate,
        {
            "serial": f"upper(to_hex({0x6400000000000000} + p.id - {first}))",
            "subject_kind": f"'{SubjectKind.PERSON}'",
            "person_id": "p.id",
            "agency_id": str(agency.pk),
            "common_name": "p.full_name",
            "email": "p.official_email",
            "not_before": f"now() - ((p.id - {first}) % 700) * interval '1 day'",
            "not_after": f"now() + (365 - (p.id - {first}) % 700) * interval '1 day'",
        },
        f"agencies_person p WHERE p.id >= {first}",
    )
    reset_sequences("certificates_certificate")
    spent["certificates inserted (SQL)"] = (time.perf_counter() - started, n)
    return spent, p0 + 1


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def samples(function, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return stats.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def get(client, url):
    def request():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return request


PDF_PREVIEW = "letter's PDF preview, officer"
COMPONENT = "every row of the letter (ORM)"


def requests_measured(clients, letter_pk: int) -> dict:
    from agencies.models import Person
    from requests_app.models import RequestRow

    operator, officer = clients
    return {
        "certificate list, CA operator": get(operator, "/chung-thu/"),
        "API certificates, CA operator": get(operator, "/api/v1/chung-thu/"),
        "letter page, officer": get(officer, f"/van-ban/{letter_pk}/"),
        "API letter rows, first page": get(
            officer, f"/api/v1/van-ban/{letter_pk}/dong/?page_size=50"
        ),
        "letter as Excel (masked), officer": get(officer, f"/van-ban/{letter_pk}/xuat-excel/"),
        PDF_PREVIEW: get(officer, f"/van-ban/{letter_pk}/xem-truoc.pdf"),
        COMPONENT: lambda: list(RequestRow.objects.filter(cert_request_id=letter_pk)),
        "exact search by ID (index, both)": lambda: list(
            Person.objects.with_national_id("700000000042")
        ),
    }


class States:
    """The two states measured, switched back and forth in this process: "encrypted" as
    deployed, and "before": every value the measured requests read written back in clear
    (every table's, but for the people written by SQL, which no measured request reads: they
    stay encrypted, or a switch would rewrite a million rows) and the encrypted fields reading
    and writing it as plain CharField, DateField and BinaryField (the files kept in rows)."""

    def __init__(self, first_unread_person: int | None):
        from django.apps import apps

        from portal import field_crypto
        from portal.field_rotation import encrypted_fields

        self.models = [model for model in apps.get_models() if encrypted_fields(model)]
        self.limit = first_unread_person
        self.crypto = field_crypto
        self.original = (
            field_crypto._EncryptedMixin.from_db_value,
            field_crypto.EncryptedCharField.get_db_prep_value,
            field_crypto.EncryptedDateField.get_db_prep_value,
            field_crypto.EncryptedBinaryField.from_db_value,
            field_crypto.EncryptedBinaryField.get_db_prep_value,
        )

    def _rewrite(self, reverse: bool) -> None:
        from agencies.models import Person
        from portal.field_rotation import reencrypt_model

        for model in self.models:
            before_pk = self.limit if model is Person else None
            reencrypt_model(model, reverse=reverse, before_pk=before_pk)

    def before(self) -> None:
        from django.db import models

        self._rewrite(reverse=True)
        crypto = self.crypto
        crypto._EncryptedMixin.from_db_value = lambda self, value, expression, connection: (
            self.to_python(value)
        )
        crypto.EncryptedCharField.get_db_prep_value = models.CharField.get_db_prep_value
        crypto.EncryptedDateField.get_db_prep_value = models.DateField.get_db_prep_value
        files = crypto.EncryptedBinaryField
        files.from_db_value = lambda self, value, expression, connection: value
        files.get_db_prep_value = models.BinaryField.get_db_prep_value

    def encrypted(self) -> None:
        crypto = self.crypto
        (
            crypto._EncryptedMixin.from_db_value,
            crypto.EncryptedCharField.get_db_prep_value,
            crypto.EncryptedDateField.get_db_prep_value,
            crypto.EncryptedBinaryField.from_db_value,
            crypto.EncryptedBinaryField.get_db_prep_value,
        ) = self.original
        self._rewrite(reverse=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20, help="requests a line in each state")
    parser.add_argument(
        "--repeat-pdf", type=int, default=10, help="PDF previews in each state (seconds each)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="times the two states alternate (shared machine)"
    )
    args = parser.parse_args()

    # Keys of its own, as production has (the development key is read through another path).
    os.environ.setdefault("PORTAL_FIELD_KEYS", base64.urlsafe_b64encode(os.urandom(32)).decode())
    _setup.configure()
    with _setup.throwaway_database("bench-field-crypto-") as connection:
        from bench_letter_page import seed_letter
        from django.test import Client

        from tests.helpers import sign_in

        started = time.perf_counter()
        letter_pk, agency, _clerk, officer, operator = seed_letter(args.rows)
        steps, first_unread_person = seed_certificates(agency, args.certificates)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"scale: {args.certificates:,} certificates and people, a {args.rows:,}-row letter "
            f"({connection.vendor}); seeded in {time.perf_counter() - started:.1f} s "
            f"(load average {load()})",
            flush=True,
        )
        for label, (seconds, count) in steps.items():
            each = seconds / max(count, 1) * 1e6
            print(f"  {label}: {count:,} in {seconds:.1f} s, {each:.0f} µs each", flush=True)
        _setup.serve_pages()
        clients = Client(), Client()
        sign_in(clients[0], operator)
        sign_in(clients[1], officer)
        measured = requests_measured(clients, letter_pk)
        for request in measured.values():
            request()  # warm
        gc.collect()
        gc.freeze()
        states = States(first_unread_person)
        times = {"encrypted": defaultdict(list), "before": defaultdict(list)}
        per_round = max(1, args.repeat // args.rounds)
        pdf_per_round = max(1, args.repeat_pdf // args.rounds)
        switching = 0.0
        for _round in range(args.rounds):
            for state in ("encrypted", "before"):
                started = time.perf_counter()
                getattr(states, state)()
                switching += time.perf_counter() - started
                for label, request in measured.items():
                    n = pdf_per_round if label == PDF_PREVIEW else per_round
                    times[state][label] += samples(request, n)
        print(
            f"{args.rounds} rounds of {per_round} requests a line ({pdf_per_round} PDF previews) "
            f"in each state, alternately "
            f"(switching took {switching:.1f} s); load average {load()}",
            flush=True,
        )
        encrypted = {label: summary(t) for label, t in times["encrypted"].items()}
        before = {label: summary(t) for label, t in times["before"].items()}

        met_all = True
        print(f"\n{'median / p95 ms':<34} {'encrypted':>17} {'before':>17}   ratio   best of each")
        for label, (median, p95) in encrypted.items():
            old_median, old_p95 = before[label]
            ratio = p95 / old_p95 if old_p95 else 1.0
            met = p95 <= max(old_p95 * GOAL_RATIO, old_p95 + GOAL_SLACK_SECONDS)
            if label.startswith(("certificate list", "letter page", "API")):
                met = met and p95 <= GOAL_P95_SECONDS
            if label == COMPONENT:
                values = 4 * args.rows
                verdict = f"{(median - old_median) / values * 1e6:+.2f} µs a value (median)"
            else:
                met_all = met_all and met
                verdict = "goal met" if met else "goal NOT met"
            print(
                f"{label:<34} {median * 1000:7.1f} / {p95 * 1000:7.1f}"
                f"  {old_median * 1000:7.1f} / {old_p95 * 1000:7.1f}  {ratio:5.2f}×"
                f"  {min(times['encrypted'][label]) * 1000:6.1f} / "
                f"{min(times['before'][label]) * 1000:6.1f}"
                f"  {verdict}"
            )
        seconds, count = steps["people written (bulk_create)"]
        print(
            f"\nwriting {count:,} people (encrypted, bulk_create): {seconds:.2f} s, "
            f"{seconds / max(count, 1) * 1e6:.0f} µs a person; load average {load()}"
        )
    return 0 if met_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
