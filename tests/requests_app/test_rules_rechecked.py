"""The rules are checked again when they matter, not only when a row is drafted: when the agency
head signs the letter, and when a reviewer accepts a single row. A certificate that dropped under
30 days, or was revoked, after the clerk submitted is refused there (docs/domain.md §5)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.choices import CertStatus
from certificates.models import Certificate
from portal.errors import DomainError
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import FormKind, Outcome, Status
from requests_app.exceptions import RowInvalid
from requests_app.models import RequestRow, Transition
from tests.requests_app.letters import CONTACT, certificate_of, issue_signed, letter_at

pytestmark = pytest.mark.django_db

SERVICES = {
    "renew": {"renew": True},
    "change_info": {
        "change_info": True,
        "change_field": "common_name",
        "new_value": "Lò Thị Mai Anh",
    },
}


def submitted(cast, service: str, *, days_left: int):
    """A Mẫu 04 letter of agency A, waiting for the head's signature, whose only row asks for
    `service` on a certificate with `days_left` days (and an hour) of validity left."""
    cert_request = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.RENEW_CHANGE, by=cast.clerk_a, **CONTACT
    )
    certificate = certificate_of(cast.agency_a, days_left=days_left)
    services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={"certificate": certificate, **SERVICES[service]},
    )
    services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    return cert_request


def revoked_meanwhile(certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        status=CertStatus.REVOKED, revoked_at=timezone.now(), revocation_reason="key_compromise"
    )


def later(time_machine, days: int):
    time_machine.move_to(timezone.now() + timedelta(days=days))


# --- the head signs --------------------------------------------------------------------------
def assert_not_signed(cert_request, exc):
    assert "Dòng 1" in exc.value.message
    cert_request.refresh_from_db()
    assert cert_request.status == Status.AWAITING_HEAD
    assert cert_request.number == ""
    assert cert_request.issued_on is None
    assert not Transition.objects.filter(cert_request=cert_request, action="issue").exists()


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_head_cannot_sign_once_the_certificate_dropped_under_30_days(
    cast, time_machine, service
):
    cert_request = submitted(cast, service, days_left=35)
    later(time_machine, 6)  # 29 days left

    with pytest.raises(DomainError) as exc:
        services.cert_request_issue(cert_request=cert_request, by=cast.head_a)

    assert_not_signed(cert_request, exc)


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_head_signs_with_30_days_still_left(cast, time_machine, service):
    cert_request = submitted(cast, service, days_left=35)
    later(time_machine, 5)  # 30 days left

    issue_signed(cast, cert_request)

    cert_request.refresh_from_db()
    assert cert_request.status == Status.PROVINCE_REVIEW


def test_the_head_cannot_sign_a_revocation_of_a_certificate_revoked_meanwhile(cast):
    cert_request = letter_at(cast, Status.AWAITING_HEAD, FormKind.REVOKE)
    revoked_meanwhile(cert_request.rows.get().certificate)

    with pytest.raises(DomainError) as exc:
        services.cert_request_issue(cert_request=cert_request, by=cast.head_a)

    assert_not_signed(cert_request, exc)


# --- a single row is accepted ----------------------------------------------------------------
def assert_still_pending(row):
    row.refresh_from_db()
    assert row.outcome == Outcome.PENDING
    assert row.decided_by is None
    assert row.decided_at is None
    assert not AuditEvent.objects.filter(
        action="request_row.accept", object_id=str(row.pk)
    ).exists()


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_row_whose_certificate_dropped_under_30_days_cannot_be_accepted(
    cast, time_machine, service
):
    cert_request = submitted(cast, service, days_left=35)
    issue_signed(cast, cert_request)
    row = cert_request.rows.get()
    later(time_machine, 6)  # 29 days left

    with pytest.raises(RowInvalid) as exc:
        services.row_decide(row=row, by=cast.officer_1, accept=True)

    assert set(exc.value.errors) == {service}
    assert "30" in exc.value.errors[service][0]
    assert_still_pending(row)


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_row_with_30_days_still_left_is_accepted(cast, time_machine, service):
    cert_request = submitted(cast, service, days_left=35)
    issue_signed(cast, cert_request)
    row = cert_request.rows.get()
    later(time_machine, 5)  # 30 days left

    services.row_decide(row=row, by=cast.officer_1, accept=True)

    row.refresh_from_db()
    assert (row.outcome, row.decided_by) == (Outcome.ACCEPTED, cast.officer_1)


def test_the_ca_cannot_accept_a_revocation_of_a_certificate_revoked_meanwhile(cast):
    cert_request = letter_at(cast, Status.FORWARDED, FormKind.REVOKE)
    revoked_meanwhile(cert_request.rows.get().certificate)
    row = RequestRow.objects.get(cert_request=cert_request)  # as the page reads it

    with pytest.raises(RowInvalid) as exc:
        services.row_decide(row=row, by=cast.ca_operator, accept=True)

    assert set(exc.value.errors) == {"certificate"}
    assert_still_pending(row)


def test_the_rules_are_checked_on_the_row_as_locked_not_on_the_callers_copy(cast):
    cert_request = letter_at(cast, Status.FORWARDED, FormKind.REVOKE)
    row = cert_request.rows.select_related("certificate").get()  # read before the revocation
    revoked_meanwhile(row.certificate)

    with pytest.raises(RowInvalid):
        services.row_decide(row=row, by=cast.ca_operator, accept=True)


def test_a_refusal_of_a_row_that_became_invalid_is_still_allowed(cast):
    cert_request = letter_at(cast, Status.FORWARDED, FormKind.REVOKE)
    row = cert_request.rows.get()
    revoked_meanwhile(row.certificate)

    services.row_decide(row=row, by=cast.ca_operator, accept=False, note="Đã thu hồi trước đó")

    row.refresh_from_db()
    assert (row.outcome, row.outcome_note) == (Outcome.REFUSED, "Đã thu hồi trước đó")
