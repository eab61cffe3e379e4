"""Issuance rows processed a chunk at a time with bulk writes (docs/scale.md §12.3): each row keeps its own outcome, nothing is issued twice, a crash
mid-chunk leaves nothing half-done, the audit trail reads as the row-by-row path writes it,
and a chunk costs the same number of statements whatever its size."""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Person
from certificates.models import Certificate
from devices.models import CustodyRecord, Device
from portal.audit import audit_verify
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.models import RequestRow
from tests import factories as f
from tests.requests_app.letters import letter_at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]


class Killed(BaseException):
    """The worker's process dying: not an error any code path catches."""


def _accepted(cast, rows, form=FormKind.ISSUE_PERSON):
    letter = letter_at(cast, Status.FORWARDED, form, rows=rows, accepted=True)
    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    return letter


def _run(letter):
    services.cert_request_run_processing(cert_request_id=letter.pk)
    letter.refresh_from_db()


def _outcomes(letter) -> dict[int, tuple[str, str]]:
    return {row.position: (row.outcome, row.outcome_note) for row in letter.rows.all()}


def _one_certificate_per_row(letter) -> bool:
    for row in letter.rows.filter(outcome=Outcome.DONE):
        produced = Certificate.objects.filter(origin__startswith=f"request_row:{row.pk}:")
        if list(produced) != [row.result_certificate]:
            return False
    return True


def test_a_row_whose_person_moved_to_another_agency_fails_alone_with_its_reason(cast):
    letter = _accepted(cast, rows=4)
    third = letter.rows.get(position=3)
    # Registered in another agency after the CA accepted the row.
    elsewhere = f.PersonFactory(organization=cast.agency_b, national_id=third.national_id)

    _run(letter)

    outcomes = _outcomes(letter)
    assert outcomes[3] == (
        Outcome.FAILED,
        f"Cá nhân {elsewhere.full_name} (số định danh …{third.national_id[-4:]}) đang thuộc "
        f"{cast.agency_b}; hãy đề nghị thay đổi thông tin thay vì cấp mới.",
    )
    assert {outcomes[n][0] for n in (1, 2, 4)} == {Outcome.DONE}
    assert third.national_id not in letter.rows.get(position=3).outcome_note, "never in full"
    assert letter.status == Status.DONE
    assert _one_certificate_per_row(letter)
    elsewhere.refresh_from_db()
    assert elsewhere.organization == cast.agency_b  # the failed row wrote nothing
    assert not Certificate.objects.filter(origin=f"request_row:{third.pk}:issue").exists()


def test_a_row_the_ca_would_refuse_fails_alone_and_its_person_is_not_written(cast):
    letter = _accepted(cast, rows=3)
    long_name = "Nguyễn Thị " + "Phương " * 9 + "Anh"  # 77 characters: longer than a CN
    RequestRow.objects.filter(cert_request=letter, position=2).update(full_name=long_name)
    second = letter.rows.get(position=2)

    _run(letter)

    outcomes = _outcomes(letter)
    assert outcomes[2] == (
        Outcome.FAILED,
        f"Trường CN dài quá 64 ký tự: {long_name}",
    )
    assert {outcomes[1][0], outcomes[3][0]} == {Outcome.DONE}
    assert not Person.objects.with_national_id(second.national_id).exists()
    assert _one_certificate_per_row(letter)


def test_running_the_worker_body_twice_gives_each_row_exactly_one_certificate(cast):
    letter = _accepted(cast, rows=5)
    _run(letter)
    issued = Certificate.objects.count()

    services.cert_request_run_processing(cert_request_id=letter.pk)  # the redelivered task

    assert Certificate.objects.count() == issued
    assert _one_certificate_per_row(letter)
    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    assert letter.transitions.filter(action="complete").count() == 1


def test_a_worker_killed_mid_chunk_leaves_nothing_and_the_resumed_run_finishes_the_letter(
    cast, monkeypatch
):
    letter = _accepted(cast, rows=4)
    counts = (Person.objects.count(), Device.objects.count(), Certificate.objects.count())
    events = AuditEvent.objects.count()

    def killed(**kwargs):
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr("certificates.services.certificate_issue_batch", killed)
        with pytest.raises(Killed):
            _run(letter)

    assert (Person.objects.count(), Device.objects.count(), Certificate.objects.count()) == counts
    assert AuditEvent.objects.count() == events
    assert set(letter.rows.values_list("outcome", flat=True)) == {Outcome.ACCEPTED}

    _run(letter)  # the stall sweep queues it again

    assert letter.status == Status.DONE
    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    assert _one_certificate_per_row(letter)


def test_a_chunk_whose_bulk_write_fails_is_carried_out_row_by_row(cast, monkeypatch, caplog):
    f.DeviceFactory(serial="TK0000DUP1", status="returned_to_ca", agency=None)
    letter = _accepted(cast, rows=3)
    # Every device the bulk write registers gets a serial already taken.
    monkeypatch.setattr("devices.services.delivery.new_serial", lambda kind: "TK0000DUP1")

    with caplog.at_level(logging.WARNING, logger="requests_app.row_batches"):
        _run(letter)

    assert "processing them one by one" in caplog.text
    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    assert _one_certificate_per_row(letter)
    assert Device.objects.filter(serial="TK0000DUP1").count() == 1


