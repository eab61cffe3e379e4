"""Mẫu 05 and Mẫu 06 rows carry the form's identity columns (docs/domain.md §3.6, §3.7), read
from the registry once the certificate or device is picked: on the row form (read-only), the
letter's page, the draft editor and the Excel export."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from certificates.choices import SubjectKind
from devices.choices import DeviceStatus
from requests_app import services
from requests_app.choices import FormKind
from tests import factories as f
from tests.factories import letter_draft
from tests.helpers import HTMX, sign_in
from tests.requests_app.letters import certificate_of

pytestmark = pytest.mark.django_db


def _revocation_with_a_person_on_a_token(cast):
    token = f.DeviceFactory(agency=cast.agency_a, serial="VT26000999")
    person = f.PersonFactory(
        organization=cast.unit_a,
        national_id="012190004321",
        id_issue_date=date(2022, 8, 15),
        id_issue_place="Cục Cảnh sát QLHC về TTXH",
    )
    certificate = certificate_of(cast.agency_a, person=person, device=token)
    letter = letter_draft(cast, form=FormKind.REVOKE)
    services.row_save(
        cert_request=letter,
        by=cast.clerk_a,
        data={"certificate": certificate, "revoke_reason": "retired"},
    )
    return letter, certificate


def _organisation_certificate(cast):
    return certificate_of(
        cast.agency_a,
        person=None,
        subject_kind=SubjectKind.ORGANIZATION,
        subject_organization=cast.agency_a,
    )


def _export(client, letter, *, full=False):
    if full:  # with full values (docs/privacy.md, "Exports, API and documents")
        url = reverse("requests_app:export_full", args=[letter.pk])
        response = client.post(url, {"reason": "Đối chiếu hồ sơ thu hồi"})
    else:
        response = client.get(reverse("requests_app:export", args=[letter.pk]))
    header, *lines = list(load_workbook(io.BytesIO(response.content)).active.values)
    return [dict(zip(header, line, strict=True)) for line in lines]


def test_the_mau_05_export_has_the_holders_id_issue_date_place_and_device_serial(client, cast):
    letter, certificate = _revocation_with_a_person_on_a_token(cast)
    sign_in(client, cast.clerk_a)

    (line,) = _export(client, letter, full=True)

    assert line["Số định danh cá nhân"] == "012190004321"
    assert line["Ngày cấp"] == "15/08/2022"
    assert line["Nơi cấp"] == "Cục Cảnh sát QLHC về TTXH"
    (masked,) = _export(client, letter)
    assert (masked["Số định danh cá nhân"], masked["Ngày cấp"]) == ("********4321", "**/**/2022")
    assert line["Số hiệu thiết bị lưu khóa bí mật"] == "VT26000999"
    assert line["Thư điện tử công vụ"] == certificate.email
    assert line["Chứng thư"] == certificate.serial


def test_the_mau_05_export_has_the_organisations_tax_and_budget_codes(client, cast):
    certificate = _organisation_certificate(cast)
    letter = letter_draft(cast, form=FormKind.REVOKE)
    services.row_save(
        cert_request=letter,
        by=cast.clerk_a,
        data={"certificate": certificate, "revoke_reason": "dissolved"},
    )
    sign_in(client, cast.clerk_a)

    (line,) = _export(client, letter)

    assert (line["Mã số thuế"], line["Mã quan hệ ngân sách"]) == (
        cast.agency_a.tax_code,
        cast.agency_a.budget_code,
    )
    assert line["Số định danh cá nhân"] is None


def test_the_mau_05_letter_page_and_editor_show_the_registry_columns(client, cast):
    letter, _certificate = _revocation_with_a_person_on_a_token(cast)
    sign_in(client, cast.clerk_a)

    for url in (
        reverse("requests_app:detail", args=[letter.pk]),
        reverse("requests_app:edit", args=[letter.pk]),
    ):
        html = client.get(url).content.decode()
        for text in ("********4321", "**/**/2022", "Cục Cảnh sát QLHC về TTXH", "VT26000999"):
            assert text in html, (url, text)
        for text in ("012190004321", "15/08/2022"):
            assert text not in html, ("masked: docs/privacy.md §masking", url, text)


def test_picking_a_certificate_fills_the_registry_columns_read_only(client, cast):
    token = f.DeviceFactory(agency=cast.agency_a, serial="VT26000888")
    person = f.PersonFactory(organization=cast.unit_a, national_id="012190005555")
    certificate = certificate_of(cast.agency_a, person=person, device=token)
    letter = letter_draft(cast, form=FormKind.REVOKE)
    sign_in(client, cast.clerk_a)

    response = client.get(
        reverse("requests_app:row_add", args=[letter.pk]), {"chon": certificate.pk}, **HTMX
    )

    form = response.context["form"]
    assert form["registry_national_id"].value() == "********5555", "masked"
    assert form["registry_device_serial"].value() == "VT26000888"
    assert form.fields["registry_national_id"].disabled
    html = response.content.decode()
    assert 'name="registry_national_id"' in html and "disabled" in html


def test_a_posted_registry_column_is_ignored_and_the_row_keeps_the_registry_value(client, cast):
    person = f.PersonFactory(organization=cast.unit_a, national_id="012190006666")
    certificate = certificate_of(cast.agency_a, person=person)
    letter = letter_draft(cast, form=FormKind.REVOKE)
    sign_in(client, cast.clerk_a)

    client.post(
        reverse("requests_app:row_add", args=[letter.pk]),
        {
            "certificate": certificate.serial,
            "revoke_reason": "retired",
            "registry_national_id": "999999999999",
        },
    )

    (line,) = _export(client, letter, full=True)
    assert line["Số định danh cá nhân"] == "012190006666"
    person.refresh_from_db()
    assert person.national_id == "012190006666"


def test_a_row_sent_back_with_errors_still_shows_the_registry_columns(client, cast):
    token = f.DeviceFactory(agency=cast.agency_a, serial="VT26000777")
    person = f.PersonFactory(organization=cast.unit_a, national_id="012190007777")
    certificate = certificate_of(cast.agency_a, person=person, device=token)
    letter = letter_draft(cast, form=FormKind.REVOKE)
    sign_in(client, cast.clerk_a)

    # No reason of revocation: the row is refused and the form comes back.
    response = client.post(
        reverse("requests_app:row_add", args=[letter.pk]),
        {"certificate": certificate.serial, "revoke_reason": ""},
        **HTMX,
    )

    form = response.context["form"]
    assert form.errors
    assert form["registry_national_id"].value() == "********7777", "masked"
    assert form["registry_device_serial"].value() == "VT26000777"
    assert not letter.rows.exists()


def test_the_mau_06_export_and_page_show_the_devices_holder(client, cast):
    holder = f.PersonFactory(organization=cast.unit_a, full_name="Hoàng Văn Nam")
    device = f.DeviceFactory(agency=cast.agency_a, status=DeviceStatus.LOCKED, holder=holder)
    certificate = certificate_of(cast.agency_a, person=holder, device=device)
    letter = letter_draft(cast, form=FormKind.RECOVER_DEVICE)
    services.row_save(cert_request=letter, by=cast.clerk_a, data={"device": device})
    sign_in(client, cast.clerk_a)

    (line,) = _export(client, letter)
    html = client.get(reverse("requests_app:detail", args=[letter.pk])).content.decode()

    assert line["Thiết bị"] == device.serial
    assert line["Tên chứng thư"] == certificate.common_name
    assert line["Cơ quan, tổ chức công tác"] == cast.unit_a.name
    assert line["Thư điện tử công vụ"] == certificate.email
    assert certificate.common_name in html and cast.unit_a.name in html
