"""Official electronic identifiers (agencies/codes.py, agencies/services/codes.py): the
structure of Quyết định 20/2020/QĐ-TTg, uniqueness, a change keeping the old code findable,
and the code search."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agencies.codes import looks_like_code_part, normalize_code, parse_code
from agencies.models import FormerCode, Organization
from agencies.querysets import code_q
from agencies.services import organization_code_set
from agencies.validators import check_code_under_parent, validate_agency_code
from portal.errors import DomainError
from portal.models import AuditEvent
from tests import factories as f


@pytest.mark.parametrize(
    "code", ["000.00.00.H29", "000.00.05.H29", "000.03.05.H29", "012.03.05.G01", "000.00.10.A99"]
)
def test_the_validator_accepts_codes_of_the_decisions_structure(code):
    validate_agency_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "H29",
        "000.00.00.29",
        "000.00.00.HH9",
        "000.00.00.H00",
        "00.00.00.H29",
        "0000.00.00.H29",
        "000.00.5.H29",
        "000-00-00-H29",
        "000.00.00.H29.",
        "000.00.00.Ư29",
    ],
)
def test_the_validator_refuses_a_code_of_another_structure_in_vietnamese(code):
    with pytest.raises(ValidationError) as refused:
        validate_agency_code(code)
    assert "không đúng cấu trúc" in refused.value.messages[0]
    assert "20/2020/QĐ-TTg" in refused.value.messages[0]


def test_the_validator_refuses_a_code_that_skips_a_level():
    with pytest.raises(ValidationError) as refused:
        validate_agency_code("000.03.00.H29")
    assert refused.value.messages == [
        "Mã định danh “000.03.00.H29” có mã cấp 3 nhưng thiếu mã cấp 2."
    ]


def test_input_is_normalised_blanks_case_and_composition():
    assert normalize_code("  000.00.05.h29 \n") == "000.00.05.H29"
    validate_agency_code(" 000.00.05.h29 ")
    assert parse_code("000.03.05.h29").level == 3


def test_decomposed_and_full_width_input_becomes_the_ascii_code():
    # Full-width digits, dots and letters (an East Asian input method), and a letter typed as
    # a base letter plus a combining mark, are the same code once normalised.
    assert normalize_code("０００．００．０５．Ｈ２９") == "000.00.05.H29"
    validate_agency_code("０００．００．０５．ｈ２９")
    assert str(parse_code("０００．０３．０５．Ｈ２９")) == "000.03.05.H29"
    decomposed = "000.00.05.H29".replace("H", "H\u0323")  # H + combining dot below
    assert normalize_code(decomposed) == normalize_code("000.00.05.\u1e2429")
    assert looks_like_code_part("Ｈ２９") == "tail"


@pytest.mark.parametrize(
    "code",
    [
        "٠٠٠.٠٠.٠٥.H٢٩",  # Arabic-Indic digits
        "۰۰۰.۰۰.۰۵.H۲۹",  # extended Arabic-Indic digits
        "000.00.05.H२९",  # Devanagari digits
    ],
)
def test_digits_of_other_scripts_are_not_a_code(code):
    assert parse_code(code) is None
    assert looks_like_code_part(code) == ""
    with pytest.raises(ValidationError):
        validate_agency_code(code)


def test_levels_and_parents_follow_the_groups():
    unit = parse_code("000.03.05.H29")
    assert str(unit.parent()) == "000.00.05.H29"
    assert str(unit.parent().parent()) == "000.00.00.H29"
    assert unit.parent().parent().parent() is None
    assert unit.is_below(parse_code("000.00.00.H29"))
    assert not unit.is_below(parse_code("000.00.06.H29"))
    assert not unit.is_below(parse_code("000.00.00.H30"))


def test_a_childs_code_must_repeat_its_parents_groups():
    check_code_under_parent("000.01.05.H29", "000.00.05.H29", "Sở")
    with pytest.raises(ValidationError) as refused:
        check_code_under_parent("000.01.06.H29", "000.00.05.H29", "Sở Tài chính")
    assert "không nằm dưới mã của cơ quan cấp trên Sở Tài chính" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        check_code_under_parent("000.00.05.H29", "000.00.05.H29", "Sở Tài chính")


@pytest.mark.django_db
def test_two_organisations_cannot_hold_one_code_in_the_database():
    f.ProvinceFactory(code="000.00.00.H29")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.ProvinceFactory(code="000.00.00.H29")


@pytest.mark.django_db
def test_full_clean_names_the_unique_code_in_vietnamese():
    f.ProvinceFactory(code="000.00.00.H29")
    other = f.ProvinceFactory.build(code="000.00.00.h29")
    with pytest.raises(ValidationError) as refused:
        other.full_clean()
    assert "Mã định danh điện tử này đã là mã của cơ quan khác." in str(refused.value)


@pytest.mark.django_db
def test_organisations_without_a_code_store_null_and_do_not_collide():
    a, b = f.AgencyFactory(), f.AgencyFactory(code="")
    assert Organization.objects.filter(pk__in=[a.pk, b.pk], code__isnull=True).count() == 2


@pytest.mark.django_db
def test_setting_a_code_is_normalised_and_audited(cast):
    cast.province_1.code = None
    organization_code_set(organization=cast.province_1, code=" 000.00.00.h33 ", by=None)
    cast.province_1.refresh_from_db()
    assert cast.province_1.code == "000.00.00.H33"
    event = AuditEvent.objects.filter(action="organization.code_set").latest("pk")
    assert event.after == {"code": "000.00.00.H33"} and event.before == {"code": ""}


@pytest.mark.django_db
def test_setting_the_same_code_again_changes_nothing(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    events = AuditEvent.objects.filter(action="organization.code_set").count()
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    assert AuditEvent.objects.filter(action="organization.code_set").count() == events
    assert not FormerCode.objects.exists()


@pytest.mark.django_db
def test_a_code_held_by_another_organisation_is_refused(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=cast.province_2, code="000.00.00.H33", by=None)
    assert "đang là mã của Tỉnh Lai Châu" in refused.value.message


@pytest.mark.django_db
def test_a_unit_code_outside_its_parents_code_is_refused(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=cast.agency_a, code="000.00.05.H29", by=None)
    assert "không nằm dưới mã của cơ quan cấp trên Tỉnh Lai Châu" in refused.value.message
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    # The unit under the agency: the agency is its nearest ancestor with a code.
    with pytest.raises(DomainError):
        organization_code_set(organization=cast.unit_a, code="000.01.06.H33", by=None)
    organization_code_set(organization=cast.unit_a, code="000.01.05.H33", by=None)


@pytest.mark.django_db
def test_a_parents_code_cannot_change_away_from_its_coded_units(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.unit_a, code="000.01.05.H33", by=None)
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=cast.province_1, code="000.00.00.H35", by=None)
    assert refused.value.message == (
        "Không đổi được mã của Tỉnh Lai Châu thành 000.00.00.H35: mã của các đơn vị trực thuộc "
        "sẽ không còn nằm dưới mã mới: Sở Tài chính tỉnh Lai Châu (000.00.05.H33), Phòng Ngân "
        "sách (000.01.05.H33). Hãy đổi mã các đơn vị đó trước (hoặc nhập danh sách chính thức "
        "có cả mã mới của chúng)."
    )
    cast.province_1.refresh_from_db()
    assert cast.province_1.code == "000.00.00.H33"
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=cast.agency_a, code="000.00.07.H33", by=None)
    assert "Phòng Ngân sách (000.01.05.H33)" in refused.value.message
    # A change that keeps the units under it is fine: none here, so clearing the unit first.
    organization_code_set(organization=cast.unit_a, code="", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.07.H33", by=None)


@pytest.mark.django_db
def test_a_changed_code_stays_findable_and_leads_to_the_organisation(cast):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=cast.admin)
    organization_code_set(organization=cast.agency_a, code="000.00.07.H33", by=cast.admin)
    former = FormerCode.objects.get(code="000.00.05.H33")
    assert former.organization == cast.agency_a and former.replaced_by == "000.00.07.H33"
    assert former.retired_by == cast.admin
    assert Organization.objects.by_code("000.00.05.H33") == cast.agency_a
    assert Organization.objects.by_code("000.00.07.h33") == cast.agency_a
    assert Organization.objects.by_code("000.00.09.H33") is None


@pytest.mark.django_db
def test_a_former_code_is_never_given_to_another_organisation(cast):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.07.H33", by=None)
    with pytest.raises(DomainError) as refused:
        organization_code_set(organization=cast.agency_b, code="000.00.05.H33", by=None)
    assert "là mã cũ của Sở Tài chính tỉnh Lai Châu" in refused.value.message


@pytest.mark.django_db
def test_a_code_coming_back_to_its_organisation_is_current_again(cast):
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.07.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    assert list(FormerCode.objects.values_list("code", "replaced_by")) == [
        ("000.00.07.H33", "000.00.05.H33")
    ]


@pytest.mark.django_db
def test_the_search_finds_a_whole_code_its_tail_and_its_start(cast):
    organization_code_set(organization=cast.province_1, code="000.00.00.H33", by=None)
    organization_code_set(organization=cast.agency_a, code="000.00.05.H33", by=None)
    organization_code_set(organization=cast.unit_a, code="000.01.05.H33", by=None)
    organization_code_set(organization=cast.agency_c, code="000.00.05.H34", by=None)

    def names(text):
        return set(Organization.objects.code_matches(text).values_list("name", flat=True))

    assert names("000.00.05.h33") == {"Sở Tài chính tỉnh Lai Châu"}
    assert names("H33") == {"Tỉnh Lai Châu", "Sở Tài chính tỉnh Lai Châu", "Phòng Ngân sách"}
    assert names("05.H33") == {"Sở Tài chính tỉnh Lai Châu", "Phòng Ngân sách"}
    assert names("000.00.05") == {"Sở Tài chính tỉnh Lai Châu", "Sở Xây dựng thành phố Đà Nẵng"}
    assert names("Sở Tài chính") == set()
    assert code_q("Phòng") is None
