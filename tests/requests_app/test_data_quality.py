"""Data right the first time (docs/domain.md §5.8): ID numbers read from Excel, official
e-mail domains, and section 1 prefilled for a new letter."""

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from agencies.models import Organization
from agencies.validators import validate_mail_domains, validate_official_email
from portal.errors import DomainError
from requests_app import excel, services
from requests_app.choices import FormKind
from requests_app.exceptions import RowInvalid
from requests_app.models import CertRequest
from requests_app.services.review import check_all_rows
from tests import factories as f
from tests.factories import PERSON_ROW, letter_draft, letter_row_add, xlsx_upload
from tests.helpers import excel_confirm, excel_upload, import_report, sign_in
from tests.requests_app.ca_sheet import CA_HEADER, ca_line

pytestmark = pytest.mark.django_db

MAU01_HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Số định danh cá nhân/\nngày cấp, nơi cấp",
    "Địa chỉ thư điện tử công vụ",
    "Tên cơ quan, tổ chức công tác",
    "Tỉnh/Thành phố",
    "Chức vụ",
    "Số điện thoại di động",
    "Số hiệu chứng thư cũ (nếu có)",
    "SIM PKI",
]


def person_line(stt, name, id_cell, email):
    return [
        stt,
        name,
        "05/03/1985",
        id_cell,
        email,
        "Sở Tài chính tỉnh Lai Châu",
        "Lai Châu",
        "Chuyên viên",
        "0912000111",
        None,
        None,
    ]


def mau01_upload(*people):
    """Excel lines: 1 header, 2.. people."""
    return xlsx_upload([MAU01_HEADER, *people])


# --- 1. ID numbers read as numbers ---------------------------------------------------------
def test_an_11_digit_number_cell_gets_its_leading_zero_back_and_is_marked_as_such():
    assert excel.read_national_id(12190001234) == "012190001234"
    assert excel.read_national_id(12190001234.0) == "012190001234"
    assert excel.id_lost_leading_zero(12190001234)
    assert not excel.id_lost_leading_zero(123456789012)
    assert not excel.id_lost_leading_zero("012190001234")
    assert not excel.id_lost_leading_zero("12190001234")


@pytest.mark.parametrize(
    "cell, shown",
    [
        (123456789, "123456789"),  # an old 9-digit ID card number, as a number
        ("123456789", "123456789"),  # the same, as text
        (1219000123, "1219000123"),  # 10 digits: more than a lost leading zero
        ("12190001234", "12190001234"),  # 11 digits typed as text: a typo, not Excel
        ("0121900012345", "0121900012345"),  # 13 digits
        ("01219000123A", "01219000123A"),  # a letter
    ],
)
def test_a_cell_that_cannot_be_a_12_digit_id_is_refused_naming_its_value(cell, shown):
    with pytest.raises(excel.CellError) as caught:
        excel.read_national_id(cell)
    assert f"“{shown}”" in str(caught.value)
    assert "12 chữ số" in str(caught.value)


