"""The people recorded before Person.created_at existed get, as that date, the earliest trace
of them in the records (a certificate, a letter row, a device handed to them, their account),
or the migration's time when there is none: the retention sweep then judges each by its
records rather than de-identifying at once someone recorded without any yet
(docs/retention.md). Here, the highest app of those records, not in agencies."""

from django.conf import settings
from django.db import migrations
from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Now


def _earliest(model, person_field, date_field):
    return Subquery(
        model.objects.filter(**{person_field: OuterRef("pk")})
        .order_by()
        .values(person_field)
        .annotate(first=Min(date_field))
        .values("first")[:1]
    )


def backfill(apps, schema_editor):
    Person = apps.get_model("agencies", "Person")
    Certificate = apps.get_model("certificates", "Certificate")
    RequestRow = apps.get_model("requests_app", "RequestRow")
    CustodyRecord = apps.get_model("devices", "CustodyRecord")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    joined = User.objects.filter(pk=OuterRef("user_id")).values("date_joined")[:1]
    Person.objects.filter(created_at__isnull=True).update(
        created_at=Coalesce(
            _earliest(Certificate, "person", "created_at"),
            _earliest(RequestRow, "person", "cert_request__created_at"),
            _earliest(CustodyRecord, "person", "held_from"),
            Subquery(joined),
            Now(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0024_letter_deidentified_at"),
        ("agencies", "0012_person_retention_dates"),
        ("certificates", "0013_timestamping_authority"),
        ("devices", "0013_documents_in_object_store"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
