"""CRL, OCSP and the CA chain: what relying parties fetch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.backends import get_backend
from certificates.backends.base import OcspStatus, RevokedEntry
from certificates.choices import AuthorityKind, CertStatus
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateAuthority, RevocationList, TimestampUnit
from certificates.pem import der_to_pem
from certificates.services.common import publish_crl_after_commit
from certificates.services.monitoring import signing_event_record_ocsp
from portal.audit import audit_record

CRLS_KEPT = 3  # published CRLs kept per CA (the newest is served)


def _active_issuing() -> CertificateAuthority:
    authority = CertificateAuthority.objects.public().active_issuing().first()
    if authority is None:
        raise CertificateError(
            _("Chưa khởi tạo CA: chạy lệnh `manage.py ca_init` trước."), code="no_ca"
        )
    return authority


def crl_publish(
    *, authority: CertificateAuthority | None = None, force: bool = False
) -> RevocationList:
    """Build and store the CRL of `authority` (default: the active issuing CA).

    Idempotent: when the revoked set is the one of the newest CRL and that CRL is not past
    half its life, the newest CRL is returned unchanged (so a redelivered task does nothing).
    """
    authority = authority or _active_issuing()
    with transaction.atomic():
        # FOR NO KEY UPDATE: publications of one CA queue behind each other, but a worker
        # inserting a certificate that references this CA (a KEY SHARE lock) is not blocked.
        # A plain FOR UPDATE deadlocked with processing: the publisher held the CA row and
        # waited for the audit head, while a processing chunk held the head and waited for
        # the CA row to insert its certificate (docs/processing.md §4).
        locked = (
            CertificateAuthority.objects.public()
            .select_for_update(no_key=True)
            .get(pk=authority.pk)
        )
        now = timezone.now()
        rows = list(Certificate.objects.crl_entries(locked, at=now))
        # A revocation is final (time and reason never change), so the set of serials says
        # everything about the entries.
        fingerprint = hashlib.sha256("\n".join(row[0] for row in rows).encode()).hexdigest()
        latest = RevocationList.objects.latest_for(locked)
        validity = timedelta(hours=settings.CA_CRL_NEXT_UPDATE_HOURS)
        if (
            latest is not None
            and not force
            and latest.fingerprint == fingerprint
            and latest.next_update - now > validity / 2
        ):
            return latest
        number = latest.number + 1 if latest is not None else 1
        next_update = min(now + validity, locked.not_after)
        der = get_backend().build_crl(
            authority=locked,
            entries=[
                RevokedEntry(serial=s, revoked_at=datetime.fromtimestamp(t, UTC), reason=r)
                for s, t, r in rows
            ],
            number=number,
            this_update=now,
            next_update=next_update,
        )
        crl = RevocationList.objects.create(
            authority=locked,
            number=number,
            this_update=now.replace(microsecond=0),
            next_update=next_update.replace(microsecond=0),
            entry_count=len(rows),
            fingerprint=fingerprint,
            der=der,
        )
        stale = RevocationList.objects.filter(authority=locked).order_by("-number")[CRLS_KEPT:]
        RevocationList.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
        audit_record(
            actor=None,
            action="crl.publish",
            obj=crl,
            after={"authority": locked.name, "number": number, "entries": len(rows)},
        )
    return crl


def crl_publish_queue(*, certificate_ids: Iterable[int]) -> list[int]:
    """Queue, once the caller's transaction commits, one CRL publication for each CA that
    issued these certificates (one query); returns those CAs' ids. What a caller that revoked
    in many batches with `publish_crl=False` calls once at its end (a Mẫu 05 letter when it
    finishes, docs/processing.md §4.1)."""
    ids = [pk for pk in certificate_ids if pk is not None]
    if not ids:
        return []
    authorities = sorted(
        set(
            Certificate.objects.filter(pk__in_array=ids, issuer__isnull=False).values_list(
                "issuer_id", flat=True
            )
        )
    )
    publish_crl_after_commit(authorities)
    return authorities


def crl_refresh_due() -> list[RevocationList]:
    """Republish every CRL that changed or is past half its life (periodic safety net)."""
    return [
        crl_publish(authority=authority)
        for authority in CertificateAuthority.objects.public().publishing_crls()
    ]


def crl_current(*, authority: CertificateAuthority | None = None) -> RevocationList:
    """The CRL to serve: the newest one, published first if there is none or it has lapsed."""
    authority = authority or _active_issuing()
    latest = RevocationList.objects.latest_for(authority)
    if latest is None or latest.next_update <= timezone.now():
        latest = crl_publish(authority=authority)
    return latest


def _ocsp_lookup(authority: CertificateAuthority, serial: str) -> OcspStatus | None:
    if authority.kind == AuthorityKind.ROOT:
        exists = CertificateAuthority.objects.filter(parent=authority, serial=serial).exists()
        return OcspStatus(revoked=False) if exists else None
    row = (
        Certificate.objects.filter(issuer=authority, serial=serial)
        .values_list("status", "revoked_at", "revocation_reason")
        .first()
    )
    if row is None:
        # The TSA's own certificate is the issuing CA's too (docs/ca.md, "Time-stamping
        # authority"): good while the CA stands, since nothing revokes it.
        if TimestampUnit.objects.filter(issuer=authority, serial=serial).exists():
            return OcspStatus(revoked=False)
        return None
    status, revoked_at, reason = row
    if status == CertStatus.REVOKED:
        return OcspStatus(revoked=True, revoked_at=revoked_at, reason=reason)
    return OcspStatus(revoked=False)


def _ocsp_lookup_recorded(authority: CertificateAuthority, serial: str) -> OcspStatus | None:
    status = _ocsp_lookup(authority, serial)
    signing_event_record_ocsp(authority=authority, serial=serial, revoked=status and status.revoked)
    return status


def ocsp_respond(*, request_der: bytes, record: bool = False) -> bytes:
    """The DER OCSP response (RFC 6960) to a DER request; malformed input gets an error status.
    With `record`, the answer is a signing-monitor event (docs/architecture.md §13): the POST
    form of the protocol; a GET writes nothing (§2.3)."""
    lookup = _ocsp_lookup_recorded if record else _ocsp_lookup
    return get_backend().ocsp_response(request_der=request_der, lookup=lookup)


def ca_chain_pem() -> str:
    """PEM bundle of the CA certificates still valid: issuing CAs (active first), then root."""
    authorities = (
        CertificateAuthority.objects.public()
        .publishing_crls()
        .order_by("kind", "-is_active", "-generation")
    )
    issuing = [a for a in authorities if a.kind == AuthorityKind.ISSUING]
    roots = [a for a in authorities if a.kind == AuthorityKind.ROOT]
    return "".join(der_to_pem(a.certificate_der) for a in [*issuing, *roots])
