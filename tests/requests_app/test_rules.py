"""Each drafting rule of docs/domain.md, checked when a row is saved and again on submit.

Every test here fails if its rule is taken out of requests_app/rules.py.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from certificates.choices import CertStatus, SubjectKind
from devices.choices import DeviceStatus
from portal.errors import DomainError
from requests_app import services
from requests_app.choices import FormKind, Status
from requests_app.exceptions import RowInvalid
from tests import factories as f
from tests.requests_app.letters import CONTACT

pytestmark = pytest.mark.django_db


def person_row(**overrides):
    """The same person every time (unlike letters.person_row), so duplicates can be made."""
    data = {
        "full_name": "Lò Thị Mai",
        "date_of_birth": date(1990, 1, 1),
        "national_id": "012190001234",
        "id_issue_date": date(2021, 1, 1),
        "id_issue_place": "CCSQLHCVTTXH",
        "email": "mai@laichau.gov.vn",
        "work_agency": "Sở Tài chính",
        "province_name": "Lai Châu",
        "position_title": "Chuyên viên",
        "mobile": "0912345678",
    }
    data.update(overrides)
    return data


def letter(cast, form, agency=None):
    return services.cert_request_create(
        agency=agency or cast.agency_a, form=form, by=cast.clerk_a, **CONTACT
    )


def refused_fields(cert_request, by, data):
    with pytest.raises(RowInvalid) as exc:
        services.row_save(cert_request=cert_request, by=by, data=data)
    assert not cert_request.rows.exists(), "nothing may be saved from an invalid row"
    return exc.value.errors


def certificate(cast, days_left=200, **fields):
    fields.setdefault("person", f.PersonFactory(organization=cast.agency_a))
    return f.CertificateFactory(
        agency=cast.agency_a,
        not_after=timezone.now() + timedelta(days=days_left, hours=1),
        **fields,
    )


def test_a_valid_person_row_is_saved(cast):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    row = services.row_save(cert_request=cert_request, by=cast.clerk_a, data=person_row())
    assert row.position == 1


@pytest.mark.parametrize("bad_id", ["01219000123", "0121900012345", "01219000123A"])
def test_it_refuses_a_personal_id_that_is_not_12_digits(cast, bad_id):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    errors = refused_fields(cert_request, cast.clerk_a, person_row(national_id=bad_id))
    assert "12 chữ số" in errors["national_id"][0]


@pytest.mark.parametrize("mail", ["mai@gmail.com", "mai@yahoo.com", "mai@hotmail.com"])
def test_it_refuses_a_public_mailbox_as_official_email(cast, mail):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    errors = refused_fields(cert_request, cast.clerk_a, person_row(email=mail))
    assert "công vụ" in errors["email"][0]


def test_it_refuses_a_budget_code_that_is_not_7_digits(cast):
    cert_request = letter(cast, FormKind.ISSUE_ORGANIZATION)
    data = {
        "organization_name": "Sở Tài chính tỉnh Lai Châu",
        "address": "Phường Tân Phong",
        "tax_code": "6200101234",
        "budget_code": "112340",
        "province_name": "Lai Châu",
        "email": "stc@laichau.gov.vn",
    }
    errors = refused_fields(cert_request, cast.clerk_a, data)
    assert "7 chữ số" in errors["budget_code"][0]
    services.row_save(
        cert_request=cert_request, by=cast.clerk_a, data={**data, "budget_code": "1123401"}
    )


def test_it_refuses_an_unknown_sim_carrier(cast):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    errors = refused_fields(cert_request, cast.clerk_a, person_row(sim_carrier="vietnamobile"))
    assert "sim_carrier" in errors
    services.row_save(
        cert_request=cert_request, by=cast.clerk_a, data=person_row(sim_carrier="viettel")
    )


def test_a_sim_pki_row_without_a_mobile_number_is_refused_saying_the_sim_needs_one(cast):
    """docs/domain.md §5.8. Every Mẫu 01 row needs a mobile number anyway (REQUIRED_COLUMNS),
    so the SIM rule's own guard shows only in its message."""
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    errors = refused_fields(
        cert_request, cast.clerk_a, person_row(sim_carrier="viettel", mobile="")
    )
    assert "SIM PKI cần số điện thoại di động." in errors["mobile"]


def test_it_refuses_a_second_renewal(cast):
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    once_renewed = certificate(cast, renewal_count=1)
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": once_renewed, "renew": True}
    )
    assert "renew" in errors


def test_it_refuses_renewal_with_29_days_left_and_accepts_30(cast):
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": certificate(cast, 29), "renew": True}
    )
    assert "30" in errors["renew"][0]
    row = services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={"certificate": certificate(cast, 30), "renew": True},
    )
    assert list(cert_request.rows.all()) == [row]


