"""The edXML messages move to the exchange app (docs/architecture.md §1) with their table, no
row copied: the letters' app lets go of the model in Django's state only, `exchange.0001`
takes it. The lifecycle's exchange moves lose the format from their names (a second format
would make the same moves): each letter's log is renamed with them."""

from django.db import migrations

RENAMED = {"edxml_receive": "exchange_receive", "edxml_done": "exchange_done",
           "edxml_return": "exchange_return"}  # fmt: skip


def _rename(apps, names: dict[str, str]) -> None:
    Transition = apps.get_model("requests_app", "Transition")
    for old, new in names.items():
        Transition.objects.filter(action=old).update(action=new)


def forward(apps, schema_editor):
    _rename(apps, RENAMED)


def back(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0035_letter_remote_signing")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="EdxmlMessage")],
            database_operations=[],
        ),
        migrations.RunPython(forward, back),
    ]
