"""A person's blind index had two indexes: its own and the one of `person_national_id_unique`.
The second serves every lookup; the first was one more entry to write at every change of the
ID, the retention sweep's included (docs/retention.md §6)."""

from django.db import migrations

import portal.field_crypto


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0017_national_id_ascii_digits"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="national_id_index",
            field=portal.field_crypto.BlindIndexField(
                blank=True, db_default="", db_index=False, default="", editable=False, max_length=64
            ),
        ),
    ]
