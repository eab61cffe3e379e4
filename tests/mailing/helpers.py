"""Shared builders of the mailing tests: the addresses the portal mails to, and an issued
letter with its signed PDF stored (the `smtp` fixture is in tests/conftest.py)."""

from django.urls import reverse

from exchange import services as exchange_services
from requests_app import services
from requests_app.choices import FormKind
from tests.helpers import sign_in
from tests.requests_app.letters import draft

CA_ADDRESS = "ca@bcy.gov.vn"
OFFICE_ADDRESS = "skhcn@laichau.gov.vn"

SIGNED = b"%PDF-1.7 the signed letter"


def signed_letter(cast, form=FormKind.ISSUE_ORGANIZATION, *, office_email=OFFICE_ADDRESS):
    cast.office_1.official_email = office_email
    cast.office_1.save(update_fields=["official_email"])
    letter = draft(cast, form)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a, number="12/STC-CKS")
    letter.refresh_from_db()
    services.letter_signed_store(
        cert_request_id=letter.pk, number=letter.number, pdf=SIGNED, by=cast.head_a,
        source="upload",
    )  # fmt: skip
    letter.refresh_from_db()
    return letter


def mails_of(letter):
    return list(exchange_services.letter_mails(letter))


def page(client, user, letter):
    sign_in(client, user)
    return client.get(reverse("requests_app:detail", args=[letter.pk]))
