"""Letters and their rows write fewer index entries (docs/retention.md §6): a link to another
record and a blind index are indexed only where they hold a value (partial indexes); the
letter's key in a row is found by `row_position_unique`, a letter's status by
`req_status_due_idx`, so their own indexes go.

The fields' own indexes are dropped by name (Django's names for them): an AlterField of a
foreign key would also drop, and never recreate, the partial unique indexes on the same column
(`row_one_open_request_per_certificate`, `..._per_device`), and would drop and re-add each
foreign key constraint, validating it over every row again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import portal.field_crypto

# The indexes Django made for these fields (table, column, name, operator class): the names
# are those of `BaseDatabaseSchemaEditor._create_index_name`, the same on every database made
# by these migrations.
FIELD_INDEXES = [
    ("requests_app_certrequest", "status", "requests_app_certrequest_status_45aca58d", ""),
    (
        "requests_app_certrequest",
        "status",
        "requests_app_certrequest_status_45aca58d_like",
        " varchar_pattern_ops",  # PostgreSQL only
    ),
    (
        "requests_app_certrequest",
        "contact_national_id_index",
        "requests_app_certrequest_contact_national_id_index_4101900d",
        "",
    ),
    (
        "requests_app_requestrow",
        "cert_request_id",
        "requests_app_requestrow_cert_request_id_0c34b096",
        "",
    ),
    (
        "requests_app_requestrow",
        "certificate_id",
        "requests_app_requestrow_certificate_id_21a31481",
        "",
    ),
    (
        "requests_app_requestrow",
        "decided_by_id",
        "requests_app_requestrow_decided_by_id_d41b7f21",
        "",
    ),
    ("requests_app_requestrow", "device_id", "requests_app_requestrow_device_id_d623add5", ""),
    ("requests_app_requestrow", "person_id", "requests_app_requestrow_person_id_54d53c1b", ""),
    (
        "requests_app_requestrow",
        "result_certificate_id",
        "requests_app_requestrow_result_certificate_id_359a127e",
        "",
    ),
    (
        "requests_app_requestrow",
        "result_device_id",
        "requests_app_requestrow_result_device_id_3dcebe7d",
        "",
    ),
    (
        "requests_app_requestrow",
        "subject_organization_id",
        "requests_app_requestrow_subject_organization_id_882c7e02",
        "",
    ),
    (
        "requests_app_requestrow",
        "national_id_index",
        "requests_app_requestrow_national_id_index_10cae218",
        "",
    ),
]


def drop_field_indexes(apps, schema_editor):
    for _table, _column, name, _ops in FIELD_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_field_indexes(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, column, name, ops in FIELD_INDEXES:
        if ops and not postgresql:
            continue
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}"{ops})')


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0018_person_national_id_found_by_its_unique_index"),
        ("certificates", "0013_timestamping_authority"),
        ("devices", "0017_encrypt_existing_documents_in_row"),
        ("privacy", "0005_access_drop_duplicate_indexes"),
        ("requests_app", "0031_letter_correction_request"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_field_indexes, restore_field_indexes),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="certrequest",
                    name="contact_national_id_index",
                    field=portal.field_crypto.BlindIndexField(
                        blank=True,
                        db_default="",
                        db_index=False,
                        default="",
                        editable=False,
                        max_length=64,
                    ),
                ),
                migrations.AlterField(
                    model_name="certrequest",
                    name="status",
                    field=models.CharField(
                        choices=[
                            ("draft", "Dự thảo"),
                            ("awaiting_head", "Chờ lãnh đạo ký"),
                            ("issued", "Đã ban hành"),
                            ("province_review", "Sở KH&CN đang xem xét"),
                            ("forwarded", "Đã chuyển CA"),
                            ("in_process", "Đang xử lý"),
                            ("processing_failed", "Xử lý thất bại"),
                            ("done", "Hoàn thành"),
                            ("refused", "Bị từ chối"),
                            ("cancelled", "Đã hủy"),
                        ],
                        default="draft",
                        max_length=20,
                        verbose_name="trạng thái",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="cert_request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="requests_app.certrequest",
                        verbose_name="văn bản",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="certificate",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="request_rows",
                        to="certificates.certificate",
                        verbose_name="chứng thư",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="decided_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="device",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="request_rows",
                        to="devices.device",
                        verbose_name="thiết bị",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="national_id_index",
                    field=portal.field_crypto.BlindIndexField(
                        blank=True,
                        db_default="",
                        db_index=False,
                        default="",
                        editable=False,
                        max_length=64,
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="person",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="result_certificate",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="produced_by_rows",
                        to="certificates.certificate",
                        verbose_name="chứng thư kết quả",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="result_device",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="produced_by_rows",
                        to="devices.device",
                        verbose_name="thiết bị kết quả",
                    ),
                ),
                migrations.AlterField(
                    model_name="requestrow",
                    name="subject_organization",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.organization",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="certrequest",
            index=models.Index(
                condition=models.Q(("contact_national_id_index", ""), _negated=True),
                fields=["contact_national_id_index"],
                name="req_contact_id_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("person__isnull", False)),
                fields=["person"],
                name="row_person_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("subject_organization__isnull", False)),
                fields=["subject_organization"],
                name="row_subject_organization_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("certificate__isnull", False)),
                fields=["certificate"],
                name="row_certificate_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("device__isnull", False)),
                fields=["device"],
                name="row_device_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("decided_by__isnull", False)),
                fields=["decided_by"],
                name="row_decided_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("result_certificate__isnull", False)),
                fields=["result_certificate"],
                name="row_result_certificate_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("result_device__isnull", False)),
                fields=["result_device"],
                name="row_result_device_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="requestrow",
            index=models.Index(
                condition=models.Q(("national_id_index", ""), _negated=True),
                fields=["national_id_index"],
                name="row_national_id_idx",
            ),
        ),
    ]
