"""The audit trail's digests of personal values (docs/privacy-at-rest.md): a key of their own,
derived from the blind index key, so a digest cannot be joined with the blind index columns;
events written with the former digests (a prefix of the blind index) still verify."""

from django.db import transaction

from agencies.models import Person
from portal import audit
from portal.audit import audit_record, audit_verify
from portal.field_crypto import AUDIT_DIGEST_PREFIX, audit_digest, blind_index, redacted
from portal.models import AuditEvent
from tests import factories as f

NATIONAL_ID = "038179004321"


def _former_redacted(values):
    """What `audit_record` stored before: "hmac:" and 16 hex digits of the blind index."""
    if values is None:
        return None
    return {
        key: f"hmac:{blind_index(value)[:16]}" if key == "national_id" else value
        for key, value in values.items()
    }


def test_a_digest_is_not_the_blind_index_of_the_value():
    digest = audit_digest(NATIONAL_ID)
    assert digest.startswith(AUDIT_DIGEST_PREFIX) and len(digest) == len(AUDIT_DIGEST_PREFIX) + 16
    hex_digits = digest.removeprefix(AUDIT_DIGEST_PREFIX)
    assert hex_digits not in blind_index(NATIONAL_ID)
    # Keyed and stable: the same value, the same digest (an event shows what changed)...
    assert audit_digest(f" {NATIONAL_ID} ") == digest != audit_digest("038179004322")
    assert redacted({"national_id": NATIONAL_ID, "full_name": "Lò Văn Bảy"}) == {
        "national_id": digest,
        "full_name": "Lò Văn Bảy",
    }


def test_a_digest_depends_on_the_blind_index_key(settings):
    digest = audit_digest(NATIONAL_ID)
    settings.PORTAL_BLIND_INDEX_KEY = "mot-khoa-chi-muc-mu-khac-dai-hon-32-ky-tu"
    assert audit_digest(NATIONAL_ID) != digest


def test_an_event_digest_matches_no_blind_index_column(cast):
    person = f.PersonFactory(organization=cast.agency_a, national_id=NATIONAL_ID)
    with transaction.atomic():
        event = audit_record(
            actor=cast.admin, action="person.update", obj=person, after={"national_id": NATIONAL_ID}
        )
    stored = AuditEvent.objects.get(pk=event.pk).after["national_id"]
    assert NATIONAL_ID not in stored
    prefix = stored.removeprefix(AUDIT_DIGEST_PREFIX)
    assert not Person.objects.filter(national_id_index__startswith=prefix).exists()
    # The former digest did match: the join this key closes.
    former = _former_redacted({"national_id": NATIONAL_ID})["national_id"].removeprefix("hmac:")
    assert Person.objects.filter(national_id_index__startswith=former).get() == person


def test_events_with_the_former_digests_still_verify_beside_new_ones(cast, monkeypatch):
    person = f.PersonFactory(organization=cast.agency_a, national_id=NATIONAL_ID)
    with monkeypatch.context() as patched:  # an event written by the previous release
        patched.setattr(audit, "redacted", _former_redacted)
        with transaction.atomic():
            old = audit_record(
                actor=cast.admin, action="person.update", obj=person, after={"national_id": "1"}
            )
            old.refresh_from_db()
        assert old.after["national_id"] == f"hmac:{blind_index('1')[:16]}"
    with transaction.atomic():
        new = audit_record(
            actor=cast.admin, action="person.update", obj=person, after={"national_id": "1"}
        )
    assert AuditEvent.objects.get(pk=new.pk).after["national_id"] == audit_digest("1")
    result = audit_verify()
    assert result.ok, result.message
    assert AuditEvent.objects.get(pk=old.pk).after == {
        "national_id": f"hmac:{blind_index('1')[:16]}"
    }
