"""The append-only, keyed, hash-chained audit trail (docs/architecture.md §6).

Every event stores an HMAC-SHA256, under the key its `key_id` names (`portal.audit_keys`), of
a canonical JSON of all its fields, including its sequence number, its key id and the hash of
the previous event. Changing a field breaks that event's MAC; deleting or reordering events
breaks the links; deleting the newest events disagrees with the chain head, and rewinding the
head as well disagrees with the last checkpoint kept outside the database
(`audit_checkpoint`, `portal.audit_checkpoint`). Without the key nobody can forge a chain that
verifies, not even from one row on.

Events written before the chain was keyed have an empty `key_id` and a plain sha256; they are
accepted only up to AUDIT_LEGACY_UNTIL_SEQ, a boundary set outside the database.
"""

import hashlib
import hmac
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from portal.audit_checkpoint import (
    Checkpoint,
    CheckpointFileError,
    append_checkpoint,
    read_checkpoints,
)
from portal.audit_keys import LEGACY_KEY_ID, LEGACY_RANK, current_key, keyring, mac
from portal.field_crypto import redacted
from portal.lib.safetext import safe_json, safe_text
from portal.middleware import current_request_context
from portal.models import GENESIS_HASH, AuditChainHead, AuditEvent

HEAD_PK = 1


class AuditChainError(Exception):
    """The chain cannot be extended or checkpointed safely (its head row is gone or wrong)."""


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
    key = current_key()  # no key, no event: the caller's change fails with it
    with transaction.atomic(savepoint=False):
        head = lock_head()
        event = AuditEvent(
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor_id=actor_id,
            actor_label=safe_text(actor.get_username()[:150]) if actor_id is not None else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=safe_text(str(obj)[:255]) if obj is not None else "",
            # Personal data never in clear in the trail (docs/privacy-at-rest.md).
            before=jsonable(redacted(before)),
            after=jsonable(redacted(after)),
            reason=safe_text(reason),
            request_id=safe_text(context.get("request_id") or ""),
            ip=context.get("ip") or None,
            prev_hash=head.last_hash,
            key_id=key.key_id,
        )
        event.hash = mac(key.secret, canonical_bytes(event))
        event.save(force_insert=True)
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def audit_verify(*, checkpoints: str | Path | None = None) -> VerifyResult:
    """Walk the whole chain in sequence order, in constant memory, and report the first break.

    Then check that every checkpoint of `checkpoints` (default: AUDIT_CHECKPOINT_FILE, when it
    exists) is still in the chain with its MAC: a chain cut short with its head rewound, or
    rewritten, is caught there.
    """
    try:
        pinned = _load_checkpoints(checkpoints)
    except (OSError, CheckpointFileError) as exc:
        return VerifyResult(False, 0, None, str(exc))
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None:
        if AuditEvent.objects.exists():
            first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
            return VerifyResult(False, 0, first, "the chain head row is missing")
        if pinned:
            return _lost_checkpoint(pinned, last_seq=0, checked=0)
        return VerifyResult(True, 0, None, "no events")

    ring, legacy_until = keyring(), settings.AUDIT_LEGACY_UNTIL_SEQ
    # Only the events the head already covered when we started: writers keep appending while
    # we walk, and what they add is checked next time.
    expected_seq, prev_hash, checked, rank = 1, GENESIS_HASH, 0, LEGACY_RANK
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
        problem = _key_problem(event, ring, rank, legacy_until)
        if problem:
            return VerifyResult(False, checked, event.seq, problem)
        if not _same(event_hash(event), event.hash):
            return VerifyResult(False, checked, event.seq, "content does not match its MAC")
        for line, checkpoint in pinned.get(event.seq, ()):
            if checkpoint.mac != event.hash:
                return VerifyResult(
                    False,
                    checked,
                    event.seq,
                    f"the event differs from the checkpoint of {checkpoint.at} "
                    f"(checkpoint line {line}): the chain was rewritten",
                )
        checked += 1
        rank = ring[event.key_id].rank if event.key_id else LEGACY_RANK
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
    later = {seq: items for seq, items in pinned.items() if seq > head.last_seq}
    if later:
        return _check_later_checkpoints(later, head.last_seq, checked)
    return VerifyResult(True, checked, None, f"{checked} events verified")


def audit_checkpoint() -> Checkpoint | None:
    """Record the chain head outside the database, for `audit_verify` to hold the chain to.

    Appends (seq, MAC, key id, time) to AUDIT_CHECKPOINT_FILE and e-mails the same line to
    AUDIT_CHECKPOINT_EMAILS. Idempotent: when the file's last line already holds the current
    head, nothing is written and nothing is sent. Returns the checkpoint written, or None.
    The head is checkpointed only if it matches its event and that event's MAC verifies.
    """
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None or head.last_seq == 0:
        return None
    event = AuditEvent.objects.filter(seq=head.last_seq).first()
    if event is None or event.hash != head.last_hash or not _same(event_hash(event), event.hash):
        raise AuditChainError(
            "The audit chain head does not match its last event; run `manage.py audit_verify`."
        )
    checkpoint = Checkpoint(
        seq=event.seq,
        mac=event.hash,
        key_id=event.key_id,
        at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
    )
    if not append_checkpoint(settings.AUDIT_CHECKPOINT_FILE, checkpoint):
        return None
    if settings.AUDIT_CHECKPOINT_EMAILS:
        send_mail(
            gettext("Điểm kiểm tra nhật ký hoạt động #%(seq)s") % {"seq": checkpoint.seq},
            gettext(
                "Đầu chuỗi nhật ký hoạt động tại thời điểm này. Hãy lưu thư này ở nơi người "
                "quản trị cơ sở dữ liệu không sửa được: lệnh audit_verify dùng nó để phát hiện "
                "việc xoá các sự kiện mới nhất."
            )
            + "\n\n"
            + checkpoint.to_line(),
            None,
            settings.AUDIT_CHECKPOINT_EMAILS,
        )
    return checkpoint