def test_it_refuses_change_of_info_with_29_days_left_and_accepts_30(cast):
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    data = {"change_info": True, "change_field": "common_name", "new_value": "Lò Thị Mai Anh"}
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": certificate(cast, 29), **data}
    )
    assert "30" in errors["change_info"][0]
    row = services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={"certificate": certificate(cast, 30), **data},
    )
    assert list(cert_request.rows.all()) == [row]


def test_a_renew_change_row_needs_at_least_one_service_ticked(cast):
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    errors = refused_fields(cert_request, cast.clerk_a, {"certificate": certificate(cast)})
    assert "__all__" in errors


def test_it_refuses_a_revocation_reason_that_does_not_fit_the_subject_kind(cast):
    cert_request = letter(cast, FormKind.REVOKE)
    organisation_cert = certificate(
        cast, subject_kind=SubjectKind.ORGANIZATION, person=None,
        subject_organization=cast.agency_a,
    )  # fmt: skip
    errors = refused_fields(
        cert_request,
        cast.clerk_a,
        {"certificate": organisation_cert, "revoke_reason": "retired"},
    )
    assert "revoke_reason" in errors
    services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={"certificate": organisation_cert, "revoke_reason": "merged"},
    )


def test_it_refuses_a_certificate_of_another_agency(cast):
    cert_request = letter(cast, FormKind.REVOKE)
    foreign = f.CertificateFactory(person=f.PersonFactory(organization=cast.agency_b))
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": foreign, "revoke_reason": "resigned"}
    )
    assert "không thuộc" in errors["certificate"][0]


def test_it_refuses_a_revoked_certificate(cast):
    cert_request = letter(cast, FormKind.REVOKE)
    revoked = certificate(
        cast, status=CertStatus.REVOKED, revoked_at=timezone.now(), revocation_reason="resigned"
    )
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": revoked, "revoke_reason": "resigned"}
    )
    assert "certificate" in errors


def test_it_allows_only_one_open_request_per_certificate(cast):
    target = certificate(cast)
    first = letter(cast, FormKind.REVOKE)
    services.row_save(
        cert_request=first,
        by=cast.clerk_a,
        data={"certificate": target, "revoke_reason": "resigned"},
    )
    second = letter(cast, FormKind.RENEW_CHANGE)
    errors = refused_fields(second, cast.clerk_a, {"certificate": target, "renew": True})
    assert "đề nghị khác" in errors["certificate"][0]
    services.cert_request_cancel(cert_request=first, by=cast.clerk_a)
    services.row_save(
        cert_request=second, by=cast.clerk_a, data={"certificate": target, "renew": True}
    )


def test_it_allows_only_one_open_request_per_device(cast):
    device = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)
    first = letter(cast, FormKind.RECOVER_DEVICE)
    services.row_save(cert_request=first, by=cast.clerk_a, data={"device": device})
    second = letter(cast, FormKind.RECOVER_DEVICE)
    errors = refused_fields(second, cast.clerk_a, {"device": device})
    assert errors["device"] == ["Đã có một đề nghị khác chưa xử lý xong cho thiết bị này."]


def test_recovery_is_only_for_a_locked_device_of_the_agency(cast):
    cert_request = letter(cast, FormKind.RECOVER_DEVICE)
    working = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.HANDED_TO_SUBSCRIBER)
    errors = refused_fields(cert_request, cast.clerk_a, {"device": working})
    assert "bị khóa" in errors["device"][0]
    foreign = f.DeviceFactory(agency=cast.agency_b, status=DeviceStatus.LOCKED)
    errors = refused_fields(cert_request, cast.clerk_a, {"device": foreign})
    assert "không thuộc" in errors["device"][0]


def test_submit_checks_the_rules_again(cast, time_machine):
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    target = certificate(cast, 35)
    services.row_save(
        cert_request=cert_request, by=cast.clerk_a, data={"certificate": target, "renew": True}
    )
    time_machine.move_to(timezone.now() + timedelta(days=10))
    with pytest.raises(DomainError) as exc:
        services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    assert "Dòng 1" in exc.value.message
    cert_request.refresh_from_db()
    assert cert_request.status == Status.DRAFT


def test_submit_needs_the_contact_person(cast):
    cert_request = services.cert_request_create(
        agency=cast.agency_a, form=FormKind.ISSUE_PERSON, by=cast.clerk_a
    )
    services.row_save(cert_request=cert_request, by=cast.clerk_a, data=person_row())
    with pytest.raises(DomainError) as exc:
        services.cert_request_submit(cert_request=cert_request, by=cast.clerk_a)
    assert exc.value.code == "contact_missing"


