"""The SQL function `portal_fold` behind accent-forgiving search (portal/lib/search.py).

On PostgreSQL it is created here; on SQLite it is registered on every connection instead, so
there is nothing to create.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from portal.lib.search import postgresql_function_sql

        schema_editor.execute(postgresql_function_sql())


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS portal_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("portal", "0008_notification_keys_and_deadlines")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
