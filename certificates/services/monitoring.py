"""The signing-activity monitor's events (letter 86/BCY-CTSBMTT point 3, docs/domain.md §11;
docs/architecture.md §13): one row per signature the portal makes, receives or verifies and per
OCSP question it answers, written here and nowhere else.

Each recording point is one line in the flow that sees the signature (the portal's signing of a
letter or device document, the upload of a signed letter, its verification, the OCSP
responder); what the monitor shows is computed from these rows by the worker
(`dashboard.monitor_rollups`). An event is a fact of the moment: `at` is when the portal saw
it, so rows arrive in time order and a BRIN index on `at` stays tight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.utils import timezone

from certificates.choices import (
    IssuerKind,
    SignedDocumentKind,
    SigningEventKind,
    SigningOutcome,
)
from certificates.models import Certificate, SigningEvent
from portal.lib.bulk import insert_rows

# Night is 22:00 to 06:00 local time (the portal's TIME_ZONE, Asia/Ho_Chi_Minh).
NIGHT_FROM_HOUR = 22
NIGHT_UNTIL_HOUR = 6

_FIELDS = (
    "kind",
    "at",
    "certificate_id",
    "serial",
    "issuer_kind",
    "agency_id",
    "document_kind",
    "document_id",
    "document_number",
    "outcome",
    "night",
)


def is_night(at: datetime) -> bool:
    """Whether `at` falls between 22:00 (included) and 06:00 (excluded), local time."""
    hour = timezone.localtime(at).hour
    return hour >= NIGHT_FROM_HOUR or hour < NIGHT_UNTIL_HOUR


def _row(
    *,
    kind: str,
    at: datetime | None = None,
    certificate: Certificate | None = None,
    certificate_id: int | None = None,
    serial: str = "",
    issuer_kind: str = IssuerKind.GOVERNMENT,
    agency_id: int | None = None,
    document_kind: str = SignedDocumentKind.NONE,
    document_id: int | None = None,
    document_number: str = "",
    outcome: str = SigningOutcome.OK,
) -> tuple:
    at = at or timezone.now()
    if certificate is not None:
        certificate_id = certificate.pk
        serial = serial or certificate.serial
        agency_id = agency_id or certificate.agency_id
    return (
        kind,
        at,
        certificate_id,
        serial[:40],
        issuer_kind,
        agency_id,
        document_kind,
        document_id,
        (document_number or "")[:64],
        outcome,
        is_night(at),
    )


def signing_event_record(
    *,
    kind: str,
    certificate: Certificate | None = None,
    serial: str = "",
    issuer_kind: str = IssuerKind.GOVERNMENT,
    agency=None,
    document_kind: str = SignedDocumentKind.NONE,
    document_id: int | None = None,
    document_number: str = "",
    outcome: str = SigningOutcome.OK,
    at: datetime | None = None,
) -> SigningEvent:
    """Record one event. The agency defaults to the certificate's; `night` is computed."""
    values = _row(
        kind=kind,
        at=at,
        certificate=certificate,
        serial=serial,
        issuer_kind=issuer_kind,
        agency_id=agency.pk if agency is not None else None,
        document_kind=document_kind,
        document_id=document_id,
        document_number=document_number,
        outcome=outcome,
    )
    return SigningEvent.objects.create(**dict(zip(_FIELDS, values, strict=True)))


def signing_events_record_bulk(*, events: Iterable[Mapping]) -> int:
    """Record many events at once (an import of another system's signing log, the bench's
    seed): each a mapping of `signing_event_record`'s arguments with `certificate_id` and
    `agency_id` as keys; one COPY on PostgreSQL. Returns how many."""
    return insert_rows(SigningEvent, _FIELDS, (_row(**dict(event)) for event in events))


def signing_events_record_pair(
    *, pair, agency, document_kind: str, document_id: int | None, document_number: str = ""
) -> int:
    """A document was signed at the desk with a `SigningPair` (the signer's rounds, then the seal's):
    one `signed` event per certificate used (the signer's, then the seal's)."""
    certificates = [c for c in (pair.personal, pair.seal) if c is not None]
    return signing_events_record_bulk(
        events=(
            {
                "kind": SigningEventKind.SIGNED,
                "certificate": certificate,
                "agency_id": agency.pk,
                "document_kind": document_kind,
                "document_id": document_id,
                "document_number": document_number,
            }
            for certificate in certificates
        )
    )


def report_outcome(report) -> str:
    """What a verified signature (`certificates.signing.SignatureReport`) says of its
    certificate, the worst first."""
    if not (report.intact and report.covers_document):
        return SigningOutcome.INVALID
    if report.revoked_before_signing or report.key_at_risk:
        return SigningOutcome.REVOKED
    certificate = report.certificate
    if (
        certificate is not None
        and report.signing_time is not None
        and report.signing_time >= certificate.not_after
    ):
        return SigningOutcome.EXPIRED
    if not report.trusted:
        return SigningOutcome.UNTRUSTED
    return SigningOutcome.OK


def report_issuer_kind(report) -> str:
    """A signature whose certificate the registry holds, or that chains to a configured
    government root, is the government's; any other (a public CA's) is not."""
    if report.certificate is not None or report.trusted:
        return IssuerKind.GOVERNMENT
    return IssuerKind.PUBLIC


def signing_events_record_reports(
    *,
    kind: str,
    reports: Iterable,
    agency,
    document_kind: str,
    document_id: int | None = None,
    document_number: str = "",
) -> int:
    """A document's signatures were uploaded or verified: one event per signature, with the
    verdict on its certificate (revoked, expired, a public CA's…)."""
    return signing_events_record_bulk(
        events=(
            {
                "kind": kind,
                "certificate": report.certificate,
                "serial": report.signer_serial or "",
                "issuer_kind": report_issuer_kind(report),
                "agency_id": agency.pk if agency is not None else None,
                "document_kind": document_kind,
                "document_id": document_id,
                "document_number": document_number,
                "outcome": report_outcome(report),
            }
            for report in reports
        )
    )


def signing_event_record_ocsp(*, authority, serial: str, revoked: bool | None) -> None:
    """The OCSP responder answered about `serial` of `authority` (None: unknown)."""
    found = (
        Certificate.objects.filter(issuer=authority, serial=serial)
        .values_list("pk", "agency_id")
        .first()
    )
    certificate_id, agency_id = found or (None, None)
    if revoked is None:
        outcome = SigningOutcome.UNKNOWN
    else:
        outcome = SigningOutcome.REVOKED if revoked else SigningOutcome.OK
    signing_events_record_bulk(
        events=[
            {
                "kind": SigningEventKind.OCSP,
                "certificate_id": certificate_id,
                "serial": serial,
                "agency_id": agency_id,
                "outcome": outcome,
            }
        ]
    )
