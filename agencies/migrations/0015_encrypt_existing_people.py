"""Encrypts the people's ID numbers, dates and mobile numbers already stored and fills their blind indexes, in batches that
each commit (PostgreSQL and SQLite alike): a run stopped half-way is resumed by running it
again, and the rows done are left alone (portal.field_rotation, docs/privacy-at-rest.md).
Reversible: the reverse writes the values back in clear before the columns become
character and date columns again."""

from django.db import migrations

from portal.field_rotation import encrypt_rows_migration

forward, backward = encrypt_rows_migration("agencies.Person")


class Migration(migrations.Migration):
    atomic = False  # one transaction a batch, not one for the whole table

    dependencies = [
        ("agencies", "0014_encrypt_personal_data"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
