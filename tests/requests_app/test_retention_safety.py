"""What the retention sweep must never take (docs/retention.md): a draft a clerk is still
working on (its rows edited, an Excel import under way or just added), a person still
registered to a device out of their hands, a person linked to a new record while their batch
was being locked; and a person it minimised is offered for no new work, yet stays editable."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from agencies.models import Person
from agencies.services import person_upsert
from agencies.services.retention import persons_minimise
from certificates import services as certificate_services
from certificates.choices import SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import CustodyRecord
from portal.errors import DomainError
from portal.models import ImportJob
from portal.retention import years_before
from requests_app import services
from requests_app.choices import LETTER_IMPORT
from requests_app.models import CertRequest, LetterImport
from requests_app.services.retention import persons_retention_sweep, requests_retention_sweep
from tests import factories as f
from tests.helpers import postgresql_only

H = CustodyRecord.HolderKind


def _minimised(person) -> Person:
    persons_minimise(Person.objects.filter(pk=person.pk), now=timezone.now())
    return Person.objects.get(pk=person.pk)


# --- drafts still being worked on ------------------------------------------------------------
@pytest.mark.django_db
def test_a_draft_whose_rows_were_added_or_deleted_within_the_period_is_kept(cast, time_machine):
    now = timezone.now()
    time_machine.move_to(now - timedelta(days=200))
    added_to = f.letter_draft(cast)
    deleted_from = f.letter_draft(cast)
    row = f.letter_row_add(deleted_from, cast.clerk_a)
    abandoned = f.letter_draft(cast)
    time_machine.move_to(now - timedelta(days=10))
    f.letter_row_add(added_to, cast.clerk_a)
    services.row_delete(row=row, by=cast.clerk_a)
    time_machine.move_to(now)

    assert requests_retention_sweep()["drafts"] == 1

    assert set(CertRequest.objects.values_list("pk", flat=True)) >= {
        added_to.pk,
        deleted_from.pk,
    }
    assert not CertRequest.objects.filter(pk=abandoned.pk).exists()
    assert CertRequest.objects.get(pk=added_to.pk).updated_at >= now - timedelta(days=10)


@pytest.mark.django_db
def test_a_draft_with_an_import_under_way_or_rows_imported_within_the_period_is_kept(
    cast, time_machine
):
    now = timezone.now()
    time_machine.move_to(now - timedelta(days=200))
    importing, imported = f.letter_draft(cast), f.letter_draft(cast)
    waiting = ImportJob.objects.create(
        owner=cast.clerk_a,
        kind=LETTER_IMPORT,
        target_id=importing.pk,
        file_name="danh-sach.xlsx",
        status=ImportJob.Status.READY,
    )
    time_machine.move_to(now - timedelta(days=10))
    done = ImportJob.objects.create(
        owner=cast.clerk_a,
        kind=LETTER_IMPORT,
        target_id=imported.pk,
        file_name="danh-sach.xlsx",
        status=ImportJob.Status.CONFIRMED,
    )
    # Rows added by an import recorded before its letter's date moved with every edit.
    LetterImport.objects.create(
        cert_request=imported, job=done, rows=1, first_position=1, created_by=cast.clerk_a
    )
    time_machine.move_to(now)

    assert requests_retention_sweep()["drafts"] == 0
    assert CertRequest.objects.filter(pk__in=[importing.pk, imported.pk]).count() == 2

    ImportJob.objects.filter(pk=waiting.pk).update(status=ImportJob.Status.DISCARDED)
    assert requests_retention_sweep()["drafts"] == 1
    assert not CertRequest.objects.filter(pk=importing.pk).exists()


# --- people still linked -------------------------------------------------------------------
@pytest.mark.django_db
def test_a_person_still_registered_to_a_device_out_of_their_hands_is_kept(cast, time_machine):
    now = timezone.now()
    long_ago = years_before(moment=now, years=12)
    time_machine.move_to(long_ago)
    locked_away = f.PersonFactory(organization=cast.agency_a)
    device = f.DeviceFactory(agency=cast.agency_a, holder=locked_away, status=DeviceStatus.LOCKED)
    # The agency took the locked device back twelve years ago; it is still registered to them.
    CustodyRecord.objects.create(
        device=device,
        status=DeviceStatus.LOCKED,
        holder_kind=H.AGENCY,
        agency=cast.agency_a,
        held_from=long_ago,
    )
    gone = f.PersonFactory(organization=cast.agency_a)
    f.DeviceFactory(agency=cast.agency_a, holder=gone, status=DeviceStatus.RETURNED_TO_CA)
    time_machine.move_to(now)

    assert requests_retention_sweep()["persons"] == 1

    assert Person.objects.get(pk=locked_away.pk).deidentified_at is None
    assert Person.objects.get(pk=gone.pk).deidentified_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_committed_after_the_batch_was_chosen_keeps_the_person(cast, time_machine):
    postgresql_only("READ COMMITTED snapshots per statement, and a second connection")
    now = timezone.now()
    time_machine.move_to(years_before(moment=now, years=12))
    user = f.UserFactory()
    person = f.PersonFactory(organization=cast.agency_a, user=user)
    time_machine.move_to(now)
    User = get_user_model()
    User.objects.filter(pk=user.pk).update(last_login=years_before(moment=now, years=11))
    signed_in = []

    def sign_in():
        try:
            User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        finally:
            connection.close()

    def sign_in_once_locked(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "SKIP LOCKED" in sql and "agencies_person" in sql and not signed_in:
            # The batch's statement has run with its snapshot: the sign-in commits after it.
            signed_in.append(True)
            thread = threading.Thread(target=sign_in)
            thread.start()
            thread.join(timeout=10)
        return result

    with connection.execute_wrapper(sign_in_once_locked):
        swept = persons_retention_sweep(now=timezone.now())

    assert signed_in and swept == 0
    assert Person.objects.get(pk=person.pk).deidentified_at is None


@pytest.mark.django_db
def test_a_minimised_person_gets_no_new_certificate(ca, cast):
    person = _minimised(f.PersonFactory(organization=cast.agency_a))

    with pytest.raises(DomainError) as refused:
        certificate_services.certificate_issue(
            subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=person, by=None
        )

    assert refused.value.code == "person_minimised"
    assert "giảm thiểu dữ liệu" in refused.value.message
    assert not Certificate.objects.filter(person=person).exists()


@pytest.mark.django_db
def test_a_minimised_person_is_not_brought_up_to_date_for_a_new_row(cast):
    person = _minimised(f.PersonFactory(organization=cast.agency_a))
    data = {"national_id": person.national_id, "full_name": "Lò Thị Mai", "mobile": "0912345678"}

    with pytest.raises(DomainError) as refused:
        person_upsert(organization=cast.agency_a, data=data, by=cast.ca_operator)

    assert refused.value.code == "person_minimised"
    assert Person.objects.get(pk=person.pk).mobile == ""


# --- a minimised person afterwards -----------------------------------------------------------
@pytest.mark.django_db
def test_a_minimised_person_still_passes_validation_so_an_administrator_can_edit_them(cast):
    person = _minimised(f.PersonFactory(organization=cast.agency_a))
    person.position = "Chuyên viên chính"

    person.full_clean()
    person.save()

    assert Person.objects.get(pk=person.pk).position == "Chuyên viên chính"
    identified = f.PersonFactory(organization=cast.agency_a)
    identified.official_email = ""
    with pytest.raises(ValidationError) as invalid:
        identified.full_clean()
    assert "official_email" in invalid.value.message_dict
