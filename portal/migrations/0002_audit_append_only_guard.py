"""Make the audit table append-only in the database itself.

PostgreSQL: one plpgsql function, a row-level BEFORE UPDATE OR DELETE trigger and a
statement-level BEFORE TRUNCATE trigger. TRUNCATE of an *empty* table is let through, because
the test runner's flush truncates every table after each transactional test.
SQLite: BEFORE UPDATE and BEFORE DELETE triggers doing RAISE(ABORT).

Caveat: on SQLite, Django alters a table by rebuilding it, which drops its triggers. A later
migration that alters AuditEvent must run `install_guard` again after the alteration (the
guard tests in tests/portal/test_audit.py fail on SQLite if it does not).
"""

from django.db import migrations

FUNCTION = "portal_audit_append_only"
ROW_TRIGGER = "portal_auditevent_append_only"
TRUNCATE_TRIGGER = "portal_auditevent_no_truncate"
SQLITE_TRIGGERS = {
    "UPDATE": "portal_auditevent_no_update",
    "DELETE": "portal_auditevent_no_delete",
}

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION portal_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    has_rows boolean;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
            INTO has_rows;
        IF NOT has_rows THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$
"""


def install_guard(apps, schema_editor):
    table = apps.get_model("portal", "AuditEvent")._meta.db_table
    qtable = schema_editor.quote_name(table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # No parameters: the body is full of % signs that are not placeholders.
        schema_editor.execute(FUNCTION_SQL, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {qtable} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {qtable} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
    elif vendor == "sqlite":
        for operation, name in SQLITE_TRIGGERS.items():
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {qtable} "
                f"BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {operation} refused'); "
                f"END"
            )
    # Other back ends are not supported by the portal; they simply get no guard.


def remove_guard(apps, schema_editor):
    table = apps.get_model("portal", "AuditEvent")._meta.db_table
    qtable = schema_editor.quote_name(table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {qtable}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {qtable}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS.values():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_audit_trail"),
    ]

    operations = [
        migrations.RunPython(install_guard, remove_guard),
    ]
