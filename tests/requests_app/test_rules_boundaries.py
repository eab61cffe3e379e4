"""The row rules of docs/domain.md §5 at their boundaries: one value on each side of each rule
(days left to renew or change, renew once, moves between agencies §5.3.1, the values of a
change, revocation reasons, device recovery), asserting the whole set of errors a row gets.

Rows are checked unsaved, through `rules.row_errors` (with and without the facts a letter
reads once), so each test is a few queries.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates.choices import CertStatus, RevocationReason, SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import Device
from requests_app import rules, services
from requests_app.choices import ChangeField, FormKind
from requests_app.models import RequestRow
from tests import factories as f
from tests.requests_app.letters import CONTACT

pytestmark = pytest.mark.django_db

REQUIRED = "Trường này là bắt buộc."
NOT_OURS = "Chứng thư không thuộc cơ quan đề nghị."
ENDED = "Chứng thư đã hết hạn hoặc đã bị thu hồi."
MISMATCH = (
    "Số hiệu chứng thư và số định danh cá nhân không khớp với một chứng thư cá nhân "
    "của người chuyển đến."
)
ALREADY_OURS = (
    "Chứng thư đã thuộc cơ quan đề nghị: việc chuyển cơ quan công tác do cơ quan "
    "tiếp nhận đề nghị; đổi đơn vị trong cơ quan thì chọn “Đơn vị công tác”."
)
NO_ID = "Ghi số định danh cá nhân của người chuyển đến để đối chiếu với chứng thư."
RENEWED_ONCE = "Chứng thư chỉ được gia hạn 1 lần và đã được gia hạn."
MOVER_ID = "011190001234"


def renew_too_late(left):
    return f"Chỉ gia hạn khi chứng thư còn ít nhất 30 ngày (còn {left} ngày); hãy đề nghị cấp mới."


def change_too_late(left):
    return f"Chỉ thay đổi thông tin khi chứng thư còn ít nhất 30 ngày (còn {left} ngày)."


def letter(cast, form):
    return services.cert_request_create(agency=cast.agency_a, form=form, by=cast.clerk_a, **CONTACT)


def certificate(cast, days_left=200, agency=None, **fields):
    """A certificate of agency A (or `agency`) with exactly `days_left` days left."""
    agency = agency or cast.agency_a
    fields.setdefault("person", f.PersonFactory(organization=agency))
    return f.CertificateFactory(
        agency=agency, not_after=timezone.now() + timedelta(days=days_left, hours=1), **fields
    )


def mover(cast):
    return f.PersonFactory(organization=cast.agency_b, full_name="Hà Thị Lan", national_id=MOVER_ID)


def mover_certificate(cast, days_left=200, person=None, **fields):
    """Hà Thị Lan's certificate, still of agency B: she moves to agency A."""
    person = person or mover(cast)
    return certificate(cast, days_left, agency=cast.agency_b, person=person, **fields)


def revoked():
    return {"status": CertStatus.REVOKED, "revoked_at": timezone.now()}


def mau04(cast, cert, **values):
    return RequestRow(cert_request=letter(cast, FormKind.RENEW_CHANGE), certificate=cert, **values)


def move(cast, cert, **values):
    values = {
        "change_info": True,
        "change_field": ChangeField.AGENCY,
        "new_value": "Phòng Ngân sách",
        "national_id": MOVER_ID,
        "position_title": "Phó Trưởng phòng",
        **values,
    }
    return mau04(cast, cert, **values)


def errors_of(row, facts=None):
    return rules.row_errors(row, facts)


# Renewal: at least 30 days left, once (docs/domain.md §5.2).


def test_renewal_is_refused_with_29_days_left_and_accepted_with_30(cast):
    assert errors_of(mau04(cast, certificate(cast, 29), renew=True)) == {
        "renew": [renew_too_late(29)]
    }
    assert errors_of(mau04(cast, certificate(cast, 30), renew=True)) == {}


