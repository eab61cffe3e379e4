"""Key rotation of the personal data at rest (docs/privacy-at-rest.md, "Rotating a key"):
rows written under key A; B put first with A kept: still read; `rotate_field_keys` rewrites
every value under B (the files kept in rows too, one at a time), `--after` resumes past the
rows a run reported done; A dropped: still read. And the migration's batch encryption of rows
still in clear. The token format itself: tests/portal/test_field_crypto.py."""

import base64
import re
from datetime import date
from importlib import import_module
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Person
from portal.field_crypto import TOKEN_PREFIX, blind_index, key_id
from portal.field_rotation import reencrypt_model
from portal.models import ImportJob
from requests_app.models import LetterDocument
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


def _raw_file(table: str, pk: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT content FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return bytes(cursor.fetchone()[0])


def _opens(key: str, raw: bytes) -> bytes:
    return Fernet(key).decrypt(base64.urlsafe_b64encode(raw))


def _letter_pdfs(cast, count: int) -> list[LetterDocument]:
    letter = f.letter_draft(cast)
    documents = []
    for version in range(1, count + 1):
        document = LetterDocument(letter=letter, version=version, number=f"{version}/STC")
        document.set_content(f"%PDF-1.7 phien ban {version} ".encode() + b"x" * 5000)
        document.save()
        documents.append(document)
    return documents


def test_a_rotation_rewrites_the_files_kept_in_rows_one_file_a_query(cast, settings):
    cast_keys = list(settings.PORTAL_FIELD_KEYS)
    settings.PORTAL_FIELD_KEYS = [KEY_A, *cast_keys]
    documents = _letter_pdfs(cast, 3)
    emptied = documents[2]
    LetterDocument.objects.filter(pk=emptied.pk).update(in_row=b"")
    job = ImportJob.objects.create(
        owner=cast.clerk_a, kind="letter_rows", file_name="a.xlsx", content=b"PK\x03\x04 ds"
    )
    before = {doc.pk: _raw_file("requests_app_letterdocument", doc.pk) for doc in documents}
    assert _opens(KEY_A, before[documents[0].pk]).startswith(b"%PDF-1.7 phien ban 1")

    settings.PORTAL_FIELD_KEYS = [KEY_B, KEY_A, *cast_keys]
    with CaptureQueriesContext(connection) as queries:
        call_command("rotate_field_keys", "--model", "requests_app.LetterDocument", "--batch", "2")
    call_command("rotate_field_keys", "--model", "portal.ImportJob")
    for document in documents[:2]:
        after = _raw_file("requests_app_letterdocument", document.pk)
        assert after != before[document.pk]
        assert _opens(KEY_B, after) == document.content
    assert _raw_file("requests_app_letterdocument", emptied.pk) == b""  # empty stays empty
    assert _opens(KEY_B, _raw_file("portal_importjob", job.pk)) == b"PK\x03\x04 ds"
    # Each file is read by its own query, never a batch of them at once.
    reads = [q["sql"] for q in queries if re.match(r'SELECT "content"', q["sql"])]
    assert len(reads) == 2 and all(re.search(r'WHERE "id" = ', sql) for sql in reads)

    settings.PORTAL_FIELD_KEYS = [KEY_B]  # A dropped
    fresh = LetterDocument.objects.get(pk=documents[1].pk)
    assert fresh.content.startswith(b"%PDF-1.7 phien ban 2")
    assert reencrypt_model(LetterDocument).files_written == 0  # a second run writes nothing


def test_rotate_after_a_primary_key_leaves_the_rows_before_it_alone(cast, settings):
    cast_keys = list(settings.PORTAL_FIELD_KEYS)
    settings.PORTAL_FIELD_KEYS = [KEY_A, *cast_keys]
    people = [
        f.PersonFactory(organization=cast.agency_a, national_id=f"07918000{n:04d}")
        for n in range(3)
    ]
    documents = _letter_pdfs(cast, 3)
    before = [_raw(person)[0] for person in people]
    files = [_raw_file("requests_app_letterdocument", doc.pk) for doc in documents]

    settings.PORTAL_FIELD_KEYS = [KEY_B, KEY_A, *cast_keys]
    call_command("rotate_field_keys", "--model", "agencies.Person", "--after", str(people[1].pk))
    call_command(
        "rotate_field_keys",
        "--model",
        "requests_app.LetterDocument",
        "--after",
        str(documents[0].pk),
    )
    after = [_raw(person)[0] for person in people]
    assert after[:2] == before[:2]  # done by the run that stopped: untouched
    assert after[2] != before[2] and after[2].startswith(f"v2:{key_id(KEY_B)}:")
    settings.PORTAL_FIELD_KEYS = [KEY_B]
    assert Person.objects.get(pk=people[2].pk).national_id == "079180000002"
    assert _raw_file("requests_app_letterdocument", documents[0].pk) == files[0]
    for document, old in zip(documents[1:], files[1:], strict=True):
        new = _raw_file("requests_app_letterdocument", document.pk)
        assert new != old and _opens(KEY_B, new) == document.content


def test_rotate_after_needs_a_model(db):
    with pytest.raises(CommandError, match="--after needs --model"):
        call_command("rotate_field_keys", "--after", "5")


def test_the_files_migrations_encrypt_documents_and_workbooks_and_their_reverse_leaves_the_rest(
    cast,
):
    """The data migrations of the files kept in rows, on rows as they were before them: the
    files are encrypted; the reverse writes them back in clear and leaves the import's parsed
    rows (encrypted by an earlier migration) as they are."""
    (document,) = _letter_pdfs(cast, 1)
    pdf = document.content
    job = ImportJob.objects.create(
        owner=cast.clerk_a,
        kind="letter_rows",
        file_name="a.xlsx",
        content=b"PK\x03\x04 danh sach",
        result={"rows": [{"national_id": "001290004444"}]},
    )
    with connection.cursor() as cursor:  # as the rows were before the migrations
        cursor.execute(
            "UPDATE requests_app_letterdocument SET content = %s WHERE id = %s", [pdf, document.pk]
        )
        cursor.execute(
            "UPDATE portal_importjob SET content = %s WHERE id = %s",
            [b"PK\x03\x04 danh sach", job.pk],
        )
        cursor.execute("SELECT result FROM portal_importjob WHERE id = %s", [job.pk])
        result_token = cursor.fetchone()[0]
    migrations = [
        import_module("requests_app.migrations.0030_encrypt_existing_documents_in_row"),
        import_module("portal.migrations.0019_encrypt_existing_import_files"),
    ]
    editor = SimpleNamespace(connection=connection)
    for migration in migrations:
        migration.forward(apps, editor)
    assert _raw_file("requests_app_letterdocument", document.pk)[:1] == b"\x80"
    assert _raw_file("portal_importjob", job.pk)[:1] == b"\x80"
    assert LetterDocument.objects.get(pk=document.pk).content == pdf
    for migration in migrations:  # again: nothing left to do
        migration.forward(apps, editor)
    assert LetterDocument.objects.get(pk=document.pk).content == pdf

    for migration in reversed(migrations):
        migration.backward(apps, editor)
    assert _raw_file("requests_app_letterdocument", document.pk) == pdf
    assert _raw_file("portal_importjob", job.pk) == b"PK\x03\x04 danh sach"
    with connection.cursor() as cursor:
        cursor.execute("SELECT result FROM portal_importjob WHERE id = %s", [job.pk])
        assert cursor.fetchone()[0] == result_token
