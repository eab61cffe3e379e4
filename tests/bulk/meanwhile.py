"""Someone else's writes at a precise moment of a bulk service, made by the database itself:
a trigger that runs an UPDATE within another statement (between two statements of the
service), or that refuses one row's update (a fault of the database, as a lost connection or
a full disk would raise). Nothing of the portal is replaced; the triggers are made inside the
test's transaction, so its rollback removes them."""

from django.db import connection

NAME = "test_bulk_meanwhile"


def after_insert(model, statement: str) -> None:
    """Run `statement` (an UPDATE) right after each INSERT into `model`'s table, within it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {NAME}() RETURNS trigger AS $$ BEGIN {statement};"
                " RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {NAME} AFTER INSERT ON {table}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {NAME}()"
            )
        else:
            cursor.execute(f"CREATE TRIGGER {NAME} AFTER INSERT ON {table} BEGIN {statement}; END")


def refuse_update(model, pk: int, words: str) -> None:
    """Make every UPDATE of the row `pk` of `model`'s table raise a database error whose
    text is `words`."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {NAME}() RETURNS trigger AS $$ BEGIN"
                f" IF NEW.id = {int(pk)} THEN RAISE EXCEPTION '{words}'; END IF;"
                " RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {NAME} BEFORE UPDATE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION {NAME}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {NAME} BEFORE UPDATE ON {table} WHEN NEW.id = {int(pk)}"
                f" BEGIN SELECT RAISE(ABORT, '{words}'); END"
            )
