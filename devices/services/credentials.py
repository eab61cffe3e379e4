"""Remote-signing credentials (docs/remote-signing.md): the registry's row of each key pair the
CA generated in its HSM for a device of kind RSSP, and the destruction of that key when its
certificate is revoked.

The key operations are the CA's (`certificates.backends`, one floor up): this floor records
what the CA made, and marks what it must destroy. Rows are written in the caller's transaction;
a device carries one credential, as a token carries one key pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from devices.choices import CredentialState, DeviceKind
from devices.lifecycle import CREDENTIAL_MOVES
from devices.models import Device, RemoteCredential
from portal.audit_batch import AuditEntry, audit_record_many
from portal.errors import DomainError
from portal.lib.bulk import update_rows

C = CredentialState


@dataclass(frozen=True)
class CredentialRecord:
    """A key pair the CA generated in its HSM and certified for `device`."""

    device: Device
    credential_id: str
    public_key_der: bytes
    algorithm: str


def _snapshot(credential: RemoteCredential, device: Device) -> dict:
    return {
        "device": device.serial,
        "credential": credential.credential_id,
        "state": credential.state,
    }


def device_credentials_record(
    *,
    records: Sequence[CredentialRecord],
    by,
    audit_into: Sequence[list[AuditEntry]] | None = None,
) -> list[RemoteCredential]:
    """Record the credentials the CA has just issued, in the caller's transaction: one row
    each, state `issued`, and a `device_credential.issue` event per device (into its list of
    `audit_into`, or recorded here). A device not of kind RSSP, or one that already has a
    credential, is refused with a DomainError, nothing written."""
    if not records:
        return []
    for record in records:
        if record.device.kind != DeviceKind.RSSP:
            raise DomainError(
                _("Thiết bị %(serial)s không phải thiết bị ký số tập trung.")
                % {"serial": record.device.serial},
                code="not_remote",
            )
    taken = set(
        RemoteCredential.objects.filter(device__in=[r.device.pk for r in records]).values_list(
            "device__serial", flat=True
        )
    )
    if taken:
        raise DomainError(
            _("Thiết bị %(serial)s đã có khóa ký số tập trung.") % {"serial": sorted(taken)[0]},
            code="credential_exists",
        )
    now = timezone.now()
    credentials = RemoteCredential.objects.bulk_create(
        [
            RemoteCredential(
                device=record.device,
                credential_id=record.credential_id,
                state=C.ISSUED,
                key_algorithm=record.algorithm,
                public_key_der=record.public_key_der,
                keyed_at=now,
                issued_at=now,
            )
            for record in records
        ]
    )
    events = [
        [
            AuditEntry(
                "device_credential.issue", record.device, after=_snapshot(credential, record.device)
            )
        ]
        for record, credential in zip(records, credentials, strict=True)
    ]
    if audit_into is None:
        audit_record_many(actor=by, entries=[e for entries in events for e in entries])
    else:
        for into, entries in zip(audit_into, events, strict=True):
            into.extend(entries)
    return credentials


def device_credentials_destroy(
    *,
    device_ids: Iterable[int],
    by,
    audit_into: dict[int, list[AuditEntry]] | None = None,
) -> list[str]:
    """Mark destroyed, on their locked rows in the caller's transaction, the credentials of
    these devices that are not yet (a revoked certificate's): returns their ids, whose key
    objects the caller has the CA destroy once the transaction commits. A
    `device_credential.destroy` event per device, into `audit_into[device id]` or recorded
    here. Two statements whatever the number of devices."""
    locked = list(
        RemoteCredential.objects.select_for_update()
        .select_related("device")
        .filter(device__in=list(device_ids), state__in=CREDENTIAL_MOVES["destroy"].states)
        .order_by("pk")
    )
    if not locked:
        return []
    now = timezone.now()
    events: dict[int, list[AuditEntry]] = {}
    for credential in locked:
        before = _snapshot(credential, credential.device)
        credential.state, credential.destroyed_at = C.DESTROYED, now
        events.setdefault(credential.device_id, []).append(
            AuditEntry(
                "device_credential.destroy",
                credential.device,
                before=before,
                after=_snapshot(credential, credential.device),
            )
        )
    update_rows(
        RemoteCredential,
        ["state", "destroyed_at"],
        [(c.pk, c.state, c.destroyed_at) for c in locked],
    )
    if audit_into is None:
        audit_record_many(actor=by, entries=[e for entries in events.values() for e in entries])
    else:
        for device_id, entries in events.items():
            audit_into.setdefault(device_id, []).extend(entries)
    return [credential.credential_id for credential in locked]
