"""The migrations that encrypted data already stored (docs/privacy-at-rest.md, "Deployment"),
run by Django's migration executor on the test database, PostgreSQL or SQLite: rows written in
clear as the schema stood before them (devices 0013, portal 0015) come out encrypted, with
their blind indexes, after `devices.0014`–`0015` and `portal.0016`–`0017`, and the uploaded
workbook after `portal.0018`–`0019`; migrating back writes each value in clear again. The
schema is brought back to the newest migrations whatever happens."""

import json

import pytest
from django.db import connection

from portal.field_crypto import TOKEN_PREFIX, blind_index
from tests.migrating import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("devices", "0013_documents_in_object_store"), ("portal", "0015_process_heartbeat")]
ENCRYPTED = [
    ("devices", "0015_encrypt_existing_sim_phones"),
    ("portal", "0017_encrypt_existing_import_results_and_responses"),
]
FILES_ENCRYPTED = [("portal", "0019_encrypt_existing_import_files")]

PHONE = "0987000555"
NATIONAL_ID = "001290006666"
WORKBOOK = b"PK\x03\x04 danh sach " + NATIONAL_ID.encode()


def _raw(sql: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()


def _seed_in_clear(apps):
    """A SIM PKI, an import waiting with its workbook and parsed rows, an API response kept:
    written through the models as they were before the encryption."""
    user = apps.get_model("auth", "User").objects.create(username="can-bo-nhap")
    device = apps.get_model("devices", "Device").objects.create(
        kind="sim_pki", serial="8984040000000000555", iccid="8984040000000000555",
        phone=PHONE, carrier="viettel",
    )  # fmt: skip
    job = apps.get_model("portal", "ImportJob").objects.create(
        owner=user, kind="letter_rows", file_name="ds.xlsx", content=WORKBOOK,
        result={"rows": [{"data": {"national_id": NATIONAL_ID, "mobile": PHONE}}]},
    )  # fmt: skip
    replay = apps.get_model("portal", "IdempotencyKey").objects.create(
        user=user, key="k-1", fingerprint="0" * 64, status=201, body={"national_id": NATIONAL_ID}
    )
    return device.pk, job.pk, replay.pk


def _stored(pks):
    device, job, replay = pks
    (phone,) = _raw("SELECT phone FROM devices_device WHERE id = %s", device)
    result, content = _raw("SELECT result, content FROM portal_importjob WHERE id = %s", job)
    (body,) = _raw("SELECT body FROM portal_idempotencykey WHERE id = %s", replay)
    return phone, _text(result), bytes(content), _text(body)


def _text(value) -> str:
    """A JSON column's raw value as text (PostgreSQL's jsonb comes back decoded)."""
    return value if isinstance(value, str) else json.dumps(value)


def test_the_data_migrations_encrypt_rows_in_clear_and_their_reverse_decrypts_them(
    newest_schema_after,
):
    pks = _seed_in_clear(migrate_to(BEFORE))
    phone, result, content, body = _stored(pks)
    assert (phone, content) == (PHONE, WORKBOOK) and NATIONAL_ID in result and NATIONAL_ID in body

    apps = migrate_to(ENCRYPTED)
    phone, result, content, body = _stored(pks)
    assert phone.startswith(TOKEN_PREFIX) and PHONE not in phone
    assert _raw("SELECT phone_index FROM devices_device WHERE id = %s", pks[0]) == (
        blind_index(PHONE),
    )
    assert result.startswith(TOKEN_PREFIX) and NATIONAL_ID not in result
    assert body.startswith(TOKEN_PREFIX) and NATIONAL_ID not in body
    assert content == WORKBOOK  # the workbook is the next migrations' part
    assert apps.get_model("devices", "Device").objects.get(pk=pks[0]).phone == PHONE
    job = apps.get_model("portal", "ImportJob").objects.get(pk=pks[1])
    assert job.result["rows"][0]["data"]["national_id"] == NATIONAL_ID

    apps = migrate_to(FILES_ENCRYPTED)
    content = _stored(pks)[2]
    assert content[:1] == b"\x80" and NATIONAL_ID.encode() not in content
    assert bytes(apps.get_model("portal", "ImportJob").objects.get(pk=pks[1]).content) == WORKBOOK

    migrate_to(BEFORE)
    phone, result, content, body = _stored(pks)
    assert (phone, content) == (PHONE, WORKBOOK)
    assert json.loads(result)["rows"][0]["data"]["national_id"] == NATIONAL_ID
    assert json.loads(body) == {"national_id": NATIONAL_ID}
