"""Many audit events in one step (docs/architecture.md §6, §12.3–§12.4): the same events,
hashes and chain as one `portal.audit.audit_record` call each, with the chain head locked and
moved once and the events written in one statement."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection, transaction
from django.utils import timezone

from portal.audit import canonical_bytes, jsonable, lock_head
from portal.audit_keys import current_key, mac
from portal.field_crypto import redacted
from portal.lib.bulk import insert_rows
from portal.lib.safetext import safe_text
from portal.middleware import current_request_context
from portal.models import AuditEvent


@dataclass(frozen=True)
class AuditObject:
    """What an event names of its object, for rows a batch wrote without building model
    instances (docs/scale.md §12.4): the model, the key and the text `str()` of the
    instance would give."""

    model: type
    pk: object
    text: str


@dataclass(frozen=True)
class AuditEntry:
    """One event of `audit_record_many`: what `audit_record` takes but the actor (the batch's);
    `obj` a model instance or an `AuditObject`."""

    action: str
    obj: object = None
    before: dict | None = None
    after: dict | None = None
    reason: str = ""


def audit_record_many(*, actor, entries: Iterable[AuditEntry], reason: str = "") -> int:
    """Append many events at once, in the caller's transaction; returns how many.

    The same events, hashes and chain as one `audit_record` call per entry, in the order given,
    but the chain head is locked and moved once and the events go in one statement (a COPY on
    PostgreSQL): a batch of a thousand costs three queries instead of three thousand
    (docs/architecture.md §6).
    An entry's own `reason` wins over the batch's.
    """
    context = current_request_context()
    actor_id = getattr(actor, "pk", None)
    actor_label = safe_text(actor.get_username()[:150]) if actor_id is not None else ""
    key = current_key()
    with transaction.atomic(savepoint=False):
        head = lock_head()
        seq, prev_hash, now = head.last_seq, head.last_hash, timezone.now()
        events = []
        for entry in entries:
            obj = entry.obj
            seq += 1
            if isinstance(obj, AuditObject):
                object_type, object_id, object_repr = (
                    obj.model._meta.label_lower,
                    str(obj.pk),
                    obj.text[:255],
                )
            elif obj is not None:
                object_type, object_id, object_repr = (
                    obj._meta.label_lower,
                    str(obj.pk) if obj.pk is not None else "",
                    str(obj)[:255],
                )
            else:
                object_type = object_id = object_repr = ""
            # The event's fields, hashed as `canonical_bytes` hashes a stored AuditEvent; no model
            # instance is built for them (tens of thousands in a sweep, §12.4).
            event = SimpleNamespace(
                seq=seq,
                occurred_at=now,
                actor_id=actor_id,
                actor_label=actor_label,
                action=entry.action,
                object_type=object_type,
                object_id=object_id,
                object_repr=safe_text(object_repr),
                before=jsonable(redacted(entry.before)),
                after=jsonable(redacted(entry.after)),
                reason=safe_text(entry.reason or reason),
                request_id=safe_text(context.get("request_id") or ""),
                ip=context.get("ip") or None,
                prev_hash=prev_hash,
                key_id=key.key_id,
            )
            event.hash = prev_hash = mac(key.secret, canonical_bytes(event))
            events.append(event)
        if not events:
            return 0
        _insert_events(events)
        head.last_seq, head.last_hash = seq, prev_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return len(events)


_EVENT_FIELDS = (
    "seq", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id",
    "object_repr", "before", "after", "reason", "request_id", "ip", "prev_hash", "hash", "key_id",
)  # fmt: skip


def _insert_events(events: list[SimpleNamespace]) -> None:
    """Write built events: one COPY on PostgreSQL, the JSON fields as JSON text (a sweep's tens
    of thousands of events bound as parameters cost seconds of CPU, docs/architecture.md
    §12.4); elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create(
            [AuditEvent(**{name: getattr(e, name) for name in _EVENT_FIELDS}) for e in events],
            batch_size=2000,
        )
        return

    def text(value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    insert_rows(
        AuditEvent,
        _EVENT_FIELDS,
        (
            (e.seq, e.occurred_at, e.actor_id, e.actor_label, e.action, e.object_type,
             e.object_id, e.object_repr, text(e.before), text(e.after), e.reason, e.request_id,
             e.ip, e.prev_hash, e.hash, e.key_id)
            for e in events
        ),
    )  # fmt: skip
