"""Revocation (Decree 68 Art. 17) and automatic expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.backends import get_backend
from certificates.choices import (
    REASONS_BY_SUBJECT_KIND,
    CertEventKind,
    CertStatus,
    RevocationReason,
)
from certificates.exceptions import CertificateError
from certificates.models import Certificate, CertificateEvent
from certificates.services.common import (
    SNAPSHOT_VALUES,
    certificate_snapshot,
    certificate_webhook,
    locked_for_update,
    new_event,
    publish_crl_after_commit,
    require_valid,
    snapshot_of,
)
from certificates.signals import certificate_revoked
from devices.choices import ReturnReason
from devices.services import (
    ReturnOpening,
    device_return_obligation_open,
    device_return_obligations_open,
)
from portal.audit import audit_record
from portal.audit_batch import AuditEntry, AuditObject, audit_record_many
from portal.lib.bulk import insert_rows
from webhooks.choices import EventType
from webhooks.services import webhook_events_record_many

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def _open_device_return(certificate: Certificate, *, reason: str, on, by) -> None:
    """A revoked or expired certificate's device goes back to the CA (Mẫu 08, 5 working days).

    The devices service decides whether anything is owed (a software key, a device carrying
    another valid certificate, one already lost or returned owe nothing); a lost device is
    not asked back.
    """
    if certificate.device_id is None:
        return
    device_return_obligation_open(
        device=certificate.device,
        reason=reason,
        notified_on=on,
        by=by,
        certificate_serial=certificate.serial,
    )


def _check_reason(certificate: Certificate, reason: str) -> None:
    if reason == RevocationReason.SUPERSEDED:
        raise CertificateError(
            _("Lý do “thay thế” chỉ dùng khi gia hạn hoặc thay đổi thông tin."), code="reason"
        )
    if reason not in REASONS_BY_SUBJECT_KIND.get(certificate.subject_kind, ()):
        raise CertificateError(
            _("Lý do thu hồi này không áp dụng cho thuê bao loại %(kind)s.")
            % {"kind": certificate.get_subject_kind_display()},
            code="reason",
        )


def certificate_revoke_batch(
    *, certificates: Sequence[Certificate], by: User | None, reason: str, note: str = ""
) -> list[Certificate]:
    """Revoke several certificates for one Art. 17 case (all or none); CRLs follow in a worker."""
    if reason not in RevocationReason.values:
        raise CertificateError(_("Lý do thu hồi không hợp lệ."), code="reason")
    revoked = []
    with transaction.atomic():
        now = timezone.now()
        backend = get_backend()
        for certificate in certificates:
            locked = locked_for_update(certificate)
            require_valid(locked, now)
            _check_reason(locked, reason)
            before = certificate_snapshot(locked)
            locked.status = CertStatus.REVOKED
            locked.revoked_at = now
            locked.revocation_reason = reason
            locked.save(update_fields=["status", "revoked_at", "revocation_reason"])
            backend.revoke(certificate=locked, reason=reason, revoked_at=now)
            label = RevocationReason(reason).label
            new_event(
                locked, CertEventKind.REVOKED, by, at=now, note=f"{label}. {note}".strip()
            ).save()
            audit_record(
                actor=by,
                action="certificate.revoke",
                obj=locked,
                before=before,
                after=certificate_snapshot(locked),
                reason=note or str(label),
            )
            if reason != RevocationReason.DEVICE_LOST:
                _open_device_return(
                    locked, reason=ReturnReason.REVOKED, on=timezone.localdate(now), by=by
                )
            certificate_revoked.send(sender=Certificate, certificate=locked, reason=reason, by=by)
            revoked.append(locked)
        webhook_events_record_many(
            events=[
                certificate_webhook(EventType.CERTIFICATE_REVOKED, c, "revoked") for c in revoked
            ]
        )
        publish_crl_after_commit(c.issuer_id for c in revoked)
    return revoked


def certificate_revoke(
    *, certificate: Certificate, by: User | None, reason: str, note: str = ""
) -> Certificate:
    """Revoke one certificate: status, time and the Art. 17 case (RFC 5280 reason on the CRL)."""
    return certificate_revoke_batch(certificates=[certificate], by=by, reason=reason, note=note)[0]


def certificate_expire_due(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Mark certificates whose validity has ended as expired and open their devices' returns
    (idempotent; periodic task). Returns how many were expired.

    Set-based (docs/scale.md §12.4): a batch of up to `batch_size` due certificates is
    one transaction of a fixed number of statements whatever its size — the batch taken
    locked, skipping certificates another transaction holds (a second sweep, a revocation);
    their status in one UPDATE; their history rows in one bulk insert; their devices' return
    obligations opened together (`device_return_obligations_open`); and every audit event of
    the batch in one `audit_record_many`, in the order the one-by-one loop wrote them.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            expired = _expire_batch(now, batch_size)
        total += expired
        if expired < batch_size:
            return total


def _expire_batch(now: datetime, batch_size: int) -> int:
    rows = list(
        Certificate.objects.due_to_expire(now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .values_list("pk", "common_name", "device_id", *SNAPSHOT_VALUES)[:batch_size]
    )
    if not rows:
        return 0
    Certificate.objects.filter(
        pk__in_array=[row[0] for row in rows], status=CertStatus.VALID
    ).update(status=CertStatus.EXPIRED)
    events: list[list[AuditEntry]] = []
    history, openings, on_device = [], [], []
    for pk, common_name, device_id, *values in rows:
        snapshot = dict(zip(_SNAPSHOT_KWARGS, values, strict=True))
        not_after = snapshot["not_after"]
        history.append((pk, CertEventKind.EXPIRED.value, not_after, None, None, ""))
        events.append(
            [
                AuditEntry(
                    "certificate.expire",
                    # Certificate.__str__
                    AuditObject(Certificate, pk, f"{common_name} ({snapshot['serial']})"),
                    before=snapshot_of(**snapshot),
                    after=snapshot_of(**{**snapshot, "status": CertStatus.EXPIRED.value}),
                )
            ]
        )
        if device_id is not None:
            on_device.append(len(events) - 1)
            openings.append(
                ReturnOpening(
                    device_id=device_id,
                    notified_on=timezone.localdate(not_after),
                    certificate_serial=snapshot["serial"],
                )
            )
    insert_rows(
        CertificateEvent,
        ["certificate_id", "kind", "at", "actor_id", "related_id", "note"],
        history,
    )
    device_return_obligations_open(
        openings=openings,
        reason=ReturnReason.EXPIRED,
        by=None,
        audit_into=[events[index] for index in on_device],
    )
    audit_record_many(actor=None, entries=[entry for entries in events for entry in entries])
    return len(rows)


_SNAPSHOT_KWARGS = [name.replace("__", "_") for name in SNAPSHOT_VALUES]  # issuer__name → …_name