def test_a_certificate_renewed_once_is_not_renewed_again_and_one_never_renewed_is(cast):
    assert errors_of(mau04(cast, certificate(cast, renewal_count=1), renew=True)) == {
        "renew": [RENEWED_ONCE]
    }
    assert errors_of(mau04(cast, certificate(cast, renewal_count=0), renew=True)) == {}


def test_a_renewal_too_late_of_a_certificate_renewed_once_gets_both_reasons(cast):
    row = mau04(cast, certificate(cast, 29, renewal_count=1), renew=True)
    assert errors_of(row) == {"renew": [RENEWED_ONCE, renew_too_late(29)]}


def test_a_renewal_alone_is_not_held_to_the_change_rule(cast):
    """With 29 days left only the renewal is refused: no change was asked."""
    assert errors_of(mau04(cast, certificate(cast, 29), renew=True)) == {
        "renew": [renew_too_late(29)]
    }


# Change of information: at least 30 days left (docs/domain.md §5.3).


def test_a_change_is_refused_with_29_days_left_and_accepted_with_30(cast):
    values = {"change_info": True, "change_field": ChangeField.UNIT, "new_value": "Phòng Ngân sách"}
    assert errors_of(mau04(cast, certificate(cast, 29), **values)) == {
        "change_info": [change_too_late(29)]
    }
    assert errors_of(mau04(cast, certificate(cast, 30), **values)) == {}


def test_a_row_must_ask_for_a_renewal_or_a_change(cast):
    assert errors_of(mau04(cast, certificate(cast))) == {
        "__all__": ["Chọn ít nhất một dịch vụ: gia hạn hoặc thay đổi thông tin."]
    }
    assert errors_of(mau04(cast, certificate(cast), renew=True)) == {}


def test_a_change_and_a_renewal_together_are_accepted(cast):
    row = mau04(
        cast,
        certificate(cast),
        renew=True,
        change_info=True,
        change_field=ChangeField.EMAIL,
        new_value="mai.lt@laichau.gov.vn",
    )
    assert errors_of(row) == {}


@pytest.mark.parametrize(
    "values",
    [
        {"change_field": "", "new_value": "Phòng Ngân sách"},
        {"change_field": ChangeField.UNIT, "new_value": ""},
        {"change_field": "", "new_value": ""},
    ],
)
def test_a_change_needs_both_what_changes_and_the_new_value(cast, values):
    row = mau04(cast, certificate(cast), change_info=True, **values)
    assert errors_of(row) == {"new_value": ["Ghi rõ thông tin cần thay đổi và thông tin mới."]}


def test_the_new_value_is_not_checked_when_no_change_is_asked(cast):
    row = mau04(
        cast,
        certificate(cast),
        renew=True,
        change_field=ChangeField.EMAIL,
        new_value="mai@gmail.com",
    )
    assert errors_of(row) == {}


def test_a_new_email_must_be_an_official_address(cast):
    values = {"change_info": True, "change_field": ChangeField.EMAIL}
    assert errors_of(mau04(cast, certificate(cast), new_value="mai@gmail.com", **values)) == {
        "new_value": [
            "Địa chỉ mai@gmail.com không phải thư điện tử công vụ: chỉ chấp nhận địa chỉ thuộc "
            "tên miền .gov.vn (kể cả tên miền con) hoặc tên miền riêng đã đăng ký của cơ quan."
        ]
    }
    assert errors_of(mau04(cast, certificate(cast), new_value="mai", **values)) == {
        "new_value": ["Nhập một địa chỉ email hợp lệ."]
    }
    assert (
        errors_of(mau04(cast, certificate(cast), new_value="mai.lt@laichau.gov.vn", **values)) == {}
    )


def test_a_new_unit_must_be_one_of_the_agency(cast):
    values = {"change_info": True, "change_field": ChangeField.UNIT}
    assert errors_of(mau04(cast, certificate(cast), new_value="Phòng Không Có", **values)) == {
        "new_value": ["Không có đơn vị “Phòng Không Có” trong cơ quan."]
    }
    assert errors_of(mau04(cast, certificate(cast), new_value="Phòng Ngân sách", **values)) == {}


