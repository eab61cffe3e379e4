"""The keyed audit chain, its key rotation and its checkpoints outside the database
(docs/architecture.md §6)."""

import hashlib
import ipaddress
import json
import time
from datetime import UTC
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from portal.audit import audit_checkpoint, audit_record, audit_verify, canonical_bytes, event_hash
from portal.audit_keys import DEV_AUDIT_HMAC_KEY, key_id_of, mac
from portal.checks import check_audit_keys
from portal.models import AuditChainHead, AuditEvent
from portal.tasks import audit_checkpoint_task
from tests.audit_guard import audit_guard_suspended
from tests.helpers import TEST_AUDIT_HMAC_KEY

OTHER_KEY = "une-autre-cle-que-le-portail-ne-connait-pas-0123"
NEW_KEY = "khoa-moi-sau-khi-xoay-vong-dai-hon-ba-muoi-hai-ky-tu"


def record(cast, count, start=1):
    return [
        audit_record(
            actor=cast.clerk_a,
            action="organization.update",
            obj=cast.agency_a,
            after={"name": f"Tên {i}"},
            reason=f"Lần sửa thứ {i}",
        )
        for i in range(start, start + count)
    ]


def forge_from(seq, *, key_id, sign):
    """What an attacker with database access does: change event `seq`, then recompute every
    hash from it on with `sign(event)` and move the head along (guard suspended)."""
    prev_hash = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    with audit_guard_suspended():
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            if event.seq == seq:
                event.reason = "Lý do đã bị sửa"
            event.prev_hash, event.key_id = prev_hash, key_id
            event.hash = sign(event)
            AuditEvent.objects.filter(pk=event.pk).update(
                reason=event.reason, prev_hash=event.prev_hash, key_id=key_id, hash=event.hash
            )
            prev_hash = event.hash
    AuditChainHead.objects.update(last_hash=prev_hash)


def truncate_to(seq):
    """Delete the events after `seq` and rewind the head onto `seq` (guard suspended)."""
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq__gt=seq).delete()
    AuditChainHead.objects.update(last_seq=seq, last_hash=AuditEvent.objects.get(seq=seq).hash)


def checkpoint_lines():
    return Path(django_settings.AUDIT_CHECKPOINT_FILE).read_text().splitlines()


def sha256(event) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def unkeyed_chain_hash(event) -> str:
    """The hash of the chain before it was keyed, written out independently of the portal."""
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
        "ip": ipaddress.ip_address(event.ip).exploded if event.ip else None,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def other_key(event) -> str:
    return mac(OTHER_KEY.encode(), canonical_bytes(event))


@pytest.mark.parametrize(
    ("start", "key_id", "sign", "message"),
    [
        (3, "", sha256, "unkeyed (legacy sha256) event beyond AUDIT_LEGACY_UNTIL_SEQ=0"),
        (1, "", sha256, "unkeyed (legacy sha256) event beyond AUDIT_LEGACY_UNTIL_SEQ=0"),
        (
            3,
            key_id_of(OTHER_KEY),
            other_key,
            "unknown key id",
        ),
        (
            3,
            key_id_of(TEST_AUDIT_HMAC_KEY),
            other_key,
            "content does not match its MAC",
        ),
    ],
    ids=["plain-sha256", "plain-sha256-from-the-first-row", "own-key", "wrong-key-real-key-id"],
)
def test_a_chain_rewritten_from_one_row_on_without_the_key_fails_verification(
    cast, start, key_id, sign, message
):
    record(cast, 5)
    forge_from(start, key_id=key_id, sign=sign)

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, start)
    assert message in result.message


def test_a_hash_replaced_by_non_ascii_text_is_reported_as_broken_not_crashed(cast):
    record(cast, 3)
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq=2).update(hash="mã băm giả mạo")

    with pytest.raises(CommandError, match=r"BROKEN at seq 2: content does not match its MAC"):
        call_command("audit_verify", stdout=StringIO())


def test_a_truncated_chain_is_detected_against_the_last_checkpoint(cast):
    record(cast, 5)
    assert audit_checkpoint().seq == 5
    truncate_to(3)

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert "the chain ends at seq 3 but the checkpoint of" in result.message
    assert "recorded seq 5: newest events deleted and the head rewound" in result.message
    with pytest.raises(CommandError, match=r"BROKEN at seq 4: the chain ends at seq 3"):
        call_command("audit_verify", checkpoints=django_settings.AUDIT_CHECKPOINT_FILE)


def test_without_a_checkpoint_the_same_truncation_goes_unnoticed(cast):
    record(cast, 5)
    truncate_to(3)

    assert audit_verify().ok


def test_a_whole_trail_deleted_with_its_head_is_detected_against_the_last_checkpoint(cast):
    record(cast, 2)
    audit_checkpoint()
    AuditChainHead.objects.all().delete()
    with audit_guard_suspended():
        AuditEvent.objects.all().delete()

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 1)
    assert "the chain ends at seq 0" in result.message


def test_a_chain_rewritten_with_the_key_still_differs_from_the_last_checkpoint(cast):
    record(cast, 5)
    audit_checkpoint()
    # The attacker holds the key: every MAC is right, only the checkpoint knows better.
    forge_from(2, key_id=key_id_of(TEST_AUDIT_HMAC_KEY), sign=event_hash)

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "differs from the checkpoint of" in result.message
    assert "(checkpoint line 1): the chain was rewritten" in result.message


def test_events_keep_verifying_after_a_key_rotation_with_the_old_key_kept(cast, settings):
    old_id, new_id = key_id_of(TEST_AUDIT_HMAC_KEY), key_id_of(NEW_KEY)
    record(cast, 2)
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS_OLD = NEW_KEY, [TEST_AUDIT_HMAC_KEY]
    record(cast, 2, start=3)

    assert list(AuditEvent.objects.values_list("key_id", flat=True)) == [old_id] * 2 + [new_id] * 2
    assert (audit_verify().ok, audit_verify().checked) == (True, 4)
    settings.AUDIT_HMAC_KEYS_OLD = []
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 1)
    assert f"unknown key id {old_id}" in result.message


