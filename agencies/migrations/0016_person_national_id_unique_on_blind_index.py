"""The uniqueness of a person's ID number, now on its blind index (the column itself holds a
ciphertext that differs every time: docs/privacy-at-rest.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0015_encrypt_existing_people"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='person',
            constraint=models.UniqueConstraint(fields=('national_id_index',), name='person_national_id_unique', violation_error_message='Số định danh cá nhân này đã có trong hệ thống.'),
        ),
    ]