def test_decomposed_vietnamese_is_stored_composed(cast):
    import unicodedata

    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hường")
    row = services.row_save(
        cert_request=cert_request, by=cast.clerk_a, data=person_row(full_name=decomposed)
    )
    row.refresh_from_db()
    assert row.full_name == unicodedata.normalize("NFC", decomposed)
    assert row.full_name != decomposed


def test_thresholds_are_settings(cast, settings):
    settings.PORTAL_RENEW_MIN_DAYS_LEFT = 10
    settings.PORTAL_CHANGE_MIN_DAYS_LEFT = 20
    change = {"change_info": True, "change_field": "common_name", "new_value": "Lò Thị Mai Anh"}
    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": certificate(cast, 9), "renew": True}
    )
    assert "ít nhất 10 ngày" in errors["renew"][0]
    errors = refused_fields(
        cert_request, cast.clerk_a, {"certificate": certificate(cast, 19), **change}
    )
    assert "ít nhất 20 ngày" in errors["change_info"][0]

    renewal = services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={"certificate": certificate(cast, 10), "renew": True},
    )
    change_of_info = services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={"certificate": certificate(cast, 20), **change},
    )
    assert [r.pk for r in cert_request.rows.order_by("position")] == [renewal.pk, change_of_info.pk]


def test_the_same_person_cannot_appear_twice_in_one_letter(cast):
    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    services.row_save(cert_request=cert_request, by=cast.clerk_a, data=person_row())
    with pytest.raises(RowInvalid) as exc:
        services.row_save(cert_request=cert_request, by=cast.clerk_a, data=person_row())
    assert "dòng 1" in exc.value.errors["national_id"][0]
    assert cert_request.rows.count() == 1


def test_a_batch_of_rows_is_added_with_one_insert_and_one_audit_event(cast):
    from portal.models import AuditEvent

    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    batch = [
        person_row(national_id=f"0121900{n:05d}", email=f"p{n}@laichau.gov.vn") for n in range(30)
    ]
    before = AuditEvent.objects.count()
    rows = services.rows_add_many(cert_request=cert_request, by=cast.clerk_a, rows_data=batch)
    assert [r.position for r in cert_request.rows.order_by("position")] == list(range(1, 31))
    assert len(rows) == 30
    assert AuditEvent.objects.count() == before + 1


def test_a_batch_with_one_bad_row_saves_nothing_and_says_which(cast):
    from requests_app.exceptions import RowsInvalid

    cert_request = letter(cast, FormKind.ISSUE_PERSON)
    batch = [
        person_row(national_id="012190000001", email="a@laichau.gov.vn"),
        person_row(national_id="012190000002", email="b@gmail.com"),
        person_row(national_id="012190000001", email="c@laichau.gov.vn"),
    ]
    with pytest.raises(RowsInvalid) as exc:
        services.rows_add_many(cert_request=cert_request, by=cast.clerk_a, rows_data=batch)
    assert set(exc.value.errors) == {1, 2}
    assert "email" in exc.value.errors[1]
    assert "national_id" in exc.value.errors[2]
    assert not cert_request.rows.exists()


def test_rows_checked_together_get_the_same_problems_as_one_by_one(cast):
    """rules.rows_errors (many rows of one letter, the value checks run once per distinct
    set of values) says of each row exactly what row_errors says of it alone."""
    from requests_app.models import RequestRow
    from requests_app.rules import row_errors, row_facts, rows_errors

    cert_request = letter(cast, FormKind.RENEW_CHANGE)
    good = certificate(cast)
    short = certificate(cast, days_left=10)
    foreign = f.CertificateFactory(agency=cast.agency_b)
    revoked = certificate(
        cast, status=CertStatus.REVOKED, revoked_at=timezone.now(), revocation_reason="resigned"
    )
    unit = cast.unit_a
    data = [
        (good, {"change_info": True, "change_field": "unit", "new_value": unit.name}),
        (short, {"change_info": True, "change_field": "unit", "new_value": unit.name}),
        (foreign, {"change_info": True, "change_field": "unit", "new_value": unit.name}),
        (revoked, {"change_info": True, "change_field": "unit", "new_value": "Không có"}),
        (good, {"change_info": True, "change_field": "unit", "new_value": "Không có"}),
        (short, {}),
    ]
    rows = [RequestRow(cert_request=cert_request, certificate=c, **d) for c, d in data]
    facts = row_facts(cast.agency_a, certificate_ids=[c.pk for c, _d in data])
    together = rows_errors(rows, facts)
    assert together == [row_errors(row, facts) for row in rows]
    assert together == [row_errors(row) for row in rows]
    assert together[0] == {}
    assert set(together[1]) == {"change_info"}
    assert set(together[2]) == {"certificate"}
    assert set(together[3]) == {"new_value", "certificate"}
    assert set(together[4]) == {"new_value"}
    assert set(together[5]) == {"__all__"}
