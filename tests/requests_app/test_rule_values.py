"""The drafting rules of requests_app/rules.py called one at a time, on unsaved rows and
certificates: each boundary (docs/domain.md §5) one value either side, each message exactly."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agencies.models import Organization, Person
from certificates.choices import SubjectKind
from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import Device
from privacy.masking import mask_id
from requests_app import rules
from requests_app.choices import FormKind
from requests_app.models import CertRequest, RequestRow
from tests import factories as f

HOME = Organization(pk=7001, name="Sở Tài chính", path="/7001/")
BELOW = Organization(pk=7002, name="Phòng Ngân sách", path="/7001/7002/")
ELSEWHERE = Organization(pk=7003, name="Sở Y tế", path="/7003/")

RENEWABLE = (
    "Người này đang có chứng thư {serial} còn hiệu lực (còn {left} ngày): "
    "không cấp mới; hãy đề nghị gia hạn hoặc thay đổi thông tin (Mẫu 04)."
)
HELD_ELSEWHERE = (
    "Người này đang có chứng thư còn hiệu lực do cơ quan khác quản lý: "
    "không cấp mới; nếu chuyển công tác đến, hãy đề nghị thay đổi "
    "thông tin (Mẫu 04, chuyển cơ quan công tác)."
)


def cert(serial, days_left, agency=HOME, pk=None):
    return Certificate(
        pk=pk,
        serial=serial,
        agency=agency,
        not_after=timezone.now() + timedelta(days=days_left, hours=1),
    )


def row(form=FormKind.ISSUE_PERSON, agency=HOME, **fields):
    return RequestRow(cert_request=CertRequest(form=form, agency=agency), **fields)


def refused(held, agency=HOME):
    errors = {"national_id": []}
    rules._refuse_if_renewable(
        row(agency=agency), errors, held, field="national_id", whose="Người này"
    )
    return errors["national_id"]


# _refuse_if_renewable: PORTAL_RENEW_MIN_DAYS_LEFT days left is still renewable (§5.8).


def test_a_certificate_with_exactly_the_minimum_left_is_named_with_its_link():
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    [message] = refused([cert("5401AA", minimum)])
    assert str(message) == RENEWABLE.format(serial="5401AA", left=minimum)
    assert message.code == "renewable_here"
    assert message.params == {"whose": "Người này", "serial": "5401AA", "left": minimum}
    assert message.links == {"serial": reverse("certificates:detail", args=["5401AA"])}
    assert 'href="' + reverse("certificates:detail", args=["5401AA"]) in message.__html__()


def test_a_certificate_a_day_under_the_minimum_refuses_nothing():
    assert refused([cert("5401AB", settings.PORTAL_RENEW_MIN_DAYS_LEFT - 1)]) == []


def test_a_certificate_under_the_minimum_does_not_hide_a_renewable_one_after_it():
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    [message] = refused([cert("5401AC", minimum - 1), cert("5401AD", minimum + 5)])
    assert str(message) == RENEWABLE.format(serial="5401AD", left=minimum + 5)


def test_only_the_first_renewable_certificate_is_named():
    minimum = settings.PORTAL_RENEW_MIN_DAYS_LEFT
    [message] = refused([cert("5401AE", minimum), cert("5401AF", minimum + 9)])
    assert str(message) == RENEWABLE.format(serial="5401AE", left=minimum)


def test_a_certificate_of_a_unit_below_the_letter_agency_is_named():
    [message] = refused([cert("5401AG", 200, agency=BELOW)])
    assert message.code == "renewable_here"


def test_a_certificate_of_another_agency_is_not_named():
    assert refused([cert("5401AH", 200, agency=ELSEWHERE)]) == [HELD_ELSEWHERE]
    assert refused([cert("5401AI", 200)], agency=ELSEWHERE) == [HELD_ELSEWHERE]


# _value_checks and _formula_like: a row's own values (docs/domain.md §5, docs/security.md §4).

FORMULA = (
    "Họ và tên “{value}” có dạng công thức Excel (bắt đầu bằng =, +, - hoặc @): "
    "hãy ghi họ và tên của người đề nghị."
)
NO_FACTS = rules.RowFacts(frozenset(), frozenset(), frozenset())


def value_errors(a_row, facts=None):
    errors = defaultdict(list)
    rules._value_checks(a_row, errors, facts)
    return errors


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "  =cmd|' /c calc'!A0"])
def test_a_formula_is_never_a_name(name):
    assert rules._formula_like(name)
    assert value_errors(row(full_name=name))["full_name"] == [FORMULA.format(value=name)]


@pytest.mark.parametrize("name", ["", "Lò Thị Mai", "Mai =", "Lò Thị Mai-"])
def test_a_name_is_not_a_formula(name):
    assert not rules._formula_like(name)


def test_a_formula_name_is_quoted_to_sixty_characters():
    name = "=" + "A" * 59 + "BCD"
    [message] = value_errors(row(full_name=name))["full_name"]
    assert message == FORMULA.format(value=name[:60])


def test_a_formula_in_a_form_without_a_name_column_is_not_looked_at():
    a_row = row(form=FormKind.RECOVER_DEVICE, full_name="=1")
    assert "full_name" not in value_errors(a_row)


def test_an_empty_required_column_is_named_first():
    assert value_errors(row(full_name=""))["full_name"][0] == "Trường này là bắt buộc."


@pytest.mark.django_db
def test_a_certificate_that_does_not_exist_is_refused_unless_the_facts_loaded_it():
    a_row = row(form=FormKind.REVOKE, certificate_id=987654321)
    [message] = value_errors(a_row)["certificate"]
    assert "987654321" in message
    assert "certificate" not in value_errors(a_row, NO_FACTS)


# confirmation_errors: an ID number whose leading zero the import put back.


def test_an_unconfirmed_id_number_is_to_be_confirmed_masked():
    a_row = row(national_id="012190001234", national_id_unconfirmed=True)
    message = rules.unconfirmed_id_message("012190001234")
    assert mask_id("012190001234") in message
    assert rules.confirmation_errors(a_row) == {"national_id": [message]}
    a_row.national_id_unconfirmed = False
    assert rules.confirmation_errors(a_row) == {}


# _belongs: the facts' agency ids when a letter was prepared, else the agency tree (§5.3.1).


def test_without_facts_a_certificate_belongs_by_the_agency_tree():
    assert rules._belongs(cert("5402AA", 200, agency=BELOW), HOME, None)
    assert not rules._belongs(cert("5402AB", 200, agency=ELSEWHERE), HOME, None)
    assert rules._belongs(cert("5402AC", 200, agency=BELOW), HOME, NO_FACTS)


def test_with_the_agency_ids_of_facts_only_they_count():
    facts = rules.RowFacts(frozenset(), frozenset(), frozenset(), agency_ids=frozenset({7003}))
    assert rules._belongs(cert("5402AD", 200, agency=ELSEWHERE), HOME, facts)
    assert not rules._belongs(cert("5402AE", 200, agency=BELOW), HOME, facts)


# _unit_exists: the new unit of a Mẫu 04 change, case-insensitive.


def test_a_unit_in_the_facts_is_found_whatever_its_case():
    facts = rules.RowFacts(frozenset(), frozenset(), frozenset({"phòng ngân sách"}))
    assert rules._unit_exists(row(new_value="Phòng NGÂN sách"), facts)
    assert not rules._unit_exists(row(new_value="Phòng Kế hoạch"), facts)


@pytest.mark.django_db
def test_without_facts_a_unit_is_found_in_the_letter_agency_only():
    unit = f.UnitFactory(name="Phòng Ngân sách")
    elsewhere = f.AgencyFactory()
    assert rules._unit_exists(row(agency=unit.parent, new_value="phòng ngân sách"), None)
    assert not rules._unit_exists(row(agency=unit.parent, new_value="Phòng Kế hoạch"), None)
    assert not rules._unit_exists(row(agency=elsewhere, new_value="Phòng Ngân sách"), None)


# move_mismatch_message and _holder_matches: a move names the holder's ID number (§5.3.1).


def test_the_mismatch_message_says_nothing_about_the_certificate():
    assert rules.move_mismatch_message() == (
        "Số hiệu chứng thư và số định danh cá nhân không khớp với một chứng thư cá nhân "
        "của người chuyển đến."
    )


def test_the_holder_matches_by_the_id_number_only():
    held = cert("5402AF", 200)
    assert not rules._holder_matches(held, row(national_id="012190001234"))
    held.person = Person(pk=7101, national_id="012190001234")
    assert rules._holder_matches(held, row(national_id="012190001234"))
    assert not rules._holder_matches(held, row(national_id="012190001235"))


# _target_checks and row_errors: with facts, a prepared letter's rows are checked without a
# query (these tests have no database); each rule reads the facts it is given.

NID = "012190001234"
LOST = (
    "Thiết bị lưu khóa bí mật của chứng thư {serial} đã được báo mất (Mẫu 09): chứng "
    "thư chỉ còn được thu hồi với lý do “thiết bị lưu khóa bí mật bị mất”, bằng văn "
    "bản Mẫu 05 soạn cùng biên bản; không thể gia hạn, thay đổi thông tin hay thu hồi "
    "với lý do khác."
)


def facts(**fields):
    return rules.RowFacts(frozenset(), frozenset(), frozenset(), **fields)


def letter_row(form, **fields):
    return RequestRow(cert_request=CertRequest(pk=8001, form=form, agency=HOME), **fields)


def target_errors(a_row, the_facts):
    errors = defaultdict(list)
    rules._target_checks(a_row, errors, the_facts)
    return {field: messages for field, messages in errors.items() if messages}


def test_a_person_is_checked_against_the_letter_and_the_holders_in_the_facts():
    held = cert("5403AB", 200)
    known = facts(letter_positions={NID: 3}, holders={NID: [held]})
    errors = target_errors(letter_row(FormKind.ISSUE_PERSON, national_id=NID), known)
    assert errors == {
        "national_id": [
            "Cá nhân này đã có ở dòng 3 của văn bản.",
            RENEWABLE.format(serial="5403AB", left=200),
        ]
    }


def test_a_prepared_letter_without_holders_does_not_look_for_certificates():
    a_row = letter_row(FormKind.ISSUE_PERSON, national_id=NID)
    assert target_errors(a_row, facts(letter_positions={})) == {}


def test_an_id_number_on_another_form_is_not_checked_as_a_new_person():
    a_row = letter_row(FormKind.RECOVER_DEVICE, national_id=NID, tax_code="0101234567")
    assert target_errors(a_row, facts(letter_positions={NID: 3}, holders={})) == {}
    assert target_errors(a_row, None) == {}


def test_an_organisation_of_a_prepared_letter_is_not_looked_for():
    a_row = letter_row(FormKind.ISSUE_ORGANIZATION, tax_code="0101234567")
    assert target_errors(a_row, facts()) == {}


def renewal(the_facts, **fields):
    certificate = cert("5403AC", 200, agency=ELSEWHERE, pk=9001)
    a_row = letter_row(FormKind.RENEW_CHANGE, certificate=certificate, renew=True, **fields)
    return target_errors(a_row, the_facts)


def test_a_renewal_reads_whose_certificate_and_its_lost_device_from_the_facts():
    known = facts(agency_ids=frozenset({7003}), lost_certificate_ids=frozenset({9001}))
    assert renewal(known) == {"certificate": [LOST.format(serial="5403AC")]}
    assert renewal(facts(agency_ids=frozenset({7003}))) == {}


def test_a_certificate_not_of_the_agency_is_not_also_said_lost():
    known = facts(agency_ids=frozenset({7001}), lost_certificate_ids=frozenset({9001}))
    assert renewal(known) == {"certificate": ["Chứng thư không thuộc cơ quan đề nghị."]}


def test_a_revocation_reads_whose_certificate_from_the_facts():
    certificate = cert("5403AD", 200, agency=ELSEWHERE, pk=9002)
    a_row = letter_row(FormKind.REVOKE, certificate=certificate)
    assert target_errors(a_row, facts(agency_ids=frozenset({7003}))) == {}


def test_a_lost_device_is_looked_at_only_on_renewals_changes_and_revocations():
    certificate = cert("5403AE", 200, agency=ELSEWHERE, pk=9003)
    a_row = letter_row(FormKind.RECOVER_DEVICE, certificate=certificate)
    assert target_errors(a_row, facts(lost_certificate_ids=frozenset({9003}))) == {}


def test_a_recovery_reads_whose_device_from_the_facts():
    device = Device(pk=9101, serial="TK-9101", agency=ELSEWHERE, status=DeviceStatus.LOCKED)
    a_row = letter_row(FormKind.RECOVER_DEVICE, device=device)
    assert target_errors(a_row, facts(agency_ids=frozenset({7003}))) == {}


def test_row_errors_hands_the_facts_to_both_kinds_of_check():
    certificate = cert("5403AF", 200, agency=ELSEWHERE, pk=9004)
    a_row = letter_row(FormKind.RENEW_CHANGE, certificate=certificate, renew=True)
    known = facts(agency_ids=frozenset({7003}), lost_certificate_ids=frozenset({9004}))
    assert rules.row_errors(a_row, known)["certificate"] == [LOST.format(serial="5403AF")]


def _organisation_holding_a_renewable_certificate():
    agency = f.AgencyFactory()
    held = f.CertificateFactory(
        person=None,
        subject_kind=SubjectKind.ORGANIZATION,
        subject_organization=agency,
        agency=agency,
        common_name=agency.name,
        email="vanthu@laichau.gov.vn",
        not_after=timezone.now() + timedelta(days=200, hours=1),
    )
    return agency, held


@pytest.mark.django_db
def test_an_organisation_holding_a_renewable_certificate_is_refused_without_facts():
    agency, held = _organisation_holding_a_renewable_certificate()
    a_row = row(form=FormKind.ISSUE_ORGANIZATION, agency=agency, tax_code=agency.tax_code)
    [message] = target_errors(a_row, None)["tax_code"]
    assert message.startswith(f"Cơ quan, tổ chức này đang có chứng thư {held.serial} ")


@pytest.mark.django_db
def test_an_organisation_named_by_its_budget_code_alone_is_refused_on_that_code():
    agency, held = _organisation_holding_a_renewable_certificate()
    a_row = row(form=FormKind.ISSUE_ORGANIZATION, agency=agency, budget_code=agency.budget_code)

    errors = target_errors(a_row, None)

    [message] = errors["budget_code"]
    assert message.startswith(f"Cơ quan, tổ chức này đang có chứng thư {held.serial} ")
    assert not errors.get("tax_code")