def test_an_event_under_a_retired_key_after_the_new_keys_events_fails_verification(cast, settings):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS_OLD = NEW_KEY, [TEST_AUDIT_HMAC_KEY]
    record(cast, 2)
    # Someone holding only the retired key appends with it.
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS_OLD = TEST_AUDIT_HMAC_KEY, []
    record(cast, 1, start=3)

    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS_OLD = NEW_KEY, [TEST_AUDIT_HMAC_KEY]
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "was retired before the previous event's key" in result.message


def test_legacy_unkeyed_events_verify_only_up_to_audit_legacy_until_seq(cast, settings):
    record(cast, 3)
    # What an installation holds before the upgrade: events hashed the unkeyed way.
    forge_from(1, key_id="", sign=unkeyed_chain_hash)
    record(cast, 2, start=4)

    settings.AUDIT_LEGACY_UNTIL_SEQ = 3
    assert (audit_verify().ok, audit_verify().checked) == (True, 5)
    settings.AUDIT_LEGACY_UNTIL_SEQ = 2
    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "AUDIT_LEGACY_UNTIL_SEQ=2" in result.message


def test_an_audited_write_without_a_key_fails_and_records_nothing(cast, settings):
    settings.AUDIT_HMAC_KEY = ""

    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY is not set"):
        audit_record(actor=cast.clerk_a, action="organization.update")
    assert not AuditEvent.objects.exists()


def test_a_checkpoint_is_one_json_line_and_a_run_with_the_same_head_writes_nothing(cast):
    events = record(cast, 3)

    first = audit_checkpoint()
    again = audit_checkpoint()
    call_command("audit_checkpoint", stdout=StringIO())

    assert again is None
    assert [json.loads(line) for line in checkpoint_lines()] == [
        {"at": first.at, "key_id": key_id_of(TEST_AUDIT_HMAC_KEY), "mac": events[-1].hash,
         "seq": 3}
    ]  # fmt: skip
    record(cast, 1, start=4)
    assert audit_checkpoint().seq == 4
    assert [json.loads(line)["seq"] for line in checkpoint_lines()] == [3, 4]


def test_a_checkpoint_is_emailed_to_the_configured_addresses(cast, settings, mailoutbox):
    settings.AUDIT_CHECKPOINT_EMAILS = ["kiemtoan@example.gov.vn", "antoan@example.gov.vn"]
    record(cast, 2)

    checkpoint = audit_checkpoint()
    audit_checkpoint()

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["kiemtoan@example.gov.vn", "antoan@example.gov.vn"]
    assert mailoutbox[0].subject == "Điểm kiểm tra nhật ký hoạt động #2"
    assert checkpoint.to_line() in mailoutbox[0].body


def test_an_empty_trail_gets_no_checkpoint(db):
    assert audit_checkpoint() is None
    assert not Path(django_settings.AUDIT_CHECKPOINT_FILE).exists()


def test_checkpointing_refuses_a_head_that_does_not_match_its_last_event(cast):
    from portal.audit import AuditChainError

    record(cast, 3)
    AuditChainHead.objects.update(last_seq=2)

    with pytest.raises(AuditChainError):
        audit_checkpoint()
    assert not Path(django_settings.AUDIT_CHECKPOINT_FILE).exists()


def test_a_checkpoint_file_with_a_damaged_line_fails_verification(cast):
    record(cast, 2)
    audit_checkpoint()
    with open(django_settings.AUDIT_CHECKPOINT_FILE, "a") as file:
        file.write('{"seq": "deux"}\n')

    result = audit_verify()
    assert result.ok is False
    assert "line 2 is not a checkpoint" in result.message


def test_verifying_against_a_checkpoint_file_that_does_not_exist_fails(cast, tmp_path):
    record(cast, 1)

    with pytest.raises(CommandError, match=r"^BROKEN: .*No such file or directory"):
        call_command("audit_verify", checkpoints=str(tmp_path / "missing.jsonl"))


def test_the_beat_schedule_checkpoints_every_audit_checkpoint_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["portal-audit-checkpoint"]

    assert entry["task"] == audit_checkpoint_task.name == "portal.tasks.audit_checkpoint_task"
    assert entry["schedule"] == django_settings.AUDIT_CHECKPOINT_MINUTES * 60 == 3600


def test_the_checkpoint_task_writes_the_head_through_a_real_worker(redis_worker, cast):
    events = record(cast, 2)

    audit_checkpoint_task.delay()
    path = Path(django_settings.AUDIT_CHECKPOINT_FILE)
    deadline = time.monotonic() + 20
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [json.loads(line)["mac"] for line in checkpoint_lines()] == [events[-1].hash]


@pytest.mark.parametrize(
    ("key", "old", "code"),
    [
        ("", [], "portal.E001"),
        ("ngan-qua", [], "portal.E002"),
        ("k" * 40, ["ngan"], "portal.E003"),
        (DEV_AUDIT_HMAC_KEY, [], "portal.E004"),
    ],
    ids=["missing", "short", "short-old-key", "development-key"],
)
def test_the_system_check_refuses_a_missing_short_or_public_key_outside_debug(
    settings, key, old, code
):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEYS_OLD = key, old

    assert [error.id for error in check_audit_keys(None)] == [code]
    settings.DEBUG = True
    assert check_audit_keys(None) == []


def test_the_system_check_accepts_a_long_enough_key_of_its_own(settings):
    assert check_audit_keys(None) == []
