"""Encrypts the signed monthly reports kept in their rows (`MonthlyReportDocument.in_row`), in
batches that each commit (PostgreSQL and SQLite alike), reading one file at a time: a run
stopped half-way is resumed by running it again, and the rows done are left alone
(portal.field_rotation, docs/privacy-at-rest.md). Empty files stay empty. Reversible: the
reverse writes the files back in clear."""

from django.db import migrations

from portal.field_rotation import encrypt_rows_migration

forward, backward = encrypt_rows_migration("dashboard.MonthlyReportDocument", only=("in_row",))


class Migration(migrations.Migration):
    atomic = False  # one transaction a batch, not one for the whole table

    dependencies = [
        ("dashboard", "0006_encrypt_documents_in_row"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