def test_a_unit_change_with_facts_asks_the_database_nothing(cast, django_assert_num_queries):
    """The facts a letter reads once (`rules.row_facts`) answer the unit and agency checks."""
    cert = certificate(cast, 29)
    facts = rules.row_facts(cast.agency_a, [cert.pk])
    values = {"change_info": True, "change_field": ChangeField.UNIT}
    known = mau04(cast, Certificate.objects.get(pk=cert.pk), new_value="Phòng Ngân sách", **values)
    unknown = mau04(cast, Certificate.objects.get(pk=cert.pk), new_value="Phòng Không Có", **values)
    for row in (known, unknown):
        row.cert_request.agency  # noqa: B018 - loaded with the letter
    with django_assert_num_queries(0):
        assert errors_of(known, facts) == {"change_info": [change_too_late(29)]}
        assert errors_of(unknown, facts) == {
            "new_value": ["Không có đơn vị “Phòng Không Có” trong cơ quan."],
            "change_info": [change_too_late(29)],
        }


# The certificate must be the agency's and still valid.


def test_a_certificate_of_another_agency_is_refused_and_nothing_else_said(cast):
    row = mau04(cast, certificate(cast, 10, agency=cast.agency_b), renew=True)
    assert errors_of(row) == {"certificate": [NOT_OURS]}


def test_a_certificate_is_usable_on_its_last_day_and_not_the_day_after(cast):
    values = {"change_info": True, "change_field": ChangeField.UNIT, "new_value": "Phòng Ngân sách"}
    assert errors_of(mau04(cast, certificate(cast, 0), **values)) == {
        "change_info": [change_too_late(0)]
    }
    assert errors_of(mau04(cast, certificate(cast, -1), renew=True, **values)) == {
        "certificate": [ENDED]
    }


def test_a_revoked_certificate_is_refused(cast):
    row = mau04(cast, certificate(cast, **revoked()), renew=True)
    assert errors_of(row) == {"certificate": [ENDED]}


def test_a_renewal_with_facts_asks_the_database_nothing(cast, django_assert_num_queries):
    cert = certificate(cast, 29)
    facts = rules.row_facts(cast.agency_a, [cert.pk])
    row = mau04(cast, Certificate.objects.get(pk=cert.pk), renew=True)
    row.cert_request.agency  # noqa: B018 - loaded with the letter
    with django_assert_num_queries(0):
        assert errors_of(row, facts) == {"renew": [renew_too_late(29)]}


# A move between agencies (docs/domain.md §5.3.1).


def test_a_move_of_a_valid_certificate_of_another_agency_is_accepted(cast):
    assert errors_of(move(cast, mover_certificate(cast))) == {}


def test_a_move_is_held_to_the_30_days_of_a_change(cast):
    lan = mover(cast)
    assert errors_of(move(cast, mover_certificate(cast, 29, lan))) == {
        "change_info": [change_too_late(29)]
    }
    assert errors_of(move(cast, mover_certificate(cast, 30, lan))) == {}


def test_a_move_with_a_renewal_is_held_to_both_rules(cast):
    row = move(cast, mover_certificate(cast, 29, renewal_count=1), renew=True)
    assert errors_of(row) == {
        "renew": [RENEWED_ONCE, renew_too_late(29)],
        "change_info": [change_too_late(29)],
    }


def test_a_move_needs_the_persons_id_number(cast):
    row = move(cast, mover_certificate(cast, 10), national_id="")
    assert errors_of(row) == {"national_id": [NO_ID]}


def test_a_move_without_a_certificate_needs_one(cast):
    assert errors_of(move(cast, None)) == {"certificate": [REQUIRED]}
    assert errors_of(move(cast, None, national_id="")) == {
        "certificate": [REQUIRED],
        "national_id": [NO_ID],
    }