def test_the_import_refuses_a_9_digit_id_on_its_line_naming_the_value(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(
        client,
        cert_request,
        mau01_upload(
            person_line(
                1, "Lò Văn Một", "012190001111 / 01/07/2021, CCSQLHCVTTXH", "mot@laichau.gov.vn"
            ),
            person_line(2, "Lò Văn Hai", 123456789, "hai@laichau.gov.vn"),
        ),
    )
    problems = import_report(response)
    assert set(problems) == {3}, problems
    [(column, message)] = problems[3]
    assert column == "Số định danh cá nhân / ngày cấp, nơi cấp"
    assert "“123456789”" in message


def test_an_imported_padded_id_is_shown_flagged_and_blocks_submission_until_confirmed(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(
        client,
        cert_request,
        xlsx_upload([CA_HEADER, ca_line(1, "Lò Văn Một", 12190001111)]),  # CCCD as a number
    )
    assert import_report(response) == {}
    preview = response.content.decode()
    assert "012190001111" not in preview and "********1111" in preview, "shown masked"
    assert "đã thêm số 0 đầu" in preview, "the preview warns about the padded ID"

    excel_confirm(client, cert_request, response.context["job"].pk)
    row = cert_request.rows.get()
    assert row.national_id == "012190001111"
    assert row.national_id_unconfirmed
    editor = client.get(reverse("requests_app:edit", args=[cert_request.pk])).content.decode()
    assert "đã thêm số 0 đầu" in editor, "the editor warns about the padded ID"
    with pytest.raises(DomainError) as caught:
        check_all_rows(cert_request)
    assert "Dòng 1" in caught.value.message and "********1111" in caught.value.message
    assert "012190001111" not in caught.value.message

    services.row_save(
        cert_request=cert_request, by=cast.clerk_a, row=row, data={"national_id": "012190001111"}
    )
    row.refresh_from_db()
    assert not row.national_id_unconfirmed
    check_all_rows(cert_request)  # confirmed: nothing left to refuse


def test_an_id_typed_in_the_form_is_never_padded(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "national_id": "12190001234"},
    )
    assert response.status_code in (200, 422)
    assert not cert_request.rows.exists()
    with pytest.raises(RowInvalid) as caught:
        letter_row_add(cert_request, cast.clerk_a, national_id="123456789")
    assert "national_id" in caught.value.errors


# --- 3. official e-mail: an allow-list ----------------------------------------------------
@pytest.mark.parametrize(
    "address", ["a@gov.vn", "a@laichau.gov.vn", "a@stc.laichau.gov.vn", "A@LaiChau.Gov.Vn"]
)
def test_state_mail_domains_and_their_sub_domains_are_official(address):
    validate_official_email(address)


@pytest.mark.parametrize(
    "address",
    ["a@gmail.com", "a@congty.vn", "a@xgov.vn", "a@gov.vn.example.com", "a@bvdkld.vn"],
)
def test_any_other_domain_is_refused_saying_which_domains_are_accepted(address):
    with pytest.raises(ValidationError) as caught:
        validate_official_email(address)
    message = caught.value.messages[0]
    assert address in message and ".gov.vn" in message


def test_a_domain_registered_by_an_organisation_is_official_with_its_sub_domains(cast):
    Organization.objects.filter(pk=cast.agency_b.pk).update(mail_domains="bvdkld.vn, bv.edu.vn")
    validate_official_email("bs.an@bvdkld.vn")
    validate_official_email("bs.an@khoa-noi.bvdkld.vn")
    validate_official_email("gv@bv.edu.vn")
    with pytest.raises(ValidationError):
        validate_official_email("bs.an@notbvdkld.vn")


def test_the_accepted_state_domains_are_a_setting(settings):
    settings.OFFICIAL_MAIL_DOMAINS = ["gov.vn", "quochoi.vn"]
    validate_official_email("dbqh@quochoi.vn")
    settings.OFFICIAL_MAIL_DOMAINS = ["quochoi.vn"]
    with pytest.raises(ValidationError) as caught:
        validate_official_email("a@laichau.gov.vn")
    assert ".quochoi.vn" in caught.value.messages[0]


def test_registered_mail_domains_must_be_domains():
    validate_mail_domains("bvdkld.vn, dhdl.edu.vn")
    with pytest.raises(ValidationError):
        validate_mail_domains("bvdkld")
    with pytest.raises(ValidationError):
        validate_mail_domains("bv dk@ld.vn")


def test_registered_mail_domains_are_edited_in_the_admin(cast):
    request = RequestFactory().get("/")
    request.user = cast.admin
    form = site._registry[Organization].get_form(request, obj=cast.agency_a)
    assert "mail_domains" in form.base_fields


def test_the_factories_pass_the_allow_list(cast):
    person = f.PersonFactory(organization=cast.agency_a)
    person.full_clean()
    cast.agency_a.full_clean()


# --- 4. section 1 prefilled ----------------------------------------------------------------
def clerk_record(cast):
    return f.PersonFactory(
        user=cast.clerk_a,
        organization=cast.agency_a,
        full_name="Hoàng Văn Đầu Mối",
        position="Văn thư",
        mobile="0988000111",
        official_email="daumoi@laichau.gov.vn",
    )


def create(client, cast, form="01", agency=None):
    sign_in(client, cast.clerk_a)
    client.post(
        reverse("requests_app:create"), {"form": form, "agency": (agency or cast.agency_a).pk}
    )
    return CertRequest.objects.filter(created_by=cast.clerk_a).order_by("-pk").first()


def test_a_new_letter_takes_section_1_from_the_agencys_last_letter(client, cast):
    clerk_record(cast)
    letter_draft(cast, contact_name="Người Cũ", contact_email="cu@laichau.gov.vn")
    letter_draft(
        cast,
        contact_name="Lò Thị Liên Hệ",
        contact_position="Chuyên viên",
        contact_mobile="0912999888",
        contact_email="lienhe@laichau.gov.vn",
        delivery_address="Số 1 Đường Lê Lợi",
    )
    letter = create(client, cast, form="04")
    assert letter.form == FormKind.RENEW_CHANGE
    assert letter.contact_name == "Lò Thị Liên Hệ"
    assert letter.contact_position == "Chuyên viên"
    assert letter.contact_mobile == "0912999888"
    assert letter.contact_email == "lienhe@laichau.gov.vn"
    assert letter.delivery_address == "Số 1 Đường Lê Lợi"
    assert letter.subject == ""


def test_without_an_earlier_letter_section_1_comes_from_the_clerks_record(client, cast):
    clerk_record(cast)
    letter = create(client, cast)
    assert letter.contact_name == "Hoàng Văn Đầu Mối"
    assert letter.contact_position == "Văn thư"
    assert letter.contact_mobile == "0988000111"
    assert letter.contact_email == "daumoi@laichau.gov.vn"


def test_another_agencys_letter_never_fills_section_1(client, cast):
    clerk_record(cast)
    services.cert_request_create(
        agency=cast.agency_b,
        form=FormKind.ISSUE_PERSON,
        by=cast.clerk_b,
        contact_name="Người Của Sở Y Tế",
        contact_mobile="0912777666",
        contact_email="syt@laichau.gov.vn",
    )
    letter = create(client, cast)
    assert letter.agency == cast.agency_a
    assert letter.contact_name == "Hoàng Văn Đầu Mối"


def test_a_recovery_letter_is_not_prefilled_from_another_forms_contact(client, cast):
    clerk_record(cast)
    letter_draft(cast, contact_name="Lò Thị Liên Hệ")
    letter = create(client, cast, form="06")
    assert letter.form == FormKind.RECOVER_DEVICE
    assert letter.contact_name == "Hoàng Văn Đầu Mối"


def test_the_prefilled_section_1_can_be_changed(client, cast):
    letter_draft(cast, contact_name="Lò Thị Liên Hệ")
    letter = create(client, cast)
    services.cert_request_update(
        cert_request=letter, by=cast.clerk_a, data={"contact_name": "Người Mới"}
    )
    letter.refresh_from_db()
    assert letter.contact_name == "Người Mới"


# --- 2. a person who already holds a valid certificate --------------------------------------
HOLDER_ID = "012190007777"


def holder_certificate(cast, agency=None, **fields):
    agency = agency or cast.agency_a
    from agencies.models import Person

    person = Person.objects.with_national_id(HOLDER_ID).first() or f.PersonFactory(
        organization=agency, national_id=HOLDER_ID
    )
    return f.certificate_valid_for(cast, agency=agency, person=person, **fields)


def test_a_new_issue_for_a_holder_of_a_renewable_certificate_is_refused_naming_it(cast):
    certificate = holder_certificate(cast, days_left=200)
    cert_request = letter_draft(cast)
    with pytest.raises(RowInvalid) as caught:
        letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID)
    [message] = caught.value.errors["national_id"]
    assert certificate.serial in message and "Mẫu 04" in message
    assert not cert_request.rows.exists()


