"""Mẫu 05 letters processed a chunk at a time (docs/processing.md §4.1–§4.2): the chunk's
certificates revoked together by the CA, a row whose certificate the CA refuses failing alone
with the reason, nothing revoked twice by a redelivered task, and ONE CRL publication queued
when the letter ends, not one per row."""

import logging
from functools import partial

import pytest
from cryptography import x509
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from certificates import services as ca_services
from certificates.choices import CertEventKind, CertStatus, RevocationReason, SubjectKind
from certificates.models import Certificate, CertificateEvent
from certificates.tasks import crl_publish_task
from devices.choices import DeviceStatus
from devices.models import ReturnObligation
from portal.audit import audit_verify
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from tests import factories as f
from tests.requests_app.letters import CONTACT, issue_signed
from tests.requests_app.poison import poison

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ca")]

CRL_TASK = "certificates.tasks.crl_publish_task"


def _issued(cast, *, on_device=False):
    """A certificate the simulated CA really issued to a new person of agency A (on a token
    handed to them, if asked)."""
    person = f.PersonFactory(organization=cast.agency_a)
    certificate = ca_services.certificate_issue(
        subject_kind=SubjectKind.PERSON, agency=cast.agency_a, person=person, by=None
    )
    if on_device:
        device = f.DeviceFactory(
            agency=cast.agency_a, holder=person, status=DeviceStatus.HANDED_TO_SUBSCRIBER
        )
        Certificate.objects.filter(pk=certificate.pk).update(device=device)
        certificate.refresh_from_db()
    return certificate


def _accepted(cast, certificates, reason=RevocationReason.RETIRED):
    """A Mẫu 05 of agency A revoking `certificates`, every row accepted by the CA operator,
    and "Xử lý" clicked (its task is run by the test)."""
    letter = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.REVOKE, by=cast.clerk_a, **CONTACT
    )
    for certificate in certificates:
        services.row_save(
            cert_request=letter,
            by=cast.clerk_a,
            data={"certificate": certificate, "revoke_reason": reason},
        )
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    services.cert_request_forward(cert_request=letter, by=cast.officer_1)
    accepted, left = services.cert_request_accept_valid_rows(
        cert_request=letter, by=cast.ca_operator
    )
    assert (accepted, left) == (len(certificates), 0)
    services.cert_request_process(cert_request=letter, by=cast.ca_operator)
    return letter


def _crls(callbacks) -> list[int]:
    """The CAs whose CRL publication was queued by the callbacks run on commit."""
    return [
        callback.args[1]
        for callback in callbacks
        if isinstance(callback, partial) and callback.args[:1] == (CRL_TASK,)
    ]


def _run(letter, capture):
    """The worker body, as the task runs it; returns the CRL publications it queued."""
    with capture() as callbacks:
        services.cert_request_run_processing(cert_request_id=letter.pk)
    letter.refresh_from_db()
    return _crls(callbacks)


def _outcomes(letter) -> dict[int, tuple[str, str]]:
    return {row.position: (row.outcome, row.outcome_note) for row in letter.rows.all()}


