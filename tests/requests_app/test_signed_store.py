"""The signed version of a letter is stored once per issuance (requests_app/services/signing.py)."""

import pytest

from portal.documents import DocumentKind
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind
from tests.requests_app.letters import draft

pytestmark = pytest.mark.django_db


def issued(cast):
    letter = draft(cast, FormKind.ISSUE_ORGANIZATION)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    services.cert_request_issue(cert_request=letter, by=cast.head_a)
    letter.refresh_from_db()
    return letter


def test_storing_the_signed_version_twice_keeps_one_version(cast):
    letter = issued(cast)
    first = services.letter_signed_store(
        cert_request_id=letter.pk, number=letter.number, pdf=b"%PDF-1.7 a", by=cast.head_a,
        source="portal",
    )  # fmt: skip
    again = services.letter_signed_store(
        cert_request_id=letter.pk, number=letter.number, pdf=b"%PDF-1.7 b", by=cast.head_a,
        source="portal",
    )  # fmt: skip
    assert again.pk == first.pk
    assert letter.documents.filter(kind=DocumentKind.SIGNED).count() == 1
    assert services.letter_signed_current(letter) == first
    assert AuditEvent.objects.filter(action="letter_document.sign").count() == 1


def test_a_signed_version_of_an_earlier_issuance_is_not_stored(cast):
    letter = issued(cast)
    stored = services.letter_signed_store(
        cert_request_id=letter.pk, number="1/OLD", pdf=b"%PDF-1.7", by=cast.head_a,
        source="upload",
    )  # fmt: skip
    assert stored is None
    assert not letter.documents.filter(kind=DocumentKind.SIGNED).exists()
