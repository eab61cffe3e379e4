"""A person moving between agencies (docs/domain.md §5.3.1): the receiving
agency files a Mẫu 04 change of information "Chuyển cơ quan công tác", naming the certificate
by serial and its holder's ID number; once the Sở KH&CN processed the row, the certificate,
its device and the person belong to the receiving agency."""

import pytest
from django.urls import reverse

from certificates.choices import CertStatus, SubjectKind
from certificates.models import Certificate
from certificates.services import certificate_issue
from devices.choices import DeviceKind
from devices.models import CustodyRecord, Device
from devices.services import device_deliver_for_certificate
from portal.field_crypto import blind_index
from portal.models import AuditEvent
from requests_app import services
from requests_app.choices import ChangeField, FormKind, Outcome, Status
from requests_app.exceptions import RowInvalid
from requests_app.models import RequestRow
from tests import factories as f
from tests.helpers import HTMX, sign_in
from tests.requests_app.letters import CONTACT, issue_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def mover(cast, ca):
    """Hà Thị Lan of agency B (Sở Y tế), with a real certificate on a token of B."""
    person = f.PersonFactory(
        organization=cast.agency_b, full_name="Hà Thị Lan", national_id="011190001234"
    )
    token = device_deliver_for_certificate(
        kind=DeviceKind.USB_TOKEN, agency=cast.agency_b, holder=person, by=cast.ca_operator
    )
    certificate = certificate_issue(
        subject_kind=SubjectKind.PERSON,
        agency=cast.agency_b,
        person=person,
        device=token,
        by=cast.ca_operator,
    )
    return certificate


def _move_row(certificate, **overrides) -> dict:
    data = {
        "certificate": certificate,
        "change_info": True,
        "change_field": ChangeField.AGENCY,
        "new_value": "Phòng Ngân sách",
        "national_id": certificate.person.national_id,
        "position_title": "Phó Trưởng phòng",
    }
    data.update(overrides)
    return data


def _letter(cast, agency=None, by=None):
    return services.cert_request_create(
        agency=agency or cast.agency_a, form=FormKind.RENEW_CHANGE, by=by or cast.clerk_a, **CONTACT
    )


def _filed_and_processed(cast, letter):
    """Submitted by A's clerk, signed by A's head, accepted and processed by the Sở KH&CN of
    A's province, as other Mẫu 04 rows are."""
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    assert letter.status == Status.PROVINCE_REVIEW
    services.cert_request_accept_valid_rows(cert_request=letter, by=cast.officer_1)
    services.cert_request_process(cert_request=letter, by=cast.officer_1)
    services.cert_request_run_processing(cert_request_id=letter.pk)
    letter.refresh_from_db()
    return letter


def test_the_receiving_agency_files_the_move_and_the_certificate_moves_once_processed(cast, mover):
    letter = _letter(cast)
    services.row_save(cert_request=letter, by=cast.clerk_a, data=_move_row(mover))
    token = mover.device

    letter = _filed_and_processed(cast, letter)

    assert letter.status == Status.DONE
    row = letter.rows.get()
    assert row.outcome == Outcome.DONE, row.outcome_note
    moved = row.result_certificate
    mover.refresh_from_db()
    assert mover.status == CertStatus.REVOKED and mover.superseded_by == moved
    assert moved.status == CertStatus.VALID
    assert moved.agency == cast.agency_a
    assert moved.not_after == mover.not_after  # a change of information keeps the expiry
    assert moved.organizational_units == "Sở Tài chính tỉnh Lai Châu / Phòng Ngân sách"
    assert "Sở Y tế" not in moved.subject_dn
    person = moved.person
    person.refresh_from_db()
    assert person.organization == cast.unit_a and person.position == "Phó Trưởng phòng"
    token = Device.objects.get(pk=token.pk)
    assert token.agency == cast.agency_a and token.holder == person
    assert moved.device == token
    custody = CustodyRecord.objects.get(device=token, held_until__isnull=True)
    assert custody.agency == cast.agency_a
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"person.move", "device.transfer_agency", "certificate.change_info"} <= actions


def test_after_the_move_the_old_agency_no_longer_sees_the_certificate_and_the_new_one_does(
    cast, mover, client
):
    letter = _letter(cast)
    services.row_save(cert_request=letter, by=cast.clerk_a, data=_move_row(mover))
    moved = _filed_and_processed(cast, letter).rows.get().result_certificate

    assert Certificate.objects.visible_to(cast.clerk_a).filter(pk=moved.pk).exists()
    assert not Certificate.objects.visible_to(cast.clerk_b).filter(pk=moved.pk).exists()
    assert not Device.objects.visible_to(cast.clerk_b).filter(pk=moved.device_id).exists()
    sign_in(client, cast.clerk_b)
    assert client.get(reverse("certificates:detail", args=[moved.serial])).status_code == 404
    sign_in(client, cast.clerk_a)
    assert client.get(reverse("certificates:detail", args=[moved.serial])).status_code == 200