def test_a_move_of_the_agencys_own_certificate_is_refused_whatever_else(cast):
    """Filed by the wrong side: no word on the holder or the days left."""
    own = certificate(cast, 10, person=f.PersonFactory(organization=cast.agency_a))
    row = move(cast, own, national_id="011190009999")
    assert errors_of(row) == {"change_field": [ALREADY_OURS]}
    row = move(cast, own, national_id=own.person.national_id)
    assert errors_of(row) == {"change_field": [ALREADY_OURS]}


def test_a_move_whose_id_number_does_not_match_says_nothing_of_the_certificates_state(cast):
    row = move(cast, mover_certificate(cast, 10, **revoked()), renew=True)
    row.national_id = "011190009999"
    assert errors_of(row) == {"certificate": [MISMATCH]}


def test_only_a_personal_certificate_moves_even_if_its_person_matches(cast):
    cert = mover_certificate(cast, subject_kind=SubjectKind.ORGANIZATION)
    assert errors_of(move(cast, cert)) == {"certificate": [MISMATCH]}


def test_a_move_of_a_certificate_without_a_person_is_a_mismatch(cast):
    cert = certificate(
        cast,
        agency=cast.agency_b,
        person=None,
        subject_kind=SubjectKind.ORGANIZATION,
        common_name="Sở Y tế tỉnh Lai Châu",
        email="syt@laichau.gov.vn",
    )
    assert errors_of(move(cast, cert)) == {"certificate": [MISMATCH]}


def test_a_move_of_a_revoked_or_expired_certificate_is_refused(cast):
    ended = mover_certificate(cast, 200, **revoked())
    assert errors_of(move(cast, ended, renew=True)) == {"certificate": [ENDED]}


def test_a_move_on_the_certificates_last_day_and_the_day_after(cast):
    lan = mover(cast)
    assert errors_of(move(cast, mover_certificate(cast, 0, lan))) == {
        "change_info": [change_too_late(0)]
    }
    row = move(cast, mover_certificate(cast, -1, lan), renew=True)
    assert errors_of(row) == {"certificate": [ENDED]}


def test_a_move_needs_a_unit_of_the_receiving_agency(cast):
    row = move(cast, mover_certificate(cast), new_value="Phòng Không Có")
    assert errors_of(row) == {"new_value": ["Không có đơn vị “Phòng Không Có” trong cơ quan."]}


def test_a_move_with_facts_asks_the_database_nothing(cast, django_assert_num_queries):
    cert = mover_certificate(cast, 29)
    facts = rules.row_facts(cast.agency_a, [cert.pk])
    row = move(cast, Certificate.objects.select_related("person").get(pk=cert.pk))
    row.cert_request.agency  # noqa: B018 - loaded with the letter
    with django_assert_num_queries(0):
        assert errors_of(row, facts) == {"change_info": [change_too_late(29)]}


def test_with_facts_a_move_of_the_agencys_own_certificate_is_refused(cast):
    own = certificate(cast, 10)
    facts = rules.row_facts(cast.agency_a, [own.pk])
    row = move(cast, own, national_id=own.person.national_id)
    assert errors_of(row, facts) == {"change_field": [ALREADY_OURS]}


# Revocation: the reason must fit the kind of subscriber (docs/domain.md §5.4).


def mau05(cast, cert, reason):
    return RequestRow(
        cert_request=letter(cast, FormKind.REVOKE), certificate=cert, revoke_reason=reason
    )


def test_a_revocation_reason_must_fit_the_kind_of_subscriber(cast):
    person_cert = certificate(cast)
    organisation = certificate(cast, subject_kind=SubjectKind.ORGANIZATION)
    wrong = "Lý do thu hồi này không áp dụng cho loại thuê bao của chứng thư."
    assert errors_of(mau05(cast, person_cert, RevocationReason.RESIGNED)) == {}
    assert errors_of(mau05(cast, organisation, RevocationReason.RESIGNED)) == {
        "revoke_reason": [wrong]
    }
    assert errors_of(mau05(cast, organisation, RevocationReason.DISSOLVED)) == {}
    assert errors_of(mau05(cast, person_cert, RevocationReason.DISSOLVED)) == {
        "revoke_reason": [wrong]
    }


