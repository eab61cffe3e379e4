"""Helpers of the signing monitor's tests: local moments, certificates of an agency, and
signatures recorded as the portal records them (`certificates.services`)."""

from datetime import datetime

from django.utils import timezone

from certificates.choices import IssuerKind, SignedDocumentKind, SigningEventKind
from certificates.services import signing_events_record_bulk
from tests import factories as f


def local(day, hour, minute=0):
    """`day` at hour:minute, the portal's local time."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def cert(agency, **fields):
    """A registry certificate of a person of `agency`."""
    return f.CertificateFactory(person=f.PersonFactory(organization=agency), **fields)


def signed(certificate, at, *, n=1, document_id=None, **fields):
    """`n` signatures by `certificate` at `at`, each its own document unless `document_id`."""
    return signing_events_record_bulk(
        events=(
            {
                "kind": SigningEventKind.SIGNED,
                "certificate": certificate,
                "at": at,
                "document_kind": SignedDocumentKind.LETTER,
                "document_id": document_id if document_id is not None else 1000 + i,
                **fields,
            }
            for i in range(n)
        )
    )


def uploaded(serial, agency, at, *, n=1, number="UP"):
    """`n` signed files uploaded by `agency` at `at`, signed with a certificate the registry
    does not hold (a public CA's), numbered 1/`number`, 2/`number`…"""
    return signing_events_record_bulk(
        events=(
            {
                "kind": SigningEventKind.UPLOADED,
                "serial": serial,
                "issuer_kind": IssuerKind.PUBLIC,
                "agency_id": agency.pk if agency is not None else None,
                "document_kind": SignedDocumentKind.LETTER,
                "document_number": f"{i + 1}/{number}",
                "at": at,
            }
            for i in range(n)
        )
    )
