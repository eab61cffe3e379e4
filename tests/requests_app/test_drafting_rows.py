"""A draft's rows, inline (htmx) and without JavaScript."""

import unicodedata
from datetime import date

import pytest
from django.urls import reverse

from certificates.choices import RevocationReason, SubjectKind
from requests_app.choices import FormKind
from requests_app.models import RequestRow
from tests.factories import (
    PERSON_ROW,
    certificate_valid_for,
    letter_draft,
    letter_row_add,
)
from tests.helpers import HTMX, sign_in

pytestmark = pytest.mark.django_db


# --- rows, inline (htmx) -------------------------------------------------------------------
def test_htmx_add_row_returns_the_new_row_and_a_fresh_form(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]), PERSON_ROW, **HTMX
    )
    row = cert_request.rows.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="dong-{row.pk}"' in html and "Lò Thị Mai" in html
    assert 'id="row-add"' in html and 'hx-swap-oob="true"' in html
    assert row.date_of_birth == date(1990, 3, 5)
    assert "HX-Retarget" not in response.headers


def test_htmx_add_row_with_invalid_data_shows_inline_errors_and_saves_nothing(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "national_id": "01219000123", "email": "mai@gmail.com", "full_name": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#row-add"
    assert response.headers["HX-Reswap"] == "outerHTML"
    errors = response.context["form"].errors
    assert "12 chữ số" in errors["national_id"][0]
    assert "gmail.com" in errors["email"][0]
    assert errors["full_name"] == ["Trường này là bắt buộc."]
    html = response.content.decode()
    assert 'class="field-error"' in html and "12 chữ số" in html
    assert not cert_request.rows.exists()


def test_a_date_that_is_not_dd_mm_yyyy_is_an_inline_error(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "date_of_birth": "13/25/1990"},
        **HTMX,
    )
    assert "dd/mm/yyyy" in response.context["form"].errors["date_of_birth"][0]
    assert not cert_request.rows.exists()


def test_add_row_without_javascript_redirects_or_redisplays_the_editor(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:row_add", args=[cert_request.pk])
    bad = client.post(url, {**PERSON_ROW, "mobile": "12345"})
    assert bad.status_code == 200 and bad.templates[0].name == "requests_app/drafting/edit.html"
    assert "bắt đầu bằng 0" in bad.context["add_form"].errors["mobile"][0]
    good = client.post(url, PERSON_ROW)
    row = cert_request.rows.get()
    assert good.url == reverse("requests_app:edit", args=[cert_request.pk]) + f"#dong-{row.pk}"


def test_decomposed_text_typed_in_a_row_is_stored_composed(client, cast):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    name = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {**PERSON_ROW, "full_name": name},
        **HTMX,
    )
    assert cert_request.rows.get().full_name == unicodedata.normalize("NFC", name)


def test_htmx_edit_row_returns_the_row_or_the_form_with_errors(client, cast):
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:row_edit", args=[cert_request.pk, row.pk])
    form = client.get(url, **HTMX)
    assert form.context["form"].initial["full_name"] == "Lò Thị Mai"
    assert 'value="01/07/2021"' not in form.content.decode(), "a masked date is not prefilled"
    # its author's own draft: the stored date as placeholder (docs/privacy.md §6)
    assert 'placeholder="01/07/2021"' in form.content.decode()

    bad = client.post(url, {**PERSON_ROW, "email": "mai@yahoo.com"}, **HTMX)
    assert bad.templates[0].name == "requests_app/partials/_row_edit.html"
    assert "yahoo.com" in bad.context["form"].errors["email"][0]
    row.refresh_from_db()
    assert row.email == "mai@laichau.gov.vn"

    good = client.post(url, {**PERSON_ROW, "position_title": "Phó Trưởng phòng"}, **HTMX)
    assert good.templates[0].name == "requests_app/partials/_row_saved.html"
    assert "Phó Trưởng phòng" in good.content.decode()
    row.refresh_from_db()
    assert row.position_title == "Phó Trưởng phòng"


def test_a_row_of_another_letter_is_not_found(client, cast):
    mine, other = letter_draft(cast), letter_draft(cast)
    row = letter_row_add(other, cast.clerk_a)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:row_edit", args=[mine.pk, row.pk])
    assert client.get(url, **HTMX).status_code == 404
    assert (
        client.post(reverse("requests_app:row_delete", args=[mine.pk, row.pk])).status_code == 404
    )


