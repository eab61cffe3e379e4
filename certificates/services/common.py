"""Helpers shared by the certificate services (not part of their interface)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.choices import OrgKind
from agencies.models import Organization
from certificates.choices import SUBSCRIBER_KEY_ALGORITHMS, CertStatus
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent
from certificates.subjects import SubjectInfo
from portal.lib.queueing import enqueue
from webhooks.sending import iso_utc
from webhooks.services import NewEvent


def day(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def certificate_snapshot(certificate: Certificate) -> dict:
    return snapshot_of(
        serial=certificate.serial,
        status=certificate.status,
        subject_dn=certificate.subject_dn,
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        renewal_count=certificate.renewal_count,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
        issuer_name=certificate.issuer.name if certificate.issuer_id else "",
    )


def certificate_webhook(type_: str, certificate: Certificate, what: str, **extra) -> NewEvent:
    """The signed webhook of a certificate (docs/webhooks.md), keyed once per `what`
    ("issued", "revoked"): ids, serial, status and dates; never the subject's name or e-mail."""
    return NewEvent(
        type=type_,
        key=f"certificate:{certificate.pk}:{what}",
        organization_id=certificate.agency_id,
        data={
            "certificate_id": certificate.pk,
            "serial": certificate.serial,
            "status": certificate.status,
            "subject_kind": certificate.subject_kind,
            "agency_id": certificate.agency_id,
            "device_id": certificate.device_id,
            "not_before": iso_utc(certificate.not_before),
            "not_after": iso_utc(certificate.not_after),
            "revoked_at": iso_utc(certificate.revoked_at),
            "revocation_reason": certificate.revocation_reason or "",
            **extra,
        },
    )


# The columns `snapshot_of` takes, as a queryset's values (the issuer's name through its key).
SNAPSHOT_VALUES = (
    "serial", "status", "subject_dn", "not_before", "not_after", "renewal_count",
    "revoked_at", "revocation_reason", "issuer__name",
)  # fmt: skip


def snapshot_of(
    *, serial, status, subject_dn, not_before, not_after, renewal_count, revoked_at,
    revocation_reason, issuer_name,
) -> dict:  # fmt: skip
    """A certificate's audit snapshot from its values (a sweep reads them without instances)."""
    return {
        "serial": serial,
        "status": status,
        "subject": subject_dn,
        "not_before": day(not_before),
        "not_after": day(not_after),
        "renewal_count": renewal_count,
        "revoked_at": day(revoked_at),
        "revocation_reason": revocation_reason,
        "issuer": issuer_name or "",
    }


def new_event(certificate: Certificate, kind: str, by, *, at: datetime, related=None, note=""):
    return CertificateEvent(
        certificate=certificate,
        kind=kind,
        at=at,
        actor=by if by is not None and by.is_authenticated else None,
        related=related,
        note=note[:255],
    )


def publish_crl_after_commit(authority_ids: Iterable[int]) -> None:
    """Regenerate the CRLs in a worker once the revocations are committed (a CRL not queued
    because the broker is down is made by the beat's next scheduled publication)."""
    for authority_id in sorted(set(authority_ids)):
        transaction.on_commit(
            partial(
                enqueue,
                "certificates.tasks.crl_publish_task",
                authority_id,
                what=f"CRL of authority {authority_id}",
            )
        )


def locked_for_update(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("issuer", "key", "device")
        .defer("issuer__private_key_pem", "issuer__certificate_der")
        .get(pk=certificate.pk)
    )


def days_left(certificate: Certificate, now: datetime) -> timedelta:
    return certificate.not_after - now


def require_valid(certificate: Certificate, now: datetime) -> None:
    if certificate.status == CertStatus.REVOKED:
        raise CertificateError(
            _("Chứng thư %(serial)s đã bị thu hồi.") % {"serial": certificate.serial},
            code="revoked",
        )
    if certificate.status == CertStatus.EXPIRED or certificate.not_after <= now:
        raise CertificateError(
            _("Chứng thư %(serial)s đã hết hạn.") % {"serial": certificate.serial},
            code="expired",
        )
    if not certificate.der or certificate.issuer_id is None:
        raise CertificateError(
            _("Chứng thư %(serial)s không do CA của hệ thống phát hành.")
            % {"serial": certificate.serial},
            code="foreign",
        )


def registry_subject(certificate: Certificate) -> SubjectInfo:
    return SubjectInfo(
        common_name=certificate.common_name,
        email=certificate.email,
        organization=certificate.organization_name,
        units=tuple(u for u in certificate.organizational_units.split(" / ") if u),
        locality=certificate.locality,
    )


def apply_subject(certificate: Certificate, subject: SubjectInfo, subject_dn: str) -> None:
    certificate.common_name = subject.common_name
    certificate.email = subject.email
    certificate.organization_name = subject.organization
    certificate.organizational_units = subject.organizational_units
    certificate.locality = subject.locality
    certificate.subject_dn = subject_dn


def require_under(node: Organization, agency: Organization, what: str) -> None:
    if not node.is_within(agency):
        raise CertificateError(
            _("%(what)s không thuộc cơ quan %(agency)s.") % {"what": what, "agency": agency},
            code="not_in_agency",
        )


def require_managing_agency(agency: Organization) -> None:
    """A certificate is managed by a legal person with a seal: an agency, a ministry, or a
    province's Sở KH&CN (whose officers sign the province's documents, docs/domain.md §11)."""
    if agency.kind not in (OrgKind.AGENCY, OrgKind.MINISTRY, OrgKind.PROVINCIAL_OFFICE):
        raise CertificateError(
            _("%(org)s không phải cơ quan, tổ chức quản lý trực tiếp.") % {"org": agency},
            code="not_agency",
        )


def key_algorithm_of(value: str | None) -> str:
    algorithm = value or settings.CA_SUBSCRIBER_KEY_ALGORITHM
    if algorithm not in SUBSCRIBER_KEY_ALGORITHMS:
        raise CertificateError(
            _("Thuật toán khóa %(alg)s không được hỗ trợ cho thuê bao.") % {"alg": algorithm},
            code="key_algorithm",
        )
    return algorithm
