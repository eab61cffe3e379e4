"""Migrating the test database to a given point and back (the migration tests): Django's
migration executor, one migration at a time."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets):
    """Migrate to `targets`, one migration at a time from the state right before it, forward
    or back (`Migration.unapply` wants the state before the migration too: given the state
    after it, SQLite rebuilt a table with a check constraint still on a column it then
    dropped); the historical apps at that point. `MigrationExecutor.migrate`
    would also walk a copy of the whole project's state through every migration of the
    project, rendering its models again at each (ten seconds a call). A target (app, None)
    unapplies all of that app's migrations."""
    executor = MigrationExecutor(connection)
    for migration, backwards in executor.migration_plan(targets):
        state = executor.loader.project_state((migration.app_label, migration.name), at_end=False)
        if backwards:
            executor.unapply_migration(state, migration)
        else:
            executor.apply_migration(state, migration)
    executor.loader.build_graph()  # what is applied now
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps
