"""The people recorded before Person.created_at existed get, as that date, the earliest trace
of them in the records (a certificate, a letter row, a device handed to them, their account),
or the migration's time when there is none: the retention sweep then judges each by its
records rather than minimising at once someone recorded without any yet
(docs/retention.md). Here, the highest app of those records, not in agencies.

By key ranges, each its own short transaction (`atomic = False`): a million people are never
updated, nor locked, in one statement."""

from django.conf import settings
from django.db import migrations, transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Least, Now

BATCH = 5000


def _earliest(model, person_field, date_field):
    return Subquery(
        model.objects.filter(**{person_field: OuterRef("pk")})
        .order_by()
        .values(person_field)
        .annotate(first=Min(date_field))
        .values("first")[:1]
    )


def backfill(apps, schema_editor, *, batch_size=BATCH):
    Person = apps.get_model("agencies", "Person")
    Certificate = apps.get_model("certificates", "Certificate")
    RequestRow = apps.get_model("requests_app", "RequestRow")
    CustodyRecord = apps.get_model("devices", "CustodyRecord")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    joined = Subquery(User.objects.filter(pk=OuterRef("user_id")).values("date_joined")[:1])
    traces = [
        _earliest(Certificate, "person", "created_at"),
        _earliest(RequestRow, "person", "cert_request__created_at"),
        _earliest(CustodyRecord, "person", "held_from"),
        joined,
    ]
    # The least of the traces there are: each missing one counts as now (LEAST is NULL on
    # SQLite as soon as one argument is), so no trace at all gives now.
    first = Least(*(Coalesce(trace, Now()) for trace in traces))
    todo = Person.objects.filter(created_at__isnull=True)
    bounds = todo.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    using = schema_editor.connection.alias if schema_editor is not None else "default"
    for start in range(bounds["low"], bounds["high"] + 1, batch_size):
        with transaction.atomic(using=using):
            todo.using(using).filter(pk__gte=start, pk__lt=start + batch_size).update(
                created_at=first
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("requests_app", "0024_letter_deidentified_at"),
        ("agencies", "0012_person_retention_dates"),
        ("certificates", "0013_timestamping_authority"),
        ("devices", "0013_documents_in_object_store"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
