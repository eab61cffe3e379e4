"""The signing monitor's recording points in the letter flows (docs/architecture.md §13): the
head's signing of a letter at the desk (signature and seal), its verification on receipt, and the upload
of a letter signed outside, accepted or refused, each recorded once per signature with the
verdict on its certificate."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from certificates import services as ca_services
from certificates.choices import (
    IssuerKind,
    RevocationReason,
    SignedDocumentKind,
    SigningEventKind,
    SigningOutcome,
)
from certificates.models import SigningEvent
from certificates.signing import signature_position
from certificates.signing.base import Appearance
from portal.documents import DocumentKind
from portal.errors import DomainError
from requests_app import services
from requests_app.choices import FormKind
from requests_app.models import LetterDocument
from tests.outside_signer import sign_with_material
from tests.requests_app.letters import draft, issue_signed
from tests.requests_app.signed_letters import (
    head_signing_pair,
    issued_external,
    rendered,
    signed_by,
)

pytestmark = pytest.mark.django_db


def events(kind):
    return list(
        SigningEvent.objects.filter(kind=kind)
        .order_by("pk")
        .values_list("serial", "agency_id", "document_kind", "document_id", "outcome")
    )


def test_signing_at_the_desk_records_the_signature_and_the_seal(cast):
    letter = draft(cast, FormKind.ISSUE_ORGANIZATION)
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    letter = issue_signed(cast, letter)
    signed = SigningEvent.objects.filter(kind=SigningEventKind.SIGNED)
    assert signed.count() == 2
    assert {e.certificate.subject_kind for e in signed} == {"person", "organization"}
    assert set(signed.values_list("agency_id", "document_kind", "document_id")) == {
        (cast.agency_a.pk, SignedDocumentKind.LETTER, letter.pk)
    }
    assert set(signed.values_list("document_number", flat=True)) == {letter.number}

    document = LetterDocument.objects.get(letter=letter, kind=DocumentKind.SIGNED)
    services.letter_signed_verify(document=document, by=cast.officer_1)
    verified = events(SigningEventKind.VERIFIED)
    assert verified and all(
        e[1:] == (cast.agency_a.pk, SignedDocumentKind.LETTER, letter.pk, SigningOutcome.OK)
        for e in verified
    )


def test_an_accepted_upload_records_each_signature(cast, ca):
    pair = head_signing_pair(cast)
    letter = issued_external(cast)
    services.letter_signed_upload(
        cert_request=letter, uploaded=signed_by(rendered(letter), pair, cast), by=cast.head_a
    )
    assert events(SigningEventKind.UPLOADED) == [
        (c.serial, cast.agency_a.pk, SignedDocumentKind.LETTER, letter.pk, SigningOutcome.OK)
        for c in (pair.personal, pair.seal)
    ]
    assert not SigningEvent.objects.filter(kind=SigningEventKind.SIGNED).exists()


def test_a_refused_upload_signed_after_revocation_is_recorded_as_revoked(cast, ca):
    pair = head_signing_pair(cast)
    letter = issued_external(cast)
    ca_services.certificate_revoke(
        certificate=pair.personal, by=cast.ca_operator, reason=RevocationReason.DEVICE_LOST
    )
    material = ca_services.certificate_signing_material(certificate=pair.personal, by=cast.head_a)
    pdf = rendered(letter)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        pdf = sign_with_material(
            pdf,
            material=material,
            field_name="ChuKy",
            appearance=Appearance.signature(
                signature_position(pdf), signer_name="Người ký", title="Giám đốc", agency="Sở"
            ),
        )
    with pytest.raises(DomainError):
        services.letter_signed_upload(cert_request=letter, uploaded=pdf, by=cast.head_a)

    event = SigningEvent.objects.get(kind=SigningEventKind.UPLOADED)
    assert (event.certificate, event.outcome, event.issuer_kind) == (
        pair.personal,
        SigningOutcome.REVOKED,
        IssuerKind.GOVERNMENT,
    )
