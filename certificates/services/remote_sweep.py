"""The sweep of the CA's remote-signing slot (docs/remote-signing.md, "Nothing half done"): a
key the HSM holds but the registry does not account for is destroyed.

Two ways to leave one: a process killed between a key's generation and the commit of its
credential, and one killed between a revocation's commit and the key's destruction. The second
is certain at once (the registry says the credential's key is destroyed); the first only with
time, since an issuance may be between the two at the very moment of the sweep. So a key the
registry does not know is noted when first seen and destroyed only when a later sweep, at least
REMOTE_SIGNING_ORPHAN_HOURS afterwards, still finds it unknown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.backends import get_backend
from certificates.models import UnaccountedKey
from devices.choices import CredentialState
from devices.models import RemoteCredential
from portal.audit import audit_record


class SweepResult(NamedTuple):
    """The credential ids whose keys this sweep destroyed, and those it noted as unknown."""

    destroyed: list[str]
    noted: list[str]


def remote_keys_sweep() -> SweepResult:
    """Destroy the slot's keys of destroyed credentials, and those unknown to the registry
    since at least REMOTE_SIGNING_ORPHAN_HOURS; note the unknown ones seen for the first time.
    Safe to run twice at once: each destruction is decided on the noted row, locked."""
    backend = get_backend()
    held = set(backend.remote_key_ids())
    known = dict(
        RemoteCredential.objects.filter(credential_id__in=held).values_list(
            "credential_id", "state"
        )
    )
    now = timezone.now()
    gone = sorted(k for k, state in known.items() if state == CredentialState.DESTROYED)
    unknown = held - set(known)
    UnaccountedKey.objects.exclude(credential_id__in=unknown).delete()
    noted = []
    for credential_id in sorted(unknown):
        _row, created = UnaccountedKey.objects.get_or_create(
            credential_id=credential_id, defaults={"seen_at": now}
        )
        if created:
            noted.append(credential_id)
    cutoff = now - timedelta(hours=settings.REMOTE_SIGNING_ORPHAN_HOURS)
    destroyed = []
    if gone:
        destroyed += _destroy(gone, why="revoked")
    with transaction.atomic():
        due = list(
            UnaccountedKey.objects.select_for_update(skip_locked=True)
            .filter(credential_id__in=unknown, seen_at__lte=cutoff)
            .order_by("credential_id")
            .values_list("credential_id", flat=True)
        )
        # Still unknown, on the locked rows: an issuance that committed since is kept.
        due = [k for k in due if not RemoteCredential.objects.filter(credential_id=k).exists()]
        if due:
            destroyed += _destroy(due, why="unknown")
            UnaccountedKey.objects.filter(credential_id__in=due).delete()
    return SweepResult(destroyed=destroyed, noted=noted)


def _destroy(credential_ids: list[str], *, why: str) -> list[str]:
    objects = get_backend().remote_keys_destroy(credential_ids=credential_ids)
    with transaction.atomic():
        audit_record(
            actor=None,
            action="remote_key.sweep_destroy",
            after={"credential_ids": credential_ids, "why": why, "objects": objects},
        )
    return credential_ids