def test_a_holder_whose_certificate_can_no_longer_be_renewed_may_be_issued_anew(cast):
    holder_certificate(cast, days_left=10)
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID)
    assert cert_request.rows.count() == 1


@pytest.mark.parametrize(("days_left", "refused"), [(29, False), (30, True), (31, True)])
def test_a_new_issue_is_refused_while_the_holders_certificate_has_30_days_left(
    cast, days_left, refused
):
    """docs/domain.md §5.8, §5.2: at 30 days the certificate can still be renewed or changed,
    so a new issue is refused; at 29 a new issue is the only way on."""
    holder_certificate(cast, days_left=days_left)
    cert_request = letter_draft(cast)
    if refused:
        with pytest.raises(RowInvalid) as caught:
            letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID)
        assert f"còn {days_left} ngày" in caught.value.errors["national_id"][0]
    else:
        letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID)
    assert cert_request.rows.count() == (0 if refused else 1)


def test_a_revoked_or_expired_certificate_does_not_stop_a_new_issue(cast):
    from certificates.choices import CertStatus

    holder_certificate(cast, days_left=200, status=CertStatus.REVOKED, revoked_at=timezone.now())
    holder_certificate(cast, days_left=-5)
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID)
    assert cert_request.rows.count() == 1


def test_another_agencys_certificate_refuses_the_row_without_naming_its_serial(cast):
    certificate = holder_certificate(cast, agency=cast.agency_b, days_left=200)
    cert_request = letter_draft(cast)
    with pytest.raises(RowInvalid) as caught:
        letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID)
    [message] = caught.value.errors["national_id"]
    assert certificate.serial not in message and "chuyển cơ quan" in message


