"""Key rotation of the personal data at rest (docs/privacy-at-rest.md, "Rotating a key"):
rows written under key A; B put first with A kept: still read; `rotate_field_keys` rewrites
every value under B; A dropped: still read. And the migration's batch encryption of rows
still in clear. The token format itself: tests/portal/test_field_crypto.py."""

from datetime import date

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from agencies.models import Person
from portal.field_crypto import TOKEN_PREFIX, blind_index, key_id
from portal.field_rotation import reencrypt_model
from tests import factories as f

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _raw(person) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, mobile, date_of_birth, national_id_index FROM agencies_person "
            "WHERE id = %s",
            [person.pk],
        )
        return cursor.fetchone()


def test_a_rotation_keeps_old_rows_readable_and_rewrites_them_under_the_new_key(cast, settings):
    cast_keys = list(settings.PORTAL_FIELD_KEYS)  # the cast's people, written before
    settings.PORTAL_FIELD_KEYS = [KEY_A, *cast_keys]
    person = f.PersonFactory(
        organization=cast.agency_a, national_id="079180001111", date_of_birth=date(1980, 1, 2)
    )
    before = _raw(person)
    assert before[0].startswith(f"v2:{key_id(KEY_A)}:")

    settings.PORTAL_FIELD_KEYS = [KEY_B, KEY_A, *cast_keys]  # a backup made before still reads
    assert Person.objects.get(pk=person.pk).national_id == "079180001111"

    call_command("rotate_field_keys", "--model", "agencies.Person", "--batch", "2")
    after = _raw(person)
    assert after[0] != before[0] and after[1] != before[1] and after[2] != before[2]
    assert all(value.startswith(f"v2:{key_id(KEY_B)}:") for value in after[:3])
    assert after[3] == before[3] == blind_index("079180001111")

    settings.PORTAL_FIELD_KEYS = [KEY_B]  # A dropped
    again = Person.objects.get(pk=person.pk)
    assert (again.national_id, again.date_of_birth) == ("079180001111", date(1980, 1, 2))
    assert list(Person.objects.with_national_id("079180001111")) == [again]


def test_a_second_rotation_rewrites_nothing(cast):
    f.PersonFactory(organization=cast.agency_a)
    call_command("rotate_field_keys", "--model", "agencies.Person")
    assert reencrypt_model(Person).written == 0


def test_the_migration_encrypts_rows_still_in_clear_and_fills_their_index(cast):
    person = f.PersonFactory(organization=cast.agency_a, national_id="001170002222")
    with connection.cursor() as cursor:  # as the rows were before the migration
        cursor.execute(
            "UPDATE agencies_person SET national_id = %s, mobile = %s, date_of_birth = %s, "
            "national_id_index = '' WHERE id = %s",
            ["001170002222", "0912333444", "1970-05-06", person.pk],
        )
    count = reencrypt_model(Person, batch=1)
    assert count.written >= 1
    raw = _raw(person)
    assert "001170002222" not in raw[0] and "0912333444" not in raw[1] and "1970" not in raw[2]
    assert raw[3] == blind_index("001170002222")
    again = Person.objects.get(pk=person.pk)
    assert (again.national_id, again.mobile, again.date_of_birth) == (
        "001170002222",
        "0912333444",
        date(1970, 5, 6),
    )
    assert reencrypt_model(Person).written == 0


def test_the_data_migrations_encrypt_rows_in_clear_and_their_reverse_writes_them_back(cast):
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps

    letter = f.letter_draft(cast, contact_national_id="046185003333")
    row = f.letter_row_add(letter, cast.clerk_a, national_id="001290004444", mobile="0912555666")
    person = f.PersonFactory(organization=cast.agency_a, national_id="038179005555")
    clear = {
        "agencies_person": (person.pk, "national_id", "038179005555"),
        "requests_app_certrequest": (letter.pk, "contact_national_id", "046185003333"),
        "requests_app_requestrow": (row.pk, "national_id", "001290004444"),
    }
    with connection.cursor() as cursor:  # as the rows were before the migrations
        for table, (pk, column, value) in clear.items():
            cursor.execute(
                f"UPDATE {table} SET {column} = %s, {column}_index = '' WHERE id = %s",  # noqa: S608
                [value, pk],
            )

    def stored(table):
        pk, column, _value = clear[table]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column}, {column}_index FROM {table} WHERE id = %s", [pk])  # noqa: S608
            return cursor.fetchone()

    migrations = [
        import_module("agencies.migrations.0015_encrypt_existing_people"),
        import_module("requests_app.migrations.0027_encrypt_existing_rows"),
    ]
    editor = SimpleNamespace(connection=connection)
    for migration in migrations:
        migration.forward(apps, editor)
    for table, (_pk, _column, value) in clear.items():
        token, index = stored(table)
        assert (token[:3], index) == (TOKEN_PREFIX, blind_index(value)), table
    assert Person.objects.get(pk=person.pk).national_id == "038179005555"
    assert letter.rows.get().mobile == "0912555666"

    for migration in reversed(migrations):
        migration.backward(apps, editor)
    for table, (_pk, _column, value) in clear.items():
        assert stored(table)[0] == value, table
