"""The token format of the personal data at rest (docs/privacy-at-rest.md, "The format"):
"v2:<key id>:<nonce, ciphertext and tag>" under AES-256-GCM; tokens written before it
(Fernet) are still read and `rotate_field_keys` converts them; an altered token or one whose
key is not listed is refused, never shown."""

import binascii
import unicodedata
from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection

from agencies.models import Person
from portal.field_crypto import (
    FieldKeyError,
    audit_digest,
    blind_index,
    decrypt,
    encrypt,
    key_id,
)
from portal.field_rotation import reencrypt_model
from tests import factories as f

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _raw(person) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT national_id, date_of_birth, mobile, national_id_index FROM agencies_person "
            "WHERE id = %s",
            [person.pk],
        )
        return cursor.fetchone()


def _store(person, **columns) -> None:
    assignments = ", ".join(f"{column} = %s" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE agencies_person SET {assignments} WHERE id = %s",  # noqa: S608
            [*columns.values(), person.pk],
        )


def _altered(token: str, at: int) -> str:
    """`token` with one bit of its decoded body (nonce, ciphertext or tag) flipped."""
    head, body = token[:12], bytearray(binascii.a2b_base64(token[12:]))
    body[at] ^= 0x01
    return head + binascii.b2a_base64(bytes(body), newline=False).decode()


def test_a_value_is_written_under_the_first_key_with_a_fresh_nonce_each_time(settings):
    settings.PORTAL_FIELD_KEYS = [KEY_A, KEY_B]
    first, second = encrypt("079180001111"), encrypt("079180001111")
    assert first.startswith(f"v2:{key_id(KEY_A)}:") and second.startswith(f"v2:{key_id(KEY_A)}:")
    assert first != second  # a random nonce: equal values do not show as equal tokens
    assert "079180001111" not in first
    assert decrypt(first) == decrypt(second) == "079180001111"
    settings.PORTAL_FIELD_KEYS = [KEY_B, KEY_A]  # a rotation under way: still read
    assert decrypt(first) == "079180001111"


def test_a_token_written_before_the_format_changed_is_still_read(cast, settings):
    settings.PORTAL_FIELD_KEYS = [KEY_A, *settings.PORTAL_FIELD_KEYS]
    person = f.PersonFactory(organization=cast.agency_a, national_id="079180001111")
    old = Fernet(KEY_A)
    _store(
        person,
        national_id=old.encrypt(b"079180001111").decode(),
        date_of_birth=old.encrypt(b"1980-01-02").decode(),
        mobile=old.encrypt(b"0912333444").decode(),
    )
    again = Person.objects.get(pk=person.pk)
    assert (again.national_id, again.date_of_birth, again.mobile) == (
        "079180001111",
        date(1980, 1, 2),
        "0912333444",
    )
    assert list(Person.objects.with_national_id("079180001111")) == [again]


def test_rotation_brings_older_tokens_into_the_current_format_once(cast, settings):
    settings.PORTAL_FIELD_KEYS = [KEY_A, *settings.PORTAL_FIELD_KEYS]
    person = f.PersonFactory(organization=cast.agency_a, national_id="079180001111")
    _store(
        person,
        national_id=Fernet(KEY_A).encrypt(b"079180001111").decode(),
        mobile=Fernet(KEY_B).encrypt(b"0912333444").decode(),  # an older key, still listed
    )
    settings.PORTAL_FIELD_KEYS = [*settings.PORTAL_FIELD_KEYS, KEY_B]

    call_command("rotate_field_keys", "--model", "agencies.Person")
    national_id, birth, mobile, index = _raw(person)
    assert all(value.startswith(f"v2:{key_id(KEY_A)}:") for value in (national_id, birth, mobile))
    assert index == blind_index("079180001111")
    settings.PORTAL_FIELD_KEYS = [KEY_A]  # B and the cast's key dropped: the person still reads
    again = Person.objects.get(pk=person.pk)
    assert (again.national_id, again.mobile) == ("079180001111", "0912333444")
    settings.PORTAL_FIELD_KEYS = [KEY_A, KEY_B]
    assert reencrypt_model(Person).written == 0  # every token already current
    assert _raw(person)[0] == national_id


@pytest.mark.parametrize("at", [0, 11, 12, -1], ids=["nonce", "nonce end", "ciphertext", "tag"])
def test_an_altered_token_is_refused(settings, at):
    settings.PORTAL_FIELD_KEYS = [KEY_A]
    token = encrypt("079180001111")
    with pytest.raises(FieldKeyError, match="altered"):
        decrypt(_altered(token, at))


def test_a_token_moved_under_another_key_id_or_cut_is_refused(settings):
    settings.PORTAL_FIELD_KEYS = [KEY_A, KEY_B]
    token = encrypt("079180001111")
    relabelled = f"v2:{key_id(KEY_B)}:{token[12:]}"
    for bad in (relabelled, token[:-8], token[:20], token.replace(":", ";", 2), "v2:"):
        with pytest.raises(FieldKeyError):
            decrypt(bad)


def test_a_token_under_a_key_no_longer_listed_is_refused(cast, settings):
    settings.PORTAL_FIELD_KEYS = [KEY_A, *settings.PORTAL_FIELD_KEYS]
    person = f.PersonFactory(organization=cast.agency_a, national_id="079180001111")
    fernet_token = Fernet(KEY_A).encrypt(b"0912333444").decode()
    _store(person, mobile=fernet_token)
    settings.PORTAL_FIELD_KEYS = [KEY_B]  # neither the current token's key nor the old one's
    with pytest.raises(FieldKeyError, match="No key of PORTAL_FIELD_KEYS"):
        Person.objects.get(pk=person.pk)
    with pytest.raises(FieldKeyError):
        decrypt(fernet_token)


def test_a_malformed_key_is_refused_and_reported(settings):
    settings.PORTAL_FIELD_KEYS = ["not-a-key"]
    with pytest.raises(FieldKeyError, match="malformed"):
        encrypt("079180001111")
    ids = {error.id for error in run_checks(include_deployment_checks=True)}
    assert "portal.E022" in ids


# The index and the audit's digest see a value as typed in any Unicode form: a name typed with
# combining marks (NFD, as some keyboards send it) is the same name (docs/privacy-at-rest.md).
NAME_NFC = unicodedata.normalize("NFC", "Nguyễn Thị Ánh")
NAME_NFD = unicodedata.normalize("NFD", NAME_NFC)


def test_a_value_typed_with_combining_marks_has_the_index_of_its_composed_form():
    assert NAME_NFD != NAME_NFC
    assert blind_index(NAME_NFD) == blind_index(NAME_NFC)
    assert blind_index(f" {NAME_NFD} ") == blind_index(NAME_NFC)
    assert audit_digest(NAME_NFD) == audit_digest(NAME_NFC)


def test_a_value_differing_by_one_mark_has_another_index():
    other = unicodedata.normalize("NFC", "Nguyễn Thị Anh")
    assert blind_index(other) != blind_index(NAME_NFC)
    assert audit_digest(other) != audit_digest(NAME_NFC)


def test_a_person_whose_number_is_typed_with_combining_marks_is_found(cast):
    person = f.PersonFactory(organization=cast.agency_a, national_id=f"HC{NAME_NFC}")
    assert list(Person.objects.with_national_id(f"HC{NAME_NFD}")) == [person]