def _trail(letter) -> list[tuple]:
    """Each processed row's events, as they read (what changes from one person to the next,
    and keys, serials and times, left out)."""
    rows = list(letter.rows.order_by("position"))
    objects = {}
    for row in rows:
        certificate = row.result_certificate
        objects[("certificates.certificate", str(certificate.pk))] = row.position
        objects[("devices.device", str(row.result_device_id))] = row.position
        objects[("agencies.person", str(certificate.person_id))] = row.position
    trail = []
    for event in AuditEvent.objects.order_by("seq"):
        position = objects.get((event.object_type, event.object_id))
        if position is None:
            continue
        volatile = {"serial", "subject", "not_before", "not_after"}
        trail.append(
            (
                position,
                event.action,
                event.object_type,
                sorted((event.before or {}).items()),
                sorted((k, v) for k, v in (event.after or {}).items() if k not in volatile)
                if event.object_type != "agencies.person"
                else sorted(event.after),
                event.actor_id,
                event.reason,
            )
        )
    return trail


def test_the_audit_trail_of_a_batch_reads_as_the_row_by_row_path_writes_it(cast, monkeypatch):
    batched = _accepted(cast, rows=3)
    one_by_one = _accepted(cast, rows=3)
    _run(batched)
    with monkeypatch.context() as patch:
        patch.setattr("requests_app.row_batches.BATCHED_FORMS", frozenset())
        _run(one_by_one)

    trail = _trail(batched)
    assert trail == _trail(one_by_one)
    # One event per row action: the person, the token registered and delivered, the certificate.
    assert [(position, action) for position, action, *_rest in trail] == [
        (position, action)
        for position in (1, 2, 3)
        for action in ("person.create", "device.register", "device.deliver", "certificate.issue")
    ]
    assert audit_verify().ok


def test_a_batch_gives_each_device_the_custody_records_of_the_row_by_row_path(cast, monkeypatch):
    f.DeviceFactory(serial="TK00STOCK1", agency=None)  # one token in the CA's stock, then none
    batched = _accepted(cast, rows=2)
    _run(batched)
    f.DeviceFactory(serial="TK00STOCK2", agency=None)
    one_by_one = _accepted(cast, rows=2)
    with monkeypatch.context() as patch:
        patch.setattr("requests_app.row_batches.BATCHED_FORMS", frozenset())
        _run(one_by_one)

    def chains(letter):
        return [
            [
                (r.status, r.holder_kind, r.agency_id, r.person_id, r.handed_by_id,
                 r.document_ref, r.held_until is None)
                for r in CustodyRecord.objects.filter(device=row.result_device).order_by("pk")
            ]
            for row in letter.rows.order_by("position")
        ]  # fmt: skip

    assert [row.result_device.serial for row in batched.rows.order_by("position")][0] == (
        "TK00STOCK1"
    )
    numbers = {batched.number: "N", one_by_one.number: "N"}
    assert [
        [(*record[:5], numbers[record[5]] if record[5] else "", record[6]) for record in chain]
        for chain in chains(batched)
    ] == [
        [(*record[:5], numbers[record[5]] if record[5] else "", record[6]) for record in chain]
        for chain in chains(one_by_one)
    ]


def _units_named_by_rows(cast, letter):
    """The organisations a Mẫu 02 letter names, already units of the agency."""
    for row in letter.rows.all():
        f.UnitFactory(parent=cast.agency_a, name=row.organization_name, budget_code=row.budget_code)


@pytest.mark.parametrize("form", [FormKind.ISSUE_ORGANIZATION, FormKind.ISSUE_DEVICE])
def test_organisation_and_device_letters_are_processed_in_bulk_too(cast, form, monkeypatch):
    letter = _accepted(cast, rows=3, form=form)
    if form == FormKind.ISSUE_ORGANIZATION:
        _units_named_by_rows(cast, letter)

    def one_by_one(row, *, by):
        raise AssertionError("a row took the row-by-row path")

    monkeypatch.setattr("requests_app.row_handlers.process_row", one_by_one)
    _run(letter)

    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    assert _one_certificate_per_row(letter)
    if form == FormKind.ISSUE_ORGANIZATION:
        for row in letter.rows.select_related("result_certificate__subject_organization"):
            assert row.result_certificate.subject_organization.budget_code == row.budget_code
    assert audit_verify().ok


def test_a_02_row_naming_a_new_organisation_adds_it_on_the_row_by_row_path(cast):
    letter = _accepted(cast, rows=2, form=FormKind.ISSUE_ORGANIZATION)
    known = letter.rows.get(position=1)
    f.UnitFactory(parent=cast.agency_a, name=known.organization_name, budget_code=known.budget_code)
    new = letter.rows.get(position=2)

    _run(letter)

    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    created = AuditEvent.objects.get(action="organization.create")
    assert created.after == {"name": new.organization_name}
    assert _one_certificate_per_row(letter)


def _statements(letter) -> int:
    with CaptureQueriesContext(connection) as queries:
        _run(letter)
    assert letter.status == Status.DONE
    return len(queries.captured_queries)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite splits a bulk INSERT at 999 parameters: its count grows with the rows",
)
def test_a_chunk_costs_the_same_statements_for_10_rows_as_for_50(
    cast, settings, django_assert_max_num_queries
):
    settings.PORTAL_PROCESSING_CHUNK_SIZE = 100
    _statements(_accepted(cast, rows=1))  # what a process loads once
    ten, fifty = _accepted(cast, rows=10), _accepted(cast, rows=50)

    ten_rows = _statements(ten)
    with django_assert_max_num_queries(ten_rows):  # the letter's completion included
        _run(fifty)
    # a chunk, then the completion of the letter and its notice; and the run's work lease
    # (those run out pruned, taken, released: docs/processing.md §4.5)
    assert ten_rows <= 58
