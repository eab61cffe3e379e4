"""Key the audit chain: each event records the id of the HMAC key its hash was made with.

Existing events keep an empty `key_id`: they are the legacy, unkeyed sha256 events, accepted by
`audit_verify` only before the first keyed event (docs/architecture.md §6). No row is updated:
the append-only guard (migration 0002) stays in force throughout.

On SQLite, adding a NOT NULL column rebuilds the table, which drops the guard's triggers, so
the guard is installed again right after (the caveat of migration 0002).
Unapplying it drops the key ids: the keyed events then no longer verify.
"""

from importlib import import_module

from django.db import migrations, models

guard = import_module("portal.migrations.0002_audit_append_only_guard")


def reinstall_guard_on_sqlite(apps, schema_editor):
    # Whether the table was rebuilt depends on the SQLite version (DROP COLUMN keeps triggers):
    # drop what may be left, then install the guard afresh.
    if schema_editor.connection.vendor == "sqlite":
        guard.remove_guard(apps, schema_editor)
        guard.install_guard(apps, schema_editor)



class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_notifications"),
    ]

    operations = [
        # Unapplying removes the column, which rebuilds the table again: guard it once more.
        migrations.RunPython(migrations.RunPython.noop, reinstall_guard_on_sqlite),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=16, verbose_name="mã khóa"
            ),
        ),
        migrations.RunPython(reinstall_guard_on_sqlite, migrations.RunPython.noop),
    ]
