"""The edXML messages, taken over from the letters' app with their table
(`requests_app.0036`): Django's state only, no row copied. The content type follows, so that
permissions and admin history already granted on the model keep pointing at it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _content_type_move(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=target, model="edxmlmessage").exists():
        ContentType.objects.filter(app_label=source, model="edxmlmessage").update(app_label=target)


def content_type_forward(apps, schema_editor):
    _content_type_move(apps, "requests_app", "exchange")


def content_type_back(apps, schema_editor):
    _content_type_move(apps, "exchange", "requests_app")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("requests_app", "0036_edxml_message_to_exchange"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="EdxmlMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "direction",
                            models.CharField(
                                choices=[("sent", "Đã gửi"), ("received", "Đã nhận")],
                                max_length=8,
                                verbose_name="chiều",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("letter", "Văn bản"), ("status", "Trạng thái")],
                                max_length=8,
                                verbose_name="loại thông điệp",
                            ),
                        ),
                        (
                            "document_id",
                            models.CharField(
                                max_length=128, verbose_name="mã văn bản (DocumentId)"
                            ),
                        ),
                        (
                            "status_code",
                            models.CharField(
                                blank=True, max_length=2, verbose_name="mã trạng thái"
                            ),
                        ),
                        ("parties", models.JSONField(default=dict, verbose_name="các bên")),
                        ("content", models.BinaryField(default=b"", verbose_name="nội dung")),
                        ("sha256", models.CharField(max_length=64, verbose_name="mã băm SHA-256")),
                        (
                            "pdf_sha256",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="mã băm SHA-256 của PDF"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="lúc")),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "letter",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="edxml_messages",
                                to="requests_app.certrequest",
                                verbose_name="văn bản",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "thông điệp edXML",
                        "verbose_name_plural": "thông điệp edXML",
                        "db_table": "requests_app_edxmlmessage",
                        "ordering": ["created_at", "pk"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("kind", "letter")),
                                fields=("direction", "document_id"),
                                name="edxml_one_package_per_direction",
                                violation_error_message="Gói edXML này đã được ghi nhận.",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("kind", "status")),
                                fields=("direction", "document_id", "status_code"),
                                name="edxml_one_status_per_code",
                                violation_error_message="Thông điệp trạng thái này đã được ghi nhận.",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(
                                    ("direction", "received"),
                                    ("kind", "letter"),
                                    models.Q(("pdf_sha256", ""), _negated=True),
                                ),
                                fields=("pdf_sha256",),
                                name="edxml_one_package_per_pdf",
                                violation_error_message="Văn bản PDF này đã được nhận qua một gói edXML khác.",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_forward, content_type_back),
    ]