def test_a_revocation_without_a_reason_says_only_that_one_is_required(cast):
    assert errors_of(mau05(cast, certificate(cast), "")) == {"revoke_reason": [REQUIRED]}


def test_a_revocation_of_another_agencys_certificate_is_refused_whatever_the_reason(cast):
    other = certificate(cast, agency=cast.agency_b)
    assert errors_of(mau05(cast, other, RevocationReason.DISSOLVED)) == {"certificate": [NOT_OURS]}


def test_a_revocation_with_facts_asks_the_database_nothing(cast, django_assert_num_queries):
    cert = certificate(cast, subject_kind=SubjectKind.ORGANIZATION)
    facts = rules.row_facts(cast.agency_a, [cert.pk])
    row = mau05(cast, Certificate.objects.get(pk=cert.pk), RevocationReason.RESIGNED)
    row.cert_request.agency  # noqa: B018 - loaded with the letter
    with django_assert_num_queries(0):
        assert errors_of(row, facts) == {
            "revoke_reason": ["Lý do thu hồi này không áp dụng cho loại thuê bao của chứng thư."]
        }


# Recovery of a locked device (docs/domain.md §3.7).


def mau06(cast, device):
    return RequestRow(cert_request=letter(cast, FormKind.RECOVER_DEVICE), device=device)


def test_only_a_locked_device_of_the_agency_is_recovered(cast):
    assert (
        errors_of(mau06(cast, f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED)))
        == {}
    )
    unlocked = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.HANDED_TO_SUBSCRIBER)
    assert errors_of(mau06(cast, unlocked)) == {
        "device": ["Chỉ khôi phục được thiết bị đang bị khóa."]
    }


def test_a_device_of_another_agency_is_refused_whatever_its_state(cast):
    for status in (DeviceStatus.LOCKED, DeviceStatus.HANDED_TO_SUBSCRIBER):
        device = f.DeviceFactory(agency=cast.agency_b, status=status)
        assert errors_of(mau06(cast, device)) == {
            "device": ["Thiết bị không thuộc cơ quan đề nghị."]
        }


def test_a_recovery_without_a_device_says_only_that_one_is_required(cast):
    assert errors_of(mau06(cast, None)) == {"device": [REQUIRED]}


def test_a_recovery_with_facts_asks_the_database_nothing(cast, django_assert_num_queries):
    device = f.DeviceFactory(agency=cast.agency_b, status=DeviceStatus.LOCKED)
    facts = rules.row_facts(cast.agency_a, device_ids=[device.pk])
    row = mau06(cast, Device.objects.get(pk=device.pk))
    row.cert_request.agency  # noqa: B018 - loaded with the letter
    with django_assert_num_queries(0):
        assert errors_of(row, facts) == {"device": ["Thiết bị không thuộc cơ quan đề nghị."]}


# An ID number read from a numeric Excel cell (docs/privacy.md §masking).


def test_an_unconfirmed_id_number_is_shown_masked_with_what_to_do():
    assert rules.unconfirmed_id_message("012190001234") == (
        "Số định danh ********1234 được đọc từ một ô kiểu số của Excel (đã thêm số 0 đầu): "
        "hãy đối chiếu với căn cước, nhập lại số định danh rồi lưu dòng để xác nhận."
    )


def test_a_certificate_of_a_kind_no_reason_lists_is_revoked_for_no_reason(cast):
    """REASONS_BY_SUBJECT_KIND lists the reasons per kind of subscriber: a kind it does not
    know (a registry row written outside the CA's choices) gets none, and no crash."""
    cert = certificate(cast, subject_kind="unknown")
    assert errors_of(mau05(cast, cert, RevocationReason.KEY_COMPROMISE)) == {
        "revoke_reason": ["Lý do thu hồi này không áp dụng cho loại thuê bao của chứng thư."]
    }
