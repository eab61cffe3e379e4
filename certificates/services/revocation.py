"""Revocation (Decree 68 Art. 17) and automatic expiry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
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
    publish_crl_after_commit,
    require_valid,
    snapshot_of,
)
from certificates.signals import certificate_revoked
from devices.choices import ReturnReason
from devices.services import (
    ReturnOpening,
    device_credentials_destroy,
    device_return_obligations_open,
)
from portal.audit_batch import AuditEntry, AuditObject, audit_record_many
from portal.lib.bulk import insert_rows
from webhooks.choices import EventType
from webhooks.services import webhook_events_record_many

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def _check_reason(certificate: Certificate, reason: str) -> None:
    if reason not in REASONS_BY_SUBJECT_KIND.get(certificate.subject_kind, ()):
        raise CertificateError(
            _("Lý do thu hồi này không áp dụng cho thuê bao loại %(kind)s.")
            % {"kind": certificate.get_subject_kind_display()},
            code="reason",
        )


def _check_reason_code(reason: str) -> None:
    """A reason no certificate may be revoked for: refused before anything is locked."""
    if reason not in RevocationReason.values:
        raise CertificateError(_("Lý do thu hồi không hợp lệ."), code="reason")
    if reason == RevocationReason.SUPERSEDED:
        raise CertificateError(
            _("Lý do “thay thế” chỉ dùng khi gia hạn hoặc thay đổi thông tin."), code="reason"
        )


@dataclass
class RevocationOutcome:
    """What `certificate_revoke_many` did: the ids revoked (in the order asked), each refused
    id with the refusal (its text is the Vietnamese reason, its `code` the rule: "revoked",
    "expired", "foreign", "reason", "not_found"), and the revoked certificates as locked and
    revoked (keyed by id)."""

    revoked: list[int] = field(default_factory=list)
    refused: dict[int, CertificateError] = field(default_factory=dict)
    certificates: dict[int, Certificate] = field(default_factory=dict)


def certificate_revoke_many(
    *,
    certificate_ids: Iterable[int],
    by: User | None,
    reason: str,
    note: str = "",
    publish_crl: bool = True,
) -> RevocationOutcome:
    """Revoke the certificates `certificate_ids` for one Art. 17 case, each decided on its
    own locked row: those still valid, issued here, and whose kind of subscriber the reason
    applies to are revoked; every other one is refused with its reason (never raised). Raises
    `CertificateError` only for a reason code no certificate may be revoked for.

    One transaction of a fixed number of statements whatever the number of certificates
    (docs/scale.md §12.4): the certificates locked in one query in key order (two batches
    sharing certificates cannot deadlock), their status in one UPDATE guarded on `valid`, the
    CA told once (`CABackend.revoke_many`), their history rows in one bulk insert, their
    devices' return obligations opened together (`device_return_obligations_open`; not for a
    lost device), the events each revocation writes (`certificate.revoke`, then its device's)
    in one `audit_record_many`, their webhooks in one call. With `publish_crl`, one CRL
    publication per issuing CA is queued after the commit; a caller revoking many batches
    passes False and queues one at the end (`crl_publish_queue`).
    """
    _check_reason_code(reason)
    ids = list(dict.fromkeys(int(pk) for pk in certificate_ids))
    outcome = RevocationOutcome()
    if not ids:
        return outcome
    with transaction.atomic():
        now = timezone.now()
        locked = {
            certificate.pk: certificate
            for certificate in Certificate.objects.select_for_update(of=("self",))
            .select_related("issuer")
            .defer("issuer__private_key_pem", "issuer__certificate_der")
            .filter(pk__in_array=ids)
            .order_by("pk")
        }
        passing: list[Certificate] = []
        for pk in ids:
            certificate = locked.get(pk)
            if certificate is None:
                outcome.refused[pk] = CertificateError(
                    _("Không tìm thấy chứng thư cần thu hồi."), code="not_found"
                )
                continue
            try:
                require_valid(certificate, now)
                _check_reason(certificate, reason)
            except CertificateError as refusal:
                outcome.refused[pk] = refusal
                continue
            passing.append(certificate)
        if passing:
            _revoke_locked(passing, by=by, reason=reason, note=note, now=now)
            if publish_crl:
                publish_crl_after_commit(c.issuer_id for c in passing)
    outcome.revoked = [certificate.pk for certificate in passing]
    outcome.certificates = {certificate.pk: certificate for certificate in passing}
    return outcome


def _revoke_locked(
    certificates: list[Certificate], *, by: User | None, reason: str, note: str, now: datetime
) -> None:
    """Write the revocation of locked certificates that passed the rules (see
    `certificate_revoke_many`), in the order given."""
    before = [certificate_snapshot(certificate) for certificate in certificates]
    updated = Certificate.objects.filter(
        pk__in_array=[c.pk for c in certificates], status=CertStatus.VALID
    ).update(status=CertStatus.REVOKED, revoked_at=now, revocation_reason=reason)
    if updated != len(certificates):  # they are locked and were valid: never, unless a bug
        raise RuntimeError(f"{updated} of {len(certificates)} locked certificates revoked")
    for certificate in certificates:
        certificate.status = CertStatus.REVOKED
        certificate.revoked_at = now
        certificate.revocation_reason = reason
    get_backend().revoke_many(certificates=certificates, reason=reason, revoked_at=now)
    label = str(RevocationReason(reason).label)
    actor_id = by.pk if by is not None and by.is_authenticated else None
    insert_rows(
        CertificateEvent,
        ["certificate_id", "kind", "at", "actor_id", "related_id", "note"],
        (
            (
                c.pk,
                CertEventKind.REVOKED.value,
                now,
                actor_id,
                None,
                f"{label}. {note}".strip()[:255],
            )
            for c in certificates
        ),
    )
    events: list[list[AuditEntry]] = [
        [
            AuditEntry(
                "certificate.revoke",
                certificate,
                before=snapshot,
                after=certificate_snapshot(certificate),
                reason=note or label,
            )
        ]
        for certificate, snapshot in zip(certificates, before, strict=True)
    ]
    if reason != RevocationReason.DEVICE_LOST:  # a lost device is not asked back
        # A device carrying several of them is asked back by the last (one by one, the
        # earlier ones left it carrying a valid certificate): its serial, after its event.
        last = {c.device_id: i for i, c in enumerate(certificates) if c.device_id is not None}
        on_device = sorted(last.values())
        device_return_obligations_open(
            openings=[
                ReturnOpening(
                    device_id=certificates[i].device_id,
                    notified_on=timezone.localdate(now),
                    certificate_serial=certificates[i].serial,
                )
                for i in on_device
            ],
            reason=ReturnReason.REVOKED,
            by=by,
            audit_into=[events[i] for i in on_device],
        )
    # A remote-signing credential's key goes with its certificate (docs/remote-signing.md): its
    # row marked destroyed here, its key objects in the CA's HSM once this commits (an HSM
    # cannot roll back with the database).
    destroyed = device_credentials_destroy(
        device_ids={c.device_id for c in certificates if c.device_id is not None},
        by=by,
        audit_into={c.device_id: events[i] for i, c in enumerate(certificates) if c.device_id},
    )
    if destroyed:
        transaction.on_commit(partial(get_backend().remote_keys_destroy, credential_ids=destroyed))
    audit_record_many(actor=by, entries=[entry for entries in events for entry in entries])
    for certificate in certificates:
        certificate_revoked.send(sender=Certificate, certificate=certificate, reason=reason, by=by)
    webhook_events_record_many(
        events=[
            certificate_webhook(EventType.CERTIFICATE_REVOKED, c, "revoked") for c in certificates
        ]
    )


def certificate_revoke_batch(
    *, certificates: Sequence[Certificate], by: User | None, reason: str, note: str = ""
) -> list[Certificate]:
    """Revoke several certificates for one Art. 17 case, all or none: the first refusal (in
    the order given) is raised and nothing is revoked. CRLs follow in a worker."""
    _check_reason_code(reason)
    with transaction.atomic():
        outcome = certificate_revoke_many(
            certificate_ids=[c.pk for c in certificates], by=by, reason=reason, note=note
        )
        for certificate in certificates:
            if certificate.pk in outcome.refused:
                raise outcome.refused[certificate.pk]  # rolls back the others and their CRLs
    return [outcome.certificates[c.pk] for c in certificates]


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
