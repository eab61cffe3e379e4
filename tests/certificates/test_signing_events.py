"""The OCSP responder's answers as signing-monitor events (docs/architecture.md §13): each
POST answered is one event tied to the certificate and its agency; a GET writes nothing
(docs/architecture.md §2.3)."""

import base64
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.urls import reverse

from certificates.choices import (
    RevocationReason,
    SignedDocumentKind,
    SigningEventKind,
    SigningOutcome,
)
from certificates.models import SigningEvent
from certificates.services import certificate_revoke
from certificates.services.monitoring import (
    signing_event_record,
    signing_event_record_ocsp,
    signing_events_record_pair,
)
from tests import factories as f
from tests.certificates.ocsp_requests import post, request_for
from tests.dashboard.signing_world import cert

pytestmark = pytest.mark.django_db


def test_each_ocsp_post_answered_is_an_event_of_the_certificate(issue, cast, client):
    certificate = issue()
    post(client, request_for(certificate))
    certificate_revoke(
        certificate=certificate, by=cast.ca_operator, reason=RevocationReason.KEY_COMPROMISE
    )
    post(client, request_for(certificate))

    assert list(
        SigningEvent.objects.order_by("pk").values_list(
            "kind", "certificate_id", "serial", "agency_id", "outcome"
        )
    ) == [
        (SigningEventKind.OCSP, certificate.pk, certificate.serial, certificate.agency_id, o)
        for o in (SigningOutcome.OK, SigningOutcome.REVOKED)
    ]


def test_an_ocsp_get_records_nothing(issue, client):
    encoded = quote(base64.b64encode(request_for(issue())).decode(), safe="")
    response = client.get(reverse("certificates:ocsp_get", args=[encoded]))
    assert response.status_code == 200
    assert not SigningEvent.objects.exists()


def test_an_ocsp_answer_about_a_serial_of_another_authority_is_unknown_and_unowned(ca, cast):
    """The serial is the registry's but not the asked CA's: no certificate, no agency."""
    other = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a, issuer=None)
    signing_event_record_ocsp(authority=ca.issuing, serial=other.serial, revoked=None)

    assert list(
        SigningEvent.objects.values_list("kind", "certificate_id", "serial", "agency_id", "outcome")
    ) == [(SigningEventKind.OCSP, None, other.serial, None, SigningOutcome.UNKNOWN)]


def test_an_ocsp_answer_is_tied_to_the_asked_serial_among_the_authoritys_certificates(ca, cast):
    """Two certificates of one CA, of two agencies: each answer names its own certificate."""
    first = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a, issuer=ca.issuing)
    second = f.CertificateFactory(agency=cast.agency_b, issuer=ca.issuing)
    for certificate in (second, first):
        signing_event_record_ocsp(authority=ca.issuing, serial=certificate.serial, revoked=False)

    assert list(
        SigningEvent.objects.order_by("pk").values_list("certificate_id", "serial", "agency_id")
    ) == [(c.pk, c.serial, c.agency_id) for c in (second, first)]


def test_a_pair_without_a_seal_records_the_signers_event_only_with_no_number(cast):
    signer = cert(cast.agency_a)

    recorded = signing_events_record_pair(
        pair=SimpleNamespace(personal=signer, seal=None),
        agency=cast.agency_a,
        document_kind=SignedDocumentKind.LETTER,
        document_id=12,
    )

    assert recorded == 1
    (event,) = SigningEvent.objects.all()
    assert (event.certificate_id, event.kind, event.document_number) == (
        signer.pk,
        SigningEventKind.SIGNED,
        "",
    )


def test_an_event_recorded_without_a_number_has_none(cast):
    event = signing_event_record(kind=SigningEventKind.OCSP, certificate=cert(cast.agency_a))

    event.refresh_from_db()
    assert event.document_number == ""
