"""The retention sweep of letters and of the people they name (docs/retention.md): drafts never
submitted deleted after PORTAL_RETENTION_DRAFT_DAYS; letters closed longer ago than
PORTAL_RETENTION_RECORD_YEARS minimised with their rows; people minimised once no
certificate, device record, return or letter of theirs is younger than that.

People are swept here, the highest app whose records keep a person (certificates, devices and
letters below or in it, docs/architecture.md §1); each batch is its own transaction, locked
with SKIP LOCKED and audited (portal.retention)."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies.models import Person
from agencies.services.retention import persons_deidentify
from certificates.models import Certificate
from devices.models import CustodyRecord, Device, ReturnObligation
from portal.retention import (
    ARCHIVES_LAW,
    DEIDENTIFY,
    InKeys,
    Period,
    retention_batches,
    retention_delete,
)
from requests_app.models import CertRequest, RequestRow

DRAFTS = Period("PORTAL_RETENTION_DRAFT_DAYS", "days")
RECORDS = Period("PORTAL_RETENTION_RECORD_YEARS", "years", ARCHIVES_LAW)

# What minimising a letter writes on the letter (its contact) and on each row. The names,
# positions and organisations stay: the archives need who asked for what; numbers, dates of
# birth and addresses that identify or reach a person go. An emptied encrypted field is stored
# as "" and its blind index emptied with it (docs/privacy-at-rest.md).
LETTER_NEUTRAL = {
    "contact_national_id": "",
    "contact_national_id_index": "",
    "contact_id_issue_date": None,
    "contact_id_issue_place": "",
    "contact_mobile": "",
    "contact_email": "",
}
ROW_NEUTRAL = {
    "national_id": "",
    "national_id_index": "",
    "date_of_birth": None,
    "id_issue_date": None,
    "id_issue_place": "",
    "mobile": "",
    "email": "",
    "new_value": "",
}


def still_personal(neutral: dict) -> Q:
    """The rows with a personal field not yet at its neutral value: a row that holds none (an
    organisation's or a device's row, one already minimised) is not written again, which
    would cost a new row version and an entry in each of its indexes for nothing."""
    condition = Q()
    for name, value in neutral.items():
        condition |= Q(**{f"{name}__isnull": False}) if value is None else ~Q(**{name: value})
    return condition


def drafts_retention_sweep(*, now: datetime) -> int:
    """Delete, with their rows, the drafts never submitted and unchanged for the period."""
    drafts = CertRequest.objects.never_submitted(changed_before=DRAFTS.cutoff(now))
    return retention_delete(queryset=drafts, period=DRAFTS, now=now)


def letters_retention_sweep(*, now: datetime) -> int:
    """Minimise the letters closed longer ago than the period, with their rows: one batch
    of letters, their rows and their mark in one transaction (statuses, counts and dates stay,
    so every statistic stays the same)."""

    def apply(batch: QuerySet, ids: list) -> list:
        rows = RequestRow.objects.filter(InKeys("cert_request_id", ids))
        rows.filter(still_personal(ROW_NEUTRAL)).update(**ROW_NEUTRAL)
        batch.update(**LETTER_NEUTRAL, deidentified_at=now)
        return ids

    return retention_batches(
        queryset=CertRequest.objects.closed_before(RECORDS.cutoff(now)),
        action=DEIDENTIFY,
        period=RECORDS,
        now=now,
        apply=apply,
        what="requests_app.certrequest+requestrow",
    )


def persons_past_retention(*, now: datetime) -> QuerySet:
    """People with nothing of theirs younger than the period: no certificate ended since, no
    device registered to them still out, none held or moved since, no return obligation
    closed since, no letter row in a letter open or closed since, no account used since
    (docs/retention.md)."""
    cutoff = RECORDS.cutoff(now)
    person = OuterRef("pk")
    return (
        Person.objects.idle_since(cutoff)
        .exclude(Exists(Certificate.objects.ended_since(cutoff).filter(person=person)))
        .exclude(Exists(Device.objects.still_registered().filter(holder=person)))
        .exclude(Exists(CustodyRecord.objects.held_since(cutoff).filter(person=person)))
        .exclude(Exists(CustodyRecord.objects.moved_since(cutoff).filter(device__holder=person)))
        .exclude(Exists(ReturnObligation.objects.closed_since(cutoff).filter(person=person)))
        .exclude(Exists(RequestRow.objects.kept_since(cutoff).filter(person=person)))
    )


def persons_retention_sweep(*, now: datetime) -> int:
    return persons_deidentify(persons=persons_past_retention(now=now), period=RECORDS, now=now)


def requests_retention_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The letters' app's whole sweep: drafts, closed letters, then the people."""
    now = now or timezone.now()
    return {
        "drafts": drafts_retention_sweep(now=now),
        "letters": letters_retention_sweep(now=now),
        "persons": persons_retention_sweep(now=now),
    }
