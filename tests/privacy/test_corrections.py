"""A data subject's correction request (docs/privacy.md, "The data subject's rights"): asked
from the person's own page, checked by the field's own rules (bad input: a Vietnamese error,
nothing stored), one open per person and field; the agency's clerks are told and see it in
their queue (another agency's clerk sees none and cannot act); the clerk corrects the record,
or, for a field on a valid certificate, corrects it and drafts a Mẫu 04; or rejects it with a
reason; each move audited with a transition row, the person told the outcome."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from agencies.models import Person
from portal.errors import DomainError
from portal.models import AuditEvent, Notification
from privacy.choices import CorrectableField as F
from privacy.choices import CorrectionStatus as S
from privacy.corrections import (
    correction_request_correct,
    correction_request_reject,
    correction_request_submit,
)
from privacy.models import CorrectionRequest, CorrectionTransition
from requests_app import services as letters
from requests_app.choices import ChangeField, FormKind, Status
from tests import factories as f
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def submit(cast, field=F.POSITION, value="Phó Trưởng phòng", reason="Theo quyết định số 12/QĐ"):
    return correction_request_submit(
        person=cast.subscriber, by=cast.subscriber_user, field=field, value=value, reason=reason
    )


def post_request(client, cast, **data):
    sign_in(client, cast.subscriber_user)
    body = {"field": F.POSITION, "new_value": "Phó Trưởng phòng", "reason": "Quyết định 12"}
    return client.post(reverse("subject:correction_submit"), {**body, **data})


# --- asking ----------------------------------------------------------------------------------


def test_a_person_asks_and_the_agencys_clerks_are_told(cast, client):
    response = post_request(client, cast)
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    assert (correction.person, correction.field, correction.status) == (
        cast.subscriber, F.POSITION, S.SUBMITTED,
    )  # fmt: skip
    told = Notification.objects.filter(kind="privacy_correction")
    assert set(told.values_list("user", flat=True)) == {cast.clerk_a.pk}
    assert "Phó Trưởng phòng" not in told.get().message  # the field named, not the value
    event = AuditEvent.objects.get(action="privacy_correction.submit")
    assert "Phó Trưởng phòng" not in str(event.after)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (F.NATIONAL_ID, "０１２３４５６７８９０１", "12 chữ số"),  # fullwidth digits
        (F.NATIONAL_ID, "12345", "12 chữ số"),
        (F.DATE_OF_BIRTH, "31/02/1990", "ngày/tháng/năm"),
        (F.DATE_OF_BIRTH, "05/03/2020", "đủ 16 tuổi"),
        (F.MOBILE, "12345", "10 chữ số"),
        (F.OFFICIAL_EMAIL, "ten@gmail.com", "không phải thư điện tử công vụ"),
        (F.UNIT, "Phòng Không Có", "Không có đơn vị"),
        (F.POSITION, "Chuyên viên", "trùng với thông tin đang có"),
        (F.FULL_NAME, "", "Hãy nhập thông tin đúng"),
        ("favourite_colour", "xanh", "Hãy chọn thông tin"),
    ],
)
def test_bad_input_is_a_vietnamese_error_and_nothing_is_stored(cast, client, field, value, message):
    response = post_request(client, cast, field=field, new_value=value)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CorrectionRequest.objects.exists()
    assert not Notification.objects.filter(kind="privacy_correction").exists()


def test_a_reason_is_required(cast):
    with pytest.raises(DomainError, match="lý do"):
        submit(cast, reason="  ")
    assert not CorrectionRequest.objects.exists()


def test_an_id_number_another_person_holds_is_refused(cast):
    other = f.PersonFactory(organization=cast.agency_b)
    with pytest.raises(DomainError, match="đã có trong hệ thống"):
        submit(cast, field=F.NATIONAL_ID, value=other.national_id)


def test_the_value_is_kept_nfc_and_as_the_record_would(cast):
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Hoa"
    correction = submit(cast, field=F.FULL_NAME, value=decomposed)
    assert correction.new_value == "Nguyễn Thị Hoa"
    correction = submit(cast, field=F.DATE_OF_BIRTH, value="05/03/1990")
    assert correction.new_value == "1990-03-05" and correction.new_value_display == "05/03/1990"
    correction = submit(cast, field=F.OFFICIAL_EMAIL, value="Hoa.Nguyen@LaiChau.gov.vn")
    assert correction.new_value == "hoa.nguyen@laichau.gov.vn"


def test_one_open_request_per_person_and_field(cast):
    submit(cast)
    with pytest.raises(DomainError, match="đang chờ xử lý"):
        submit(cast, value="Trưởng phòng")
    submit(cast, field=F.MOBILE, value="0987654321")  # another field: fine
    assert CorrectionRequest.objects.count() == 2


def test_a_second_open_request_from_the_page_is_told_and_not_stored(cast, client):
    assert post_request(client, cast).status_code == 302
    response = post_request(client, cast, new_value="Trưởng phòng")
    assert response.status_code == 400
    assert "đang chờ xử lý" in response.content.decode()
    assert CorrectionRequest.objects.count() == 1


def test_the_database_holds_one_open_request_per_person_and_field(cast):
    submit(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectionRequest.objects.create(
            person=cast.subscriber, field=F.POSITION, new_value="Khác", reason="x"
        )


def test_nobody_asks_for_someone_else(cast):
    with pytest.raises(DomainError, match="của chính mình"):
        correction_request_submit(
            person=cast.subscriber, by=cast.clerk_a, field=F.POSITION, value="X", reason="y"
        )


# --- the clerk's queue -----------------------------------------------------------------------


def test_the_clerk_sees_their_agencys_requests_and_another_agencys_clerk_none(cast, client):
    correction = submit(cast)
    sign_in(client, cast.clerk_a)
    assert "Phòng Ngân sách" in client.get(reverse("corrections:list")).content.decode()
    assert client.get(reverse("corrections:detail", args=[correction.pk])).status_code == 200
    other = type(client)()
    sign_in(other, cast.clerk_b)
    page = other.get(reverse("corrections:list")).content.decode()
    assert cast.subscriber.full_name not in page
    assert other.get(reverse("corrections:detail", args=[correction.pk])).status_code == 404
    for name in ("correct", "reject", "draft_letter"):
        response = other.post(reverse(f"corrections:{name}", args=[correction.pk]), {"reason": "x"})
        assert response.status_code == 404
    correction.refresh_from_db()
    assert correction.status == S.SUBMITTED


def test_a_subscriber_or_an_officer_gets_403_on_the_queue(cast, client):
    for user in (cast.subscriber_user, cast.officer_1, cast.ca_operator):
        sign_in(client, user)
        assert client.get(reverse("corrections:list")).status_code == 403


def test_another_agencys_clerk_cannot_move_it_through_the_service(cast):
    correction = submit(cast)
    with pytest.raises(DomainError, match="không phải cán bộ đầu mối"):
        correction_request_reject(correction=correction, by=cast.clerk_b, reason="Không")
    with pytest.raises(DomainError, match="không phải cán bộ đầu mối"):
        correction_request_correct(correction=correction, by=cast.head_a)


# --- handling --------------------------------------------------------------------------------


def test_the_clerk_corrects_the_record_audited_with_a_transition_and_the_person_told(cast, client):
    correction = submit(cast, field=F.MOBILE, value="0987654321")
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("corrections:correct", args=[correction.pk]), {"note": ""})
    assert response.status_code == 302
    person = Person.objects.get(pk=cast.subscriber.pk)
    assert person.mobile == "0987654321"
    correction.refresh_from_db()
    assert correction.status == S.CORRECTED and correction.decided_by == cast.clerk_a
    transition = CorrectionTransition.objects.get(correction=correction)
    assert (transition.from_status, transition.to_status) == (S.SUBMITTED, S.CORRECTED)
    assert AuditEvent.objects.filter(action="privacy_correction.correct").exists()
    change = AuditEvent.objects.get(action="person.correct")
    assert "0987654321" not in str(change.after)  # a mobile number only as its digest
    told = Notification.objects.get(user=cast.subscriber_user, kind="privacy_correction")
    assert "đã được đính chính" in told.message


def test_a_date_and_a_unit_are_corrected_as_the_record_keeps_them(cast):
    correction = submit(cast, field=F.DATE_OF_BIRTH, value="05/03/1990")
    correction_request_correct(correction=correction, by=cast.clerk_a)
    correction = submit(cast, field=F.UNIT, value=cast.agency_a.name)
    correction_request_correct(correction=correction, by=cast.clerk_a)
    person = Person.objects.get(pk=cast.subscriber.pk)
    assert person.date_of_birth == date(1990, 3, 5)
    assert person.organization == cast.agency_a


def test_a_rejection_needs_a_reason_and_tells_it_to_the_person(cast, client):
    correction = submit(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("corrections:reject", args=[correction.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "Hãy nêu lý do từ chối" in response.content.decode()
    correction.refresh_from_db()
    assert correction.status == S.SUBMITTED
    client.post(reverse("corrections:reject", args=[correction.pk]), {"reason": "Chưa có QĐ"})
    correction.refresh_from_db()
    assert correction.status == S.REJECTED and correction.decision_note == "Chưa có QĐ"
    assert Person.objects.get(pk=cast.subscriber.pk).position == cast.subscriber.position
    told = Notification.objects.get(user=cast.subscriber_user, kind="privacy_correction")
    assert "bị từ chối: Chưa có QĐ" in told.message


def test_a_handled_request_is_told_as_handled_not_moved_again(cast):
    correction = submit(cast)
    correction_request_reject(correction=correction, by=cast.clerk_a, reason="Không")
    with pytest.raises(DomainError, match="đã được xử lý"):
        correction_request_correct(correction=correction, by=cast.clerk_a)


def test_a_field_on_a_valid_certificate_is_not_corrected_alone(cast):
    f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    correction = submit(cast, field=F.OFFICIAL_EMAIL, value="hoa.moi@laichau.gov.vn")
    with pytest.raises(DomainError, match="Mẫu 04"):
        correction_request_correct(correction=correction, by=cast.clerk_a)
    correction.refresh_from_db()
    assert correction.status == S.SUBMITTED


def test_a_field_on_no_certificate_is_not_sent_to_a_letter(cast, client):
    correction = submit(cast, field=F.OFFICIAL_EMAIL, value="hoa.moi@laichau.gov.vn")
    sign_in(client, cast.clerk_a)
    response = client.post(reverse("corrections:draft_letter", args=[correction.pk]))
    assert response.status_code == 302
    assert "đính chính hồ sơ trực tiếp" in client.get(response["Location"]).content.decode()
    correction.refresh_from_db()
    assert correction.status == S.SUBMITTED


def test_a_field_on_a_valid_certificate_drafts_a_mau_04_linked_to_the_request(cast, client):
    certificate = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    correction = submit(cast, field=F.OFFICIAL_EMAIL, value="hoa.moi@laichau.gov.vn")
    sign_in(client, cast.clerk_a)
    page = client.get(reverse("corrections:detail", args=[correction.pk])).content.decode()
    assert "Đính chính và lập Mẫu 04" in page
    response = client.post(reverse("corrections:draft_letter", args=[correction.pk]))
    correction.refresh_from_db()
    assert correction.status == S.LETTER_DRAFTED
    letter = correction.change_letter
    assert response["Location"] == reverse("requests_app:detail", args=[letter.pk])
    assert (letter.form, letter.status, letter.agency) == (
        FormKind.RENEW_CHANGE, Status.DRAFT, cast.agency_a,
    )  # fmt: skip
    row = letter.rows.get()
    assert row.certificate == certificate and row.change_info
    assert (row.change_field, row.new_value) == (ChangeField.EMAIL, "hoa.moi@laichau.gov.vn")
    person = Person.objects.get(pk=cast.subscriber.pk)
    assert person.official_email == "hoa.moi@laichau.gov.vn"
    event = AuditEvent.objects.get(action="privacy_correction.draft_letter")
    assert event.after["letter"] == letter.pk


def test_a_letter_that_cannot_be_drafted_leaves_everything_as_it_was(cast):
    certificate = f.CertificateFactory(person=cast.subscriber, agency=cast.agency_a)
    busy = letters.cert_request_create(
        agency=cast.agency_a, form=FormKind.REVOKE, by=cast.clerk_a, **f.LETTER_CONTACT
    )
    letters.row_save(
        cert_request=busy, by=cast.clerk_a,
        data={"certificate": certificate, "revoke_reason": "retired"},
    )  # fmt: skip
    correction = submit(cast, field=F.FULL_NAME, value="Phạm Thị Hường Mới")
    with pytest.raises(DomainError):
        letters.correction_request_draft_letter(correction=correction, by=cast.clerk_a)
    correction.refresh_from_db()
    assert correction.status == S.SUBMITTED
    assert Person.objects.get(pk=cast.subscriber.pk).full_name == cast.subscriber.full_name
    assert not AuditEvent.objects.filter(action="person.correct").exists()
    assert busy.agency.cert_requests.filter(form=FormKind.RENEW_CHANGE).count() == 0


@pytest.mark.parametrize("user", ["clerk_a", "head_a"])
def test_an_id_number_correction_shows_both_numbers_masked_to_the_agency(cast, client, user):
    new_id = "001190099999"
    correction = submit(cast, field=F.NATIONAL_ID, value=new_id, reason="CCCD cấp lại")
    sign_in(client, getattr(cast, user))
    page = client.get(reverse("corrections:detail", args=[correction.pk])).content.decode()
    assert new_id not in page and cast.subscriber.national_id not in page
    assert "********9999" in page
    assert "********" + cast.subscriber.national_id[-4:] in page


def test_the_page_names_a_step_no_person_took_as_the_system(cast, client):
    correction = submit(cast)
    CorrectionTransition.objects.create(
        correction=correction, action="remind", by=None, from_status=S.SUBMITTED,
        to_status=S.SUBMITTED, note="Nhắc xử lý",
    )  # fmt: skip
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("corrections:detail", args=[correction.pk]))
    assert response.status_code == 200
    assert "hệ thống — Nhắc xử lý" in response.content.decode()
