"""The access log of personal data (docs/privacy.md §access log): what one access records, the
reason a reveal needs, who reads the log, and how a row changed behind the portal's back is
found against the audit chain."""

import pytest
from django.db import connection

from portal.audit import audit_verify
from portal.errors import DomainError
from portal.models import AuditEvent
from privacy.access import ACTION, Subject, access_verify, personal_data_access_record
from privacy.choices import AccessChannel
from privacy.models import Access, AccessSubject
from tests import factories as f
from tests.privacy.world import officer

pytestmark = pytest.mark.django_db

NATIONAL_ID = "agencies.Person.national_id"
ROW_ID = "requests_app.RequestRow.national_id"


def reveal(by, person, **overrides):
    data = {
        "by": by,
        "channel": AccessChannel.REVEAL,
        "subjects": [Subject.of(person)],
        "fields": [NATIONAL_ID],
        "reason": "Đối chiếu hồ sơ cấp chứng thư",
        "obj": person,
        **overrides,
    }
    return personal_data_access_record(**data)


def test_an_access_records_who_whose_what_and_why_with_its_audit_event(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    access = reveal(cast.officer_1, person)
    assert (access.actor, access.channel, access.fields) == (
        cast.officer_1,
        AccessChannel.REVEAL,
        [NATIONAL_ID],
    )
    assert access.reason == "Đối chiếu hồ sơ cấp chứng thư"
    subject = access.subjects.get()
    assert (subject.person_id, subject.id_index) == (person.pk, person.national_id_index)
    event = AuditEvent.objects.get(pk=access.event_id)
    assert event.action == ACTION
    assert event.after["subjects"] == 1
    assert person.national_id not in str(event.after)
    assert access_verify() == []
    assert audit_verify().ok


def test_a_reveal_without_a_reason_is_refused_and_records_nothing(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    with pytest.raises(DomainError) as refused:
        reveal(cast.officer_1, person, reason="   ")
    assert refused.value.code == "reason_required"
    assert not Access.objects.exists()
    assert not AuditEvent.objects.filter(action=ACTION).exists()


def test_a_document_download_needs_no_reason_but_a_field_must_be_declared(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    assert reveal(cast.officer_1, person, channel=AccessChannel.DOCUMENT, reason="").pk
    with pytest.raises(ValueError, match="not declared"):
        reveal(cast.officer_1, person, fields=["agencies.Person.shoe_size"])


def test_one_export_of_many_rows_keeps_each_subject_once(cast):
    people = f.PersonFactory.create_batch(3, organization=cast.agency_a)
    subjects = [Subject.of(p) for p in people] * 2 + [Subject(None, "ab" * 32)]
    access = reveal(cast.clerk_a, people[0], channel=AccessChannel.EXPORT, subjects=subjects)
    assert access.subjects_count == 4
    assert AccessSubject.objects.filter(access=access).count() == 4


def test_the_officer_sees_every_access_and_a_subject_only_those_about_them(cast):
    dpo = officer()
    me_user, me = cast.subscriber_user, cast.subscriber
    other = f.PersonFactory(organization=cast.agency_a)
    by_record = reveal(cast.officer_1, me)
    # a letter's row naming me by my ID number only, before it links to my record
    by_number = reveal(
        cast.clerk_a, other, subjects=[Subject(None, me.national_id_index)], fields=[ROW_ID]
    )
    not_me = reveal(cast.officer_1, other)
    assert set(Access.objects.visible_to(dpo)) == {by_record, by_number, not_me}
    assert set(Access.objects.visible_to(me_user)) == {by_record, by_number}
    assert not Access.objects.visible_to(cast.clerk_b).exists()


def tamper(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_access_changed_behind_the_portals_back_is_found(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    access = reveal(cast.officer_1, person)
    tamper("UPDATE privacy_access SET reason = %s WHERE id = %s", ["khác", access.pk])
    assert [p.message for p in access_verify()] == ["reason differs"]


def test_a_subject_removed_from_an_access_is_found(cast):
    people = f.PersonFactory.create_batch(2, organization=cast.agency_a)
    access = reveal(cast.officer_1, people[0], subjects=[Subject.of(p) for p in people])
    tamper(
        "DELETE FROM privacy_accesssubject WHERE access_id = %s AND person_id = %s",
        [access.pk, people[1].pk],
    )
    assert [p.message for p in access_verify()] == ["subjects differs", "digest differs"]


def test_an_access_deleted_behind_the_portals_back_is_found(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    access = reveal(cast.officer_1, person)
    seq = AuditEvent.objects.get(pk=access.event_id).seq
    tamper("DELETE FROM privacy_accesssubject WHERE access_id = %s", [access.pk])
    tamper("DELETE FROM privacy_access WHERE id = %s", [access.pk])
    problems = access_verify()
    assert [(p.event_seq, p.message) for p in problems] == [(seq, "event without its access row")]


def test_a_record_naming_nobody_is_no_subject(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    access = reveal(cast.officer_1, person, subjects=[Subject.of(person), Subject(None, "")])
    assert access.subjects_count == 1
    assert list(access.subjects.values_list("person_id", flat=True)) == [person.pk]