@pytest.mark.parametrize(
    "wrong", [{"national_id": "011190009999"}, {"certificate_serial": "FFFF0000"}]
)
def test_a_mismatched_id_number_or_serial_is_refused_and_nothing_changes(
    cast, mover, client, wrong
):
    letter = _letter(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[letter.pk]),
        {
            "certificate": wrong.get("certificate_serial", mover.serial),
            "change_info": "on",
            "change_field": ChangeField.AGENCY,
            "new_value": "Phòng Ngân sách",
            "national_id": wrong.get("national_id", mover.person.national_id),
            "position_title": "Chuyên viên",
        },
        **HTMX,
    )
    errors = response.context["form"].errors["certificate"]
    assert errors == [
        "Số hiệu chứng thư và số định danh cá nhân không khớp với một chứng thư cá nhân "
        "của người chuyển đến."
    ]
    assert not letter.rows.exists()
    mover.refresh_from_db()
    assert mover.agency == cast.agency_b and mover.status == CertStatus.VALID
    assert mover.person.organization == cast.agency_b


def test_the_service_refuses_a_move_whose_id_number_does_not_match(cast, mover):
    letter = _letter(cast)
    with pytest.raises(RowInvalid) as refused:
        services.row_save(
            cert_request=letter, by=cast.clerk_a, data=_move_row(mover, national_id="011190009999")
        )
    assert "không khớp" in refused.value.errors["certificate"][0]
    assert not letter.rows.exists()


def test_the_old_agency_cannot_file_a_move_of_its_own_certificate(cast, mover):
    letter = _letter(cast, agency=cast.agency_b, by=cast.clerk_b)
    with pytest.raises(RowInvalid) as refused:
        services.row_save(
            cert_request=letter,
            by=cast.clerk_b,
            data=_move_row(mover, new_value=cast.agency_b.name),
        )
    assert "cơ quan tiếp nhận" in refused.value.errors["change_field"][0]
    assert not letter.rows.exists()


def test_one_open_request_per_certificate_still_holds_for_a_move(cast, mover):
    pending = _letter(cast, agency=cast.agency_b, by=cast.clerk_b)
    services.row_save(
        cert_request=pending,
        by=cast.clerk_b,
        data={"certificate": mover, "change_info": True, "change_field": "email",
              "new_value": "lan.moi@thunghiem.gov.vn"},
    )  # fmt: skip
    letter = _letter(cast)
    with pytest.raises(RowInvalid) as refused:
        services.row_save(cert_request=letter, by=cast.clerk_a, data=_move_row(mover))
    assert "đề nghị khác chưa xử lý xong" in refused.value.errors["certificate"][0]


def test_a_move_is_refused_when_the_person_changed_agency_before_processing(cast, mover):
    """Decided on the locked person when processed: the row fails, nothing moves."""
    from agencies.models import Person

    letter = _letter(cast)
    services.row_save(cert_request=letter, by=cast.clerk_a, data=_move_row(mover))
    services.cert_request_submit(cert_request=letter, by=cast.clerk_a)
    issue_signed(cast, letter)
    services.cert_request_accept_valid_rows(cert_request=letter, by=cast.officer_1)
    Person.objects.filter(pk=mover.person_id).update(
        national_id="011190005555", national_id_index=blind_index("011190005555")
    )
    services.cert_request_process(cert_request=letter, by=cast.officer_1)
    services.cert_request_run_processing(cert_request_id=letter.pk)

    row = RequestRow.objects.get(cert_request=letter)
    assert row.outcome == Outcome.FAILED
    assert "không khớp" in row.outcome_note
    mover.refresh_from_db()
    assert mover.status == CertStatus.VALID and mover.agency == cast.agency_b
    assert Device.objects.get(pk=mover.device_id).agency == cast.agency_b


def test_the_old_agency_sees_that_a_move_is_pending_for_its_certificate(cast, mover, client):
    letter = _letter(cast)
    services.row_save(cert_request=letter, by=cast.clerk_a, data=_move_row(mover))
    sign_in(client, cast.clerk_b)
    page = client.get(reverse("certificates:detail", args=[mover.serial])).content.decode()
    assert "Đang có đề nghị chuyển cơ quan công tác" in page
    assert cast.agency_a.name in page


def test_the_mau_04_row_form_offers_the_move_and_its_columns(cast, client):
    letter = _letter(cast)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:edit", args=[letter.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="agency"' in page and "Chuyển cơ quan công tác" in page
    assert 'name="national_id"' in page and 'name="position_title"' in page


def test_a_move_through_the_row_form_is_saved_with_the_other_agencys_certificate(
    cast, mover, client
):
    letter = _letter(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[letter.pk]),
        {
            "certificate": mover.serial,
            "change_info": "on",
            "change_field": ChangeField.AGENCY,
            "new_value": "Phòng Ngân sách",
            "national_id": mover.person.national_id,
            "position_title": "Chuyên viên",
        },
        **HTMX,
    )
    assert response.status_code == 200
    row = letter.rows.get()
    assert row.certificate == mover and row.change_field == ChangeField.AGENCY


def test_the_letter_states_the_move_in_full(cast, mover):
    from django.template.loader import render_to_string
    from django.utils import timezone

    from requests_app.documents import TEMPLATES, letter_document

    letter = _letter(cast)
    services.row_save(cert_request=letter, by=cast.clerk_a, data=_move_row(mover))
    html = render_to_string(
        TEMPLATES[FormKind.RENEW_CHANGE],
        letter_document(letter, number="9/STC-VP", issued_on=timezone.localdate()),
    )
    assert "Chuyển cơ quan công tác" in html
    assert "Phòng Ngân sách, Phó Trưởng phòng (số định danh 011190001234)" in html