def test_a_letter_in_chunks_revokes_each_certificate_once_and_queues_one_crl(
    cast, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PORTAL_PROCESSING_CHUNK_SIZE = 3
    certificates = [_issued(cast, on_device=n % 2 == 0) for n in range(7)]  # three chunks
    letter = _accepted(cast, certificates)

    def one_by_one(row, *, by):
        raise AssertionError("a row took the row-by-row path")

    monkeypatch.setattr("requests_app.services.processing.process_row", one_by_one)
    queued = _run(letter, django_capture_on_commit_callbacks)

    assert letter.status == Status.DONE
    assert queued == [certificates[0].issuer_id], "one publication, when the letter ended"
    rows = list(letter.rows.order_by("position"))
    assert {row.outcome for row in rows} == {Outcome.DONE}
    assert [(row.result_certificate_id, row.result_device_id) for row in rows] == [
        (c.pk, c.device_id) for c in certificates
    ]
    for certificate in certificates:
        certificate.refresh_from_db()
        assert certificate.status == CertStatus.REVOKED
        assert certificate.revocation_reason == RevocationReason.RETIRED
        history = CertificateEvent.objects.get(certificate=certificate, kind=CertEventKind.REVOKED)
        assert history.note == f"Nghỉ hưu. Theo văn bản số {letter.number}"
        assert history.actor == cast.ca_operator
    audits = AuditEvent.objects.filter(action="certificate.revoke").order_by("seq")
    assert [a.object_id for a in audits] == [str(c.pk) for c in certificates]
    assert {a.reason for a in audits} == {f"Theo văn bản số {letter.number}"}
    assert ReturnObligation.objects.count() == 4  # the certificates on a token
    assert audit_verify().ok


def test_a_row_whose_certificate_the_ca_refuses_fails_alone_with_the_reason(
    cast, django_capture_on_commit_callbacks
):
    first, revoked, last = _issued(cast), _issued(cast), _issued(cast)
    letter = _accepted(cast, [first, revoked, last])
    # Revoked by another way after the CA accepted the row.
    ca_services.certificate_revoke(
        certificate=revoked, by=cast.ca_operator, reason=RevocationReason.KEY_COMPROMISE
    )

    queued = _run(letter, django_capture_on_commit_callbacks)

    assert _outcomes(letter) == {
        1: (Outcome.DONE, ""),
        2: (Outcome.FAILED, f"Chứng thư {revoked.serial} đã bị thu hồi."),
        3: (Outcome.DONE, ""),
    }
    assert letter.rows.get(position=2).result_certificate is None
    revoked.refresh_from_db()
    assert revoked.revocation_reason == RevocationReason.KEY_COMPROMISE  # left as it was
    assert CertificateEvent.objects.filter(certificate=revoked).count() == 2  # issued, revoked
    assert queued == [first.issuer_id]
    assert letter.status == Status.DONE


def test_a_redelivered_task_revokes_nothing_twice_and_queues_nothing_more(
    cast, django_capture_on_commit_callbacks
):
    certificates = [_issued(cast) for _ in range(3)]
    letter = _accepted(cast, certificates)
    assert _run(letter, django_capture_on_commit_callbacks) == [certificates[0].issuer_id]
    events = AuditEvent.objects.count()

    again = _run(letter, django_capture_on_commit_callbacks)  # the redelivered message

    assert again == []
    assert AuditEvent.objects.count() == events
    assert CertificateEvent.objects.filter(kind=CertEventKind.REVOKED).count() == 3
    assert letter.transitions.filter(action="complete").count() == 1


def test_the_queued_crl_lists_every_certificate_the_letter_revoked(
    cast, django_capture_on_commit_callbacks
):
    certificates = [_issued(cast) for _ in range(4)]
    letter = _accepted(cast, certificates)
    queued = _run(letter, django_capture_on_commit_callbacks)

    number = crl_publish_task(*queued)  # what the worker runs for the one message

    crl = x509.load_der_x509_crl(bytes(ca_services.crl_current().der))
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number
    for certificate in certificates:
        assert crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))


def test_a_chunk_whose_revocation_fails_is_carried_out_row_by_row(
    cast, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    certificates = [_issued(cast, on_device=True) for _ in range(3)]
    letter = _accepted(cast, certificates)
    real = ca_services.certificate_revoke_many
    calls = []

    def fails_first(**kwargs):
        calls.append(kwargs["certificate_ids"])
        if len(calls) == 1:  # the chunk's call: a deadlock, say, after its writes
            real(**kwargs)
            raise RuntimeError("deadlock detected")
        return real(**kwargs)

    monkeypatch.setattr("certificates.services.certificate_revoke_many", fails_first)
    with caplog.at_level(logging.WARNING, logger="requests_app.row_revocations"):
        queued = _run(letter, django_capture_on_commit_callbacks)

    assert "processing them one by one" in caplog.text
    assert calls == [[c.pk for c in certificates]] + [[c.pk] for c in certificates]
    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    assert CertificateEvent.objects.filter(kind=CertEventKind.REVOKED).count() == 3
    assert AuditEvent.objects.filter(action="certificate.revoke").count() == 3
    assert ReturnObligation.objects.count() == 3
    assert queued == [certificates[0].issuer_id]
    assert audit_verify().ok


def test_a_letter_given_up_after_some_revocations_still_queues_their_crl(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_PROCESSING_MAX_ATTEMPTS = 1
    certificates = [_issued(cast) for _ in range(2)]
    letter = _accepted(cast, certificates)
    poison(letter.pk)  # its completion refused by the database: the run raises at the end

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(DatabaseError, match="the registry refused the letter"),
    ):
        services.cert_request_run_processing(cert_request_id=letter.pk)

    letter.refresh_from_db()
    assert letter.status == Status.PROCESSING_FAILED
    assert {outcome for outcome, _note in _outcomes(letter).values()} == {Outcome.DONE}
    assert _crls(callbacks) == [certificates[0].issuer_id]


def test_a_revocation_chunk_costs_the_same_statements_for_5_rows_as_for_25(
    cast, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite splits a bulk INSERT at 999 parameters: its count grows")
    settings.PORTAL_PROCESSING_CHUNK_SIZE = 100
    _run(_accepted(cast, [_issued(cast)]), django_capture_on_commit_callbacks)  # loaded once
    five = _accepted(cast, [_issued(cast, on_device=n % 2 == 0) for n in range(5)])
    many = _accepted(cast, [_issued(cast, on_device=n % 2 == 0) for n in range(25)])

    with CaptureQueriesContext(connection) as queries:
        _run(five, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(len(queries.captured_queries)):
        _run(many, django_capture_on_commit_callbacks)
    assert many.status == Status.DONE
    assert many.rows.filter(outcome=Outcome.DONE).count() == 25