def test_the_import_preview_refuses_the_holder_on_its_line(client, cast):
    certificate = holder_certificate(cast, days_left=200)
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = excel_upload(
        client, cert_request, xlsx_upload([CA_HEADER, ca_line(1, "Lò Văn Một", HOLDER_ID)])
    )
    problems = import_report(response)
    assert set(problems) == {2}
    assert any(certificate.serial in message for _column, message in problems[2])


def test_the_editor_links_the_holders_certificate_of_the_own_agency(client, cast):
    certificate = holder_certificate(cast, days_left=200)
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "national_id": HOLDER_ID},
    )
    link = f'<a href="{reverse("certificates:detail", args=[certificate.serial])}">'
    assert link + certificate.serial + "</a>" in response.content.decode()
    assert not cert_request.rows.exists()


def test_another_agencys_holder_is_refused_in_the_editor_without_a_link(client, cast):
    holder_certificate(cast, agency=cast.agency_b, days_left=200)
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    body = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "national_id": HOLDER_ID},
    ).content.decode()
    assert "chuyển cơ quan công tác" in body and "/chung-thu/" not in body.split("them-dong")[-1]


def organisation_certificate(cast, days_left):
    from certificates.choices import SubjectKind

    return f.certificate_valid_for(
        cast,
        days_left=days_left,
        person=None,
        subject_kind=SubjectKind.ORGANIZATION,
        subject_organization=cast.agency_a,
        common_name=cast.agency_a.name,
        email="vanthu@laichau.gov.vn",
    )


BUDGET = "1234567"  # another budget-relation code: the tax code alone names the holder
ORGANISATION_ROW = {
    "organization_name": "Sở Tài chính tỉnh Lai Châu",
    "address": "Phường Tân Phong, Lai Châu",
    "province_name": "Lai Châu",
    "email": "stc@laichau.gov.vn",
}


def test_a_mau_02_for_an_organisation_holding_a_renewable_certificate_is_refused(cast):
    certificate = organisation_certificate(cast, days_left=200)
    cert_request = letter_draft(cast, form=FormKind.ISSUE_ORGANIZATION)
    with pytest.raises(RowInvalid) as caught:
        services.row_save(
            cert_request=cert_request,
            by=cast.clerk_a,
            data={**ORGANISATION_ROW, "tax_code": cast.agency_a.tax_code, "budget_code": BUDGET},
        )
    [message] = caught.value.errors["tax_code"]
    assert certificate.serial in message and "Mẫu 04" in message
    assert not cert_request.rows.exists()


def test_a_mau_02_is_allowed_once_the_organisations_certificate_can_no_longer_be_renewed(cast):
    organisation_certificate(cast, days_left=10)
    cert_request = letter_draft(cast, form=FormKind.ISSUE_ORGANIZATION)
    services.row_save(
        cert_request=cert_request,
        by=cast.clerk_a,
        data={**ORGANISATION_ROW, "tax_code": cast.agency_a.tax_code, "budget_code": BUDGET},
    )
    assert cert_request.rows.count() == 1


def test_submitting_names_the_row_and_keeps_the_link_escaping_the_rest(cast):
    cert_request = letter_draft(cast)
    letter_row_add(cert_request, cast.clerk_a, national_id=HOLDER_ID, full_name="<b>Mai</b>")
    certificate = holder_certificate(cast, days_left=200)  # issued after the row was added
    with pytest.raises(DomainError) as caught:
        check_all_rows(cert_request)
    message = caught.value.message  # as data: plain text, the link drawn on a page
    assert message.startswith("Dòng 1: ") and certificate.serial in message and "<a" not in message
    html = message.__html__()
    assert html.startswith("Dòng 1: ") and f">{certificate.serial}</a>" in html
    assert "<b>" not in html
