"""Encrypts the import jobs' results and the replayed API responses already stored, in
batches that each commit (PostgreSQL and SQLite alike): a run stopped half-way is resumed by
running it again (portal.field_rotation, docs/privacy-at-rest.md). Reversible: the reverse
writes them back in clear before the columns become JSON again."""

from django.db import migrations

from portal.field_rotation import encrypt_rows_migration

forward, backward = encrypt_rows_migration("portal.ImportJob", "portal.IdempotencyKey")


class Migration(migrations.Migration):
    atomic = False  # one transaction a batch, not one for the whole table

    dependencies = [
        ("portal", "0016_encrypt_import_results_and_replayed_responses"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
