"""Suspending the audit trail's database guard, for tests only."""

from contextlib import contextmanager

from django.db import connection

from portal.models import AuditChainHead, AuditEvent

TABLE = AuditEvent._meta.db_table


@contextmanager
def audit_guard_suspended():
    """Let a test tamper with (or empty) the audit table, then put the database guard back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE "{TABLE}" DISABLE TRIGGER USER')
            try:
                yield cursor
            finally:
                cursor.execute(f'ALTER TABLE "{TABLE}" ENABLE TRIGGER USER')
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
            triggers = cursor.fetchall()
            assert len(triggers) == 2, triggers
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            try:
                yield cursor
            finally:
                for _name, sql in triggers:
                    cursor.execute(sql)


def empty_audit_trail() -> None:
    """Every audit event and the chain's head deleted, with the guard suspended: a flush's
    DELETE of the trail is refused by the guard."""
    AuditChainHead.objects.all().delete()
    with audit_guard_suspended() as cursor:
        cursor.execute(f'DELETE FROM "{TABLE}"')  # noqa: S608 (the model's own table)
