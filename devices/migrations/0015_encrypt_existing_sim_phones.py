"""Encrypts the SIM PKI phone numbers already stored and fills their blind indexes, in batches that
each commit (PostgreSQL and SQLite alike): a run stopped half-way is resumed by running it
again, and the rows done are left alone (portal.field_rotation, docs/privacy-at-rest.md).
Reversible: the reverse writes the values back in clear before the columns become
character columns again."""

from django.db import migrations

from portal.field_rotation import encrypt_rows_migration

forward, backward = encrypt_rows_migration("devices.Device")


class Migration(migrations.Migration):
    atomic = False  # one transaction a batch, not one for the whole table

    dependencies = [
        ("devices", "0014_encrypt_sim_phone"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
