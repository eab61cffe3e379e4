"""The append-only, hash-chained audit trail.

Every event stores the sha256 of a canonical JSON of all its fields, including its sequence
number and the hash of the previous event. Changing a field breaks that event's hash; deleting
or reordering events breaks the links; deleting the newest events disagrees with the chain head.
The chain is not keyed: someone able to rewrite the whole table and the head at once can forge
a consistent chain, which the database guard (migration 0002) and backups are there to stop.
"""

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from portal.middleware import current_request_context
from portal.models import GENESIS_HASH, AuditChainHead, AuditEvent

HEAD_PK = 1


class AuditChainError(Exception):
    """The chain cannot be extended safely (its head row is gone while events remain)."""


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None
    message: str


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the audit trail, in the caller's transaction.

    Call it inside the transaction that makes the change: if that transaction rolls back, the
    event goes with it, and if recording fails, the change fails too. The chain head is locked
    for the rest of the transaction, so audited writes are serialised; keep them short.
    Costs three queries (lock head, insert event, update head).
    """
    context = current_request_context()
    actor_id = getattr(actor, "pk", None)
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        event = AuditEvent(
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor.get_username()[:150] if actor_id is not None else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=str(obj)[:255] if obj is not None else "",
            before=_jsonable(before),
            after=_jsonable(after),
            reason=reason,
            request_id=context.get("request_id") or "",
            ip=context.get("ip") or None,
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def audit_verify() -> VerifyResult:
    """Walk the whole chain in sequence order, in constant memory, and report the first break."""
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None:
        if AuditEvent.objects.exists():
            first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
            return VerifyResult(False, 0, first, "the chain head row is missing")
        return VerifyResult(True, 0, None, "no events")

    # Only the events the head already covered when we started: writers keep appending while
    # we walk, and what they add is checked next time.
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    events = AuditEvent.objects.filter(seq__lte=head.last_seq).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                f"event missing (next present event is seq {event.seq})",
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                event.seq,
                "prev_hash does not match the previous event (event deleted or reordered)",
            )
        if event_hash(event) != event.hash:
            return VerifyResult(False, checked, event.seq, "content does not match its hash")
        checked += 1
        expected_seq, prev_hash = event.seq + 1, event.hash

    if checked != head.last_seq:
        return VerifyResult(
            False,
            checked,
            expected_seq,
            f"event missing (the chain head says the last event is seq {head.last_seq})",
        )
    if prev_hash != head.last_hash:
        return VerifyResult(
            False, checked, head.last_seq, "the last event does not match the chain head"
        )
    # Events beyond the head are legitimate only if a writer moved the head meanwhile; check
    # the events first, then the head, so that a committed append is always seen with its head.
    beyond = AuditEvent.objects.filter(seq__gt=head.last_seq).exists()
    if beyond and AuditChainHead.objects.get(pk=HEAD_PK).last_seq == head.last_seq:
        return VerifyResult(
            False, checked, head.last_seq + 1, "event present beyond the chain head"
        )
    return VerifyResult(True, checked, None, f"{checked} events verified")


def event_hash(event: AuditEvent) -> str:
    """sha256 hex of the canonical JSON of every field of `event` except `id` and `hash`."""
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "request_id": event.request_id,
        # The database may spell an address differently from how it was given (IPv6).
        "ip": ipaddress.ip_address(event.ip).exploded if event.ip else None,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(
        payload,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_head() -> AuditChainHead:
    try:
        return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
    except AuditChainHead.DoesNotExist:
        pass
    # First event ever (or the test runner flushed the tables). A missing head with events
    # present means someone deleted it: refuse rather than fork the chain.
    if AuditEvent.objects.exists():
        raise AuditChainError(
            "The audit chain head is missing while events exist; run `manage.py audit_verify`."
        )
    AuditChainHead.objects.get_or_create(pk=HEAD_PK)
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


def _jsonable(value: dict | None):
    """Dates, decimals, UUIDs… become JSON values, so what is hashed is what is stored.

    Floats without a fraction become ints: PostgreSQL's jsonb reads 1e+20 back as an integer,
    which would otherwise change the canonical JSON and break the hash.
    """
    if value is None:
        return None
    encoded = json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False)
    return _integral_floats_to_int(json.loads(encoded))


def _integral_floats_to_int(value):
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {key: _integral_floats_to_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats_to_int(item) for item in value]
    return value
