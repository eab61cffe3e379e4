"""A poison letter for the processing tests: a database trigger refuses to record one letter's
completion, so every run of its processing raises (after its rows are done), as a fault of the
database or of a service the last step needs would. Dropping the trigger is the fix. A real
fault in the real database: nothing of the portal is replaced."""

from django.db import connection

TRIGGER = "test_poison_letter"


def poison(cert_request_id: int) -> None:
    """Make every completion of the letter fail, until `cure`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {TRIGGER}() RETURNS trigger AS $$ BEGIN"
                f" IF NEW.action = 'complete' AND NEW.cert_request_id = {int(cert_request_id)}"
                " THEN RAISE EXCEPTION 'the registry refused the letter'; END IF;"
                " RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON requests_app_transition"
                f" FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON requests_app_transition"
                f" WHEN NEW.action = 'complete' AND NEW.cert_request_id = {int(cert_request_id)}"
                " BEGIN SELECT RAISE(ABORT, 'the registry refused the letter'); END"
            )


def cure() -> None:
    """Drop the trigger (if still there: safe at any test's teardown)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON requests_app_transition")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
