"""What the retention sweep must never take (docs/retention.md): a draft a clerk is still
working on (its rows edited, an Excel import under way or just added), a person still
registered to a device out of their hands, a person linked to a new record while their batch
was being locked; and a person it minimised is offered for no new work, yet stays editable."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Person
from agencies.services.retention import person_neutral_values
from devices.models import CustodyRecord
from portal.models import ImportJob
from requests_app import services
from requests_app.choices import LETTER_IMPORT
from requests_app.models import CertRequest, LetterImport
from requests_app.services.retention import requests_retention_sweep
from tests import factories as f

H = CustodyRecord.HolderKind


def _minimised(person) -> Person:
    Person.objects.filter(pk=person.pk).update(**person_neutral_values(now=timezone.now()))
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
