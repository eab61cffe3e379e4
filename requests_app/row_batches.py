"""Issuance rows (Mẫu 01, 02, 03) carried out a chunk at a time with bulk writes
(docs/scale.md §12.3), with the outcome the row-by-row path gives each row
(`row_handlers`, §4.1–§4.2).

1. **Decide** every row, writing nothing: the person each Mẫu 01 row upserts (the existing
   people locked in one query), the device each row asks for, and what the CA would refuse in
   its certificate. A row that breaks a rule here fails alone, with the message the
   row-by-row path would give it.
2. **Write** the other rows in one savepoint: people in one INSERT and one UPDATE, devices
   taken from the stock or registered with their custody records, every certificate signed by
   the CA at once (`certificate_issue_batch`), then the events each row's path records
   (person, device, certificate, in the row's order) in one `audit_record_many`, and the rows
   marked done in one UPDATE. The audit trail's head is locked only for that end.
3. Should the write fail anyway (a serial or ID number taken meanwhile, the CA refusing the
   batch), the savepoint is rolled back and the rows go through the row-by-row path, where
   each fails or succeeds alone.

Rows that need a write of their own before their certificate can be decided — a Mẫu 02
organisation not yet in the tree — are left to the row-by-row path as well. What a row
produces still carries its row's origin key (`cert_one_per_origin`), so nothing is issued
twice whatever the path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from agencies.services import PersonPlan, organization_find, person_upsert_apply, person_upsert_plan
from certificates import services as ca
from certificates.choices import SubjectKind
from devices.choices import DeviceKind
from devices.services import DeliveryOrder, device_deliver_for_certificates
from portal.audit_batch import AuditEntry, audit_record_many
from portal.lib.bulk import update_rows
from requests_app.choices import FormKind, Outcome
from requests_app.models import RequestRow
from requests_app.row_handlers import (
    KEY_STORAGE_DEVICE,
    organization_data,
    origin,
    person_data,
    person_device_kind,
    service_name,
    sim_of,
)

logger = logging.getLogger(__name__)

BATCHED_FORMS = frozenset(
    {FormKind.ISSUE_PERSON, FormKind.ISSUE_ORGANIZATION, FormKind.ISSUE_DEVICE}
)


@dataclass
class _Plan:
    """One row as decided: what it will write."""

    row: RequestRow
    delivery: DeliveryOrder
    subject: dict  # IssueOrder fields but the device (and the person, for Mẫu 01)
    person: PersonPlan | None = None
    audit: list[AuditEntry] = field(default_factory=list)


@dataclass
class BulkOutcome:
    done: list[RequestRow] = field(default_factory=list)
    failed: list[tuple[RequestRow, Exception]] = field(default_factory=list)
    # for the row-by-row path: rows needing their own writes, or all when the write failed
    left: list[RequestRow] = field(default_factory=list)


def issue_rows_in_bulk(rows: list[RequestRow], *, by) -> BulkOutcome:
    """Carry out locked, accepted issuance rows of one letter (each with `cert_request` set)
    in the caller's transaction. Rows of `done` are saved done; `failed` rows are for the
    caller to mark failed; `left` rows for it to carry out one by one."""
    outcome = BulkOutcome()
    if not rows:
        return outcome
    letter = rows[0].cert_request
    try:
        with transaction.atomic():  # a database error here must not spoil the chunk
            plans = _decide(rows, letter, outcome)
    except _OneByOne:
        return BulkOutcome(left=list(rows))
    except Exception:  # noqa: BLE001 - a lock timeout, a deadlock: each row on its own
        logger.warning(
            "deciding %d rows of letter %s in bulk failed; processing them one by one",
            len(rows),
            letter.pk,
            exc_info=True,
        )
        return BulkOutcome(left=list(rows))
    if not plans:
        return outcome
    try:
        with transaction.atomic():
            _write(plans, letter, by)
    except Exception:  # noqa: BLE001 - any refusal of the bulk write: each row on its own
        logger.warning(
            "bulk write of %d rows of letter %s failed; processing them one by one",
            len(plans),
            letter.pk,
            exc_info=True,
        )
        for plan in plans:
            plan.row.outcome, plan.row.is_open = Outcome.ACCEPTED, True
            plan.row.result_certificate = plan.row.result_device = None
        outcome.left = sorted(
            [plan.row for plan in plans] + outcome.left, key=lambda row: row.position
        )
        return outcome
    outcome.done = [plan.row for plan in plans]
    return outcome


class _OneByOne(Exception):
    """The chunk is better carried out row by row (e.g. one person named on two rows)."""


def _decide(rows, letter, outcome: BulkOutcome) -> list[_Plan]:
    agency = letter.agency
    plans: list[_Plan] = []
    for row in rows:
        if letter.form == FormKind.ISSUE_PERSON:
            plan = _Plan(
                row=row,
                delivery=DeliveryOrder(kind=person_device_kind(row), sim=sim_of(row)),
                subject={"subject_kind": SubjectKind.PERSON},
            )
        elif letter.form == FormKind.ISSUE_ORGANIZATION:
            try:
                org = row.subject_organization or organization_find(
                    agency=agency, data=organization_data(row)
                )
            except Exception as exc:  # noqa: BLE001 - the row fails as it would alone
                outcome.failed.append((row, exc))
                continue
            if org is None:  # a new unit to add first: its own write, row by row
                outcome.left.append(row)
                continue
            plan = _Plan(
                row=row,
                delivery=DeliveryOrder(kind=DeviceKind.USB_TOKEN),
                subject={"subject_kind": SubjectKind.ORGANIZATION, "subject_organization": org},
            )
        else:
            plan = _Plan(
                row=row,
                delivery=DeliveryOrder(
                    kind=KEY_STORAGE_DEVICE.get(row.key_storage, DeviceKind.USB_TOKEN)
                ),
                subject={
                    "subject_kind": SubjectKind.DEVICE_SERVICE,
                    "common_name": service_name(row),
                },
            )
        plan.subject.update(agency=agency, email=row.email, origin=origin(row, "issue"))
        plans.append(plan)

    if letter.form == FormKind.ISSUE_PERSON:
        plans = _decide_people(plans, agency, outcome)
    orders = [_order(plan) for plan in plans]
    problems = ca.certificate_issue_check(orders=orders)
    kept = []
    for plan, problem in zip(plans, problems, strict=True):
        if problem is None:
            kept.append(plan)
        else:
            outcome.failed.append((plan.row, problem))
    return kept


def _decide_people(plans: list[_Plan], agency, outcome: BulkOutcome) -> list[_Plan]:
    items = [
        (plan.row.person.organization if plan.row.person_id else agency, person_data(plan.row))
        for plan in plans
    ]
    try:
        people = person_upsert_plan(items=items)
    except ValueError as exc:  # one person on two rows: the second updates the first's
        raise _OneByOne from exc
    kept = []
    for plan, person in zip(plans, people, strict=True):
        if isinstance(person, Exception):
            outcome.failed.append((plan.row, person))
            continue
        plan.person = person
        plan.delivery = DeliveryOrder(
            kind=plan.delivery.kind, holder=person.person, sim=plan.delivery.sim
        )
        plan.subject["person"] = person.person
        kept.append(plan)
    return kept


def _order(plan: _Plan, device=None) -> ca.IssueOrder:
    return ca.IssueOrder(**plan.subject, device=device)


def _write(plans: list[_Plan], letter, by) -> None:
    audit = [plan.audit for plan in plans]
    people = [plan for plan in plans if plan.person is not None]
    if people:
        person_upsert_apply(
            plans=[plan.person for plan in people], by=by, audit_into=[p.audit for p in people]
        )
    devices = device_deliver_for_certificates(
        orders=[plan.delivery for plan in plans],
        agency=letter.agency,
        by=by,
        document_ref=letter.number,
        audit_into=audit,
    )
    certificates = ca.certificate_issue_batch(
        orders=[_order(plan, device) for plan, device in zip(plans, devices, strict=True)],
        by=by,
        audit_into=audit,
    )
    for plan, device, certificate in zip(plans, devices, certificates, strict=True):
        row = plan.row
        row.outcome, row.is_open = Outcome.DONE, False
        row.result_device, row.result_certificate = device, certificate
    # The chunk's events, row after row as each row's path writes them: the head locked once.
    audit_record_many(actor=by, entries=[entry for entries in audit for entry in entries])
    update_rows(
        RequestRow,
        ["outcome", "is_open", "result_certificate", "result_device"],
        [(p.row.pk, Outcome.DONE, False, p.row.result_certificate_id, p.row.result_device_id)
         for p in plans],
    )  # fmt: skip
