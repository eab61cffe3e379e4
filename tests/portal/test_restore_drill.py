"""The backup and restore drill (`manage.py restore_drill`, docs/operations.md) on real data:
pg_dump, a scratch database, pg_restore, audit_verify against the checkpoints, drop."""

import shutil
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from agencies.services import organization_find_or_create
from portal.audit import audit_checkpoint
from portal.models import AuditChainHead, AuditEvent
from tests.audit_guard import audit_guard_suspended
from tests.helpers import postgresql_only, service_missing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_and_its_tools():
    if connection.vendor != "postgresql":
        postgresql_only("the restore drill")
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if shutil.which(tool) is None:
            service_missing(f"{tool} is not on PATH")


def audited_changes(cast, count):
    for i in range(1, count + 1):
        organization_find_or_create(
            agency=cast.agency_a, data={"organization_name": f"Phòng số {i}"}, by=cast.clerk_a
        )


def drill():
    out = StringIO()
    call_command("restore_drill", checkpoints=settings.AUDIT_CHECKPOINT_FILE, stdout=out)
    return out.getvalue()


def scratch_databases():
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        prefix = connection.settings_dict["NAME"][:30] + "_drill_"
        return [name for (name,) in cursor.fetchall() if name.startswith(prefix)]


def test_a_restored_backup_verifies_against_the_last_checkpoint(cast):
    audited_changes(cast, 3)
    checkpoint = audit_checkpoint()
    assert checkpoint.seq == AuditEvent.objects.count() >= 3

    output = drill()

    assert f"OK: {checkpoint.seq} events verified" in output
    assert output.strip().endswith("Restore drill passed.")
    assert scratch_databases() == []


def test_a_backup_taken_after_the_newest_events_were_deleted_fails_the_drill(cast):
    audited_changes(cast, 3)
    checkpoint = audit_checkpoint()
    keep = checkpoint.seq - 2
    with audit_guard_suspended():
        AuditEvent.objects.filter(seq__gt=keep).delete()
    AuditChainHead.objects.update(last_seq=keep, last_hash=AuditEvent.objects.get(seq=keep).hash)

    out = StringIO()
    with pytest.raises(CommandError, match="Restore drill FAILED"):
        call_command("restore_drill", checkpoints=settings.AUDIT_CHECKPOINT_FILE, stdout=out)
    assert (
        f"BROKEN at seq {keep + 1}: the chain ends at seq {keep} but the checkpoint of "
        f"{checkpoint.at} (checkpoint line 1) recorded seq {checkpoint.seq}"
    ) in out.getvalue()
    assert scratch_databases() == []