def event_hash(event: AuditEvent) -> str:
    """The MAC of `event` under the key its `key_id` names (plain sha256 for legacy events)."""
    canonical = canonical_bytes(event)
    if event.key_id == LEGACY_KEY_ID:
        return hashlib.sha256(canonical).hexdigest()
    key = keyring().get(event.key_id)
    if key is None:
        raise AuditChainError(f"Unknown audit key id {event.key_id!r}.")
    return mac(key.secret, canonical)


def canonical_bytes(event: AuditEvent) -> bytes:
    """The canonical JSON of every field of `event` except `id` and `hash`."""
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
    if event.key_id != LEGACY_KEY_ID:
        # Legacy events were hashed without it; keyed ones bind their key id.
        payload["key_id"] = event.key_id
    canonical = json.dumps(
        payload,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return canonical.encode("utf-8")


def _key_problem(event: AuditEvent, ring, rank: int, legacy_until: int) -> str | None:
    """Why `event`'s key may not be used where it stands, or None."""
    if event.key_id == LEGACY_KEY_ID:
        if event.seq > legacy_until:
            return (
                f"unkeyed (legacy sha256) event beyond AUDIT_LEGACY_UNTIL_SEQ={legacy_until}: "
                "the chain was rewritten without the key, or AUDIT_LEGACY_UNTIL_SEQ is not set "
                "to the last seq written before the upgrade"
            )
        if rank > LEGACY_RANK:
            return "unkeyed (legacy sha256) event after keyed events"
        return None
    key = ring.get(event.key_id)
    if key is None:
        return (
            f"unknown key id {event.key_id} (a retired key missing from AUDIT_HMAC_KEYS_OLD, "
            "or a forged event)"
        )
    if key.rank < rank:
        return f"key id {event.key_id} was retired before the previous event's key"
    return None


def _same(computed: str, stored: str) -> bool:
    """Constant-time comparison that a stored value with non-ASCII characters cannot crash."""
    return hmac.compare_digest(computed.encode(), stored.encode())


def _load_checkpoints(path) -> dict[int, list[tuple[int, Checkpoint]]]:
    if path is None:
        path = settings.AUDIT_CHECKPOINT_FILE
        if not Path(path).exists():
            return {}
    pinned: dict[int, list[tuple[int, Checkpoint]]] = {}
    for line, checkpoint in read_checkpoints(path):
        pinned.setdefault(checkpoint.seq, []).append((line, checkpoint))
    return pinned


def _lost_checkpoint(pinned, *, last_seq: int, checked: int) -> VerifyResult:
    seq = max(pinned)
    line, checkpoint = pinned[seq][-1]
    return VerifyResult(
        False,
        checked,
        last_seq + 1,
        f"the chain ends at seq {last_seq} but the checkpoint of {checkpoint.at} "
        f"(checkpoint line {line}) recorded seq {seq}: newest events deleted and the head "
        "rewound",
    )


def _check_later_checkpoints(later, last_seq: int, checked: int) -> VerifyResult:
    """Checkpoints beyond the head we walked to: fine if a writer has since moved the head
    past them with those very events; otherwise the chain lost its newest events."""
    now = AuditChainHead.objects.get(pk=HEAD_PK).last_seq
    if max(later) > now:
        return _lost_checkpoint(later, last_seq=last_seq, checked=checked)
    hashes = dict(AuditEvent.objects.filter(seq__in=later).values_list("seq", "hash"))
    for seq, items in sorted(later.items()):
        for line, checkpoint in items:
            if hashes.get(seq) != checkpoint.mac:
                return VerifyResult(
                    False,
                    checked,
                    seq,
                    f"the event differs from the checkpoint of {checkpoint.at} "
                    f"(checkpoint line {line}): the chain was rewritten",
                )
    return VerifyResult(True, checked, None, f"{checked} events verified")


def lock_head() -> AuditChainHead:
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


def jsonable(value: dict | None):
    """Dates, decimals, UUIDs… become JSON values, so what is hashed is what is stored; every
    string is made safe for PostgreSQL (`portal.lib.safetext`: a request path with a NUL byte,
    a name as typed with a lone surrogate), before it is hashed.

    Floats without a fraction become ints: PostgreSQL's jsonb reads 1e+20 back as an integer,
    which would otherwise change the canonical JSON and break the hash.
    """
    if value is None:
        return None
    if type(value) is dict and all(
        type(key) is str and type(item) in _JSON_AS_IS for key, item in value.items()
    ):
        # Strings, integers, booleans and None come back from JSON as they went in: a
        # sweep's tens of thousands of snapshots skip the round trip (§12.4).
        return safe_json(value)
    encoded = json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False)
    return safe_json(integral_floats_to_int(json.loads(encoded)))


# Exact types (not subclasses such as TextChoices members) that JSON gives back unchanged.
_JSON_AS_IS = frozenset({str, int, bool, type(None)})


def integral_floats_to_int(value):
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {key: integral_floats_to_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_to_int(item) for item in value]
    return value