def test_each_row_links_to_its_own_edit_and_delete(client, cast):
    cert_request = letter_draft(cast)
    row = letter_row_add(cert_request, cast.clerk_a)
    sign_in(client, cast.clerk_a)
    html = client.get(reverse("requests_app:edit", args=[cert_request.pk])).content.decode()
    assert f'hx-get="{reverse("requests_app:row_edit", args=[cert_request.pk, row.pk])}"' in html
    assert f'hx-post="{reverse("requests_app:row_delete", args=[cert_request.pk, row.pk])}"' in html


def test_htmx_delete_row_renumbers_the_rest(client, cast):
    cert_request = letter_draft(cast)
    first = letter_row_add(cert_request, cast.clerk_a)
    letter_row_add(cert_request, cast.clerk_a, national_id="012190005678", email="b@laichau.gov.vn")
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_delete", args=[cert_request.pk, first.pk]), **HTMX
    )
    assert response.status_code == 200
    assert not RequestRow.objects.filter(pk=first.pk).exists()
    assert list(cert_request.rows.values_list("position", flat=True)) == [1]
    html = response.content.decode()
    assert 'id="rows-count"' in html and "1 dòng" in html
    assert "Đã xóa dòng 1." in html


def test_mau_04_rows_have_both_ticks_and_the_certificate_by_serial(client, cast):
    cert_request = letter_draft(cast, form=FormKind.RENEW_CHANGE)
    cert = certificate_valid_for(cast, days_left=200)
    sign_in(client, cast.clerk_a)
    url = reverse("requests_app:row_add", args=[cert_request.pk])
    editor = client.get(reverse("requests_app:edit", args=[cert_request.pk]))
    assert list(editor.context["add_form"].fields) == [
        "certificate",
        "renew",
        "change_info",
        "change_field",
        "new_value",
        "national_id",
        "position_title",
    ]
    nothing_ticked = client.post(url, {"certificate": cert.serial}, **HTMX)
    assert "Chọn ít nhất một dịch vụ" in nothing_ticked.content.decode()
    client.post(
        url,
        {
            "certificate": cert.serial.upper(),
            "renew": "on",
            "change_info": "on",
            "change_field": "email",
            "new_value": "moi@laichau.gov.vn",
        },
        **HTMX,
    )
    row = cert_request.rows.get()
    assert row.certificate == cert and row.renew and row.change_info


def test_an_unknown_or_out_of_scope_serial_is_not_found(client, cast):
    cert_request = letter_draft(cast, form=FormKind.REVOKE)
    foreign = certificate_valid_for(cast, agency=cast.agency_c)
    sign_in(client, cast.clerk_a)
    response = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {"certificate": foreign.serial, "revoke_reason": RevocationReason.RETIRED},
        **HTMX,
    )
    assert "Không tìm thấy chứng thư" in response.context["form"].errors["certificate"][0]
    assert not cert_request.rows.exists()


def test_mau_05_reasons_are_limited_to_the_subject_kind_of_the_picked_certificate(client, cast):
    cert_request = letter_draft(cast, form=FormKind.REVOKE)
    org_cert = certificate_valid_for(
        cast,
        subject_kind=SubjectKind.ORGANIZATION,
        person=None,
        subject_organization=cast.agency_a,
        common_name="SỞ TÀI CHÍNH",
        email="stc@laichau.gov.vn",
    )
    sign_in(client, cast.clerk_a)
    response = client.get(
        reverse("requests_app:row_add", args=[cert_request.pk]), {"chon": org_cert.pk}, **HTMX
    )
    form = response.context["form"]
    assert form.initial["certificate"] == org_cert.serial
    shown = {value for value, _label in form.fields["revoke_reason"].widget.choices}
    assert RevocationReason.MERGED in shown and RevocationReason.RETIRED not in shown
    assert RevocationReason.SUPERSEDED not in shown
    # A reason of another subject kind gets the rule's message, next to the field.
    refused = client.post(
        reverse("requests_app:row_add", args=[cert_request.pk]),
        {"certificate": org_cert.serial, "revoke_reason": RevocationReason.RETIRED},
        **HTMX,
    )
    assert "loại thuê bao" in refused.context["form"].errors["revoke_reason"][0]
    assert not cert_request.rows.exists()
