"""The keys of the personal data at rest (docs/privacy-at-rest.md, "Keys"): where development
keys are not allowed (CA_ALLOW_DEV_PASSPHRASE off, as in production and in the tests),
`check --deploy` refuses a missing or malformed key, and the fields refuse to work without
one, saying which setting is wrong, rather than store or show anything."""

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.db import transaction

from agencies.models import Person
from portal.field_crypto import (
    DEV_BLIND_INDEX_KEY,
    DEV_FIELD_KEY,
    FieldKeyError,
    blind_index,
    decrypt,
    decrypt_bytes,
    encrypt,
    encrypt_bytes,
    key_id,
)
from portal.models import ImportJob
from tests import factories as f

NATIONAL_ID = "038179004321"


def _deploy_errors() -> set[str]:
    return {error.id for error in run_checks(include_deployment_checks=True)}


def test_deploy_check_reports_a_malformed_field_key(settings):
    settings.PORTAL_FIELD_KEYS = ["khong-phai-khoa-fernet"]
    assert "portal.E022" in _deploy_errors()


@pytest.mark.parametrize("index_key", ["ngan-qua", DEV_BLIND_INDEX_KEY])
def test_deploy_check_reports_a_short_or_development_blind_index_key(settings, index_key):
    settings.PORTAL_BLIND_INDEX_KEY = index_key
    assert "portal.E023" in _deploy_errors()


def test_without_a_field_key_personal_data_is_neither_written_nor_read(cast, settings):
    person = f.PersonFactory(organization=cast.agency_a, national_id=NATIONAL_ID)
    settings.CA_ALLOW_DEV_PASSPHRASE = False
    settings.PORTAL_FIELD_KEYS = []
    refused = "PORTAL_FIELD_KEYS is not set: personal data cannot be encrypted or read"
    with pytest.raises(FieldKeyError, match=refused):
        Person.objects.get(pk=person.pk)
    person.mobile = "0912000111"
    with pytest.raises(FieldKeyError, match=refused), transaction.atomic():
        person.save()
    with pytest.raises(FieldKeyError, match=refused), transaction.atomic():
        ImportJob.objects.create(owner=cast.clerk_a, kind="k", file_name="a.xlsx", content=b"PK")
    assert not ImportJob.objects.exists()


def test_without_a_blind_index_key_no_exact_search_runs(cast, settings):
    settings.CA_ALLOW_DEV_PASSPHRASE = False
    settings.PORTAL_BLIND_INDEX_KEY = ""
    with pytest.raises(FieldKeyError, match="PORTAL_BLIND_INDEX_KEY is not set"):
        list(Person.objects.with_national_id(NATIONAL_ID))


def test_a_malformed_field_key_is_named_when_a_field_is_used(cast, settings):
    person = f.PersonFactory(organization=cast.agency_a, national_id=NATIONAL_ID)
    settings.PORTAL_FIELD_KEYS = ["khong-phai-khoa-fernet"]
    with pytest.raises(FieldKeyError, match="PORTAL_FIELD_KEYS holds a malformed key"):
        Person.objects.get(pk=person.pk)
    with pytest.raises(FieldKeyError, match="malformed key"):
        encrypt_bytes(b"%PDF-1.7")


def test_a_value_no_listed_key_opens_fails_rather_than_shows_a_token(cast, settings):
    person = f.PersonFactory(organization=cast.agency_a, national_id=NATIONAL_ID)
    pdf = encrypt_bytes(b"%PDF-1.7")
    settings.PORTAL_FIELD_KEYS = [Fernet.generate_key().decode()]  # the old key dropped
    with pytest.raises(FieldKeyError, match="No key of PORTAL_FIELD_KEYS opens"):
        Person.objects.get(pk=person.pk)
    with pytest.raises(FieldKeyError, match="No key of PORTAL_FIELD_KEYS opens a stored file"):
        decrypt_bytes(pdf)


def test_the_development_keys_are_used_only_where_allowed(settings):
    settings.PORTAL_FIELD_KEYS = []
    settings.PORTAL_BLIND_INDEX_KEY = ""
    settings.CA_ALLOW_DEV_PASSPHRASE = True
    token = encrypt(NATIONAL_ID)
    assert token.startswith(f"v2:{key_id(DEV_FIELD_KEY)}:") and decrypt(token) == NATIONAL_ID
    assert blind_index(NATIONAL_ID)
    assert {"portal.E020", "portal.E023"} <= _deploy_errors()  # and never in production
    settings.CA_ALLOW_DEV_PASSPHRASE = False
    with pytest.raises(FieldKeyError):
        encrypt(NATIONAL_ID)
