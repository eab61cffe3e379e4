"""A letter's row as cells: one way of writing each value for the page, the editor and the
export."""

from datetime import date

from django.urls import reverse

from certificates.choices import RevocationReason
from requests_app import cells
from requests_app.choices import FormKind, SimCarrier
from requests_app.models import CertRequest, RequestRow
from tests import factories as f


def test_dates_are_written_dd_mm_yyyy():
    row = RequestRow(date_of_birth=date(1990, 7, 1))
    assert cells.value_text(row, "date_of_birth") == "01/07/1990"
    assert cells.value_text(row, "id_issue_date") == ""
    assert cells.date_text(None) == ""


def test_choices_are_written_by_their_label_the_revocation_reason_too():
    row = RequestRow(sim_carrier=SimCarrier.VINAPHONE, revoke_reason=RevocationReason.DEVICE_LOST)
    assert cells.value_text(row, "sim_carrier") == "Vinaphone"
    assert cells.value_text(row, "revoke_reason") == RevocationReason.DEVICE_LOST.label
    assert cells.value_text(RequestRow(revoke_reason="khác"), "revoke_reason") == "khác"


def test_a_true_boolean_is_a_tick_on_pages_and_an_x_in_the_export():
    row = RequestRow(sim_keep_number=True, renew=False)
    assert cells.page_cell(row, "sim_keep_number") == {
        **cells.PAGE_CELL,
        "text": "✓",
        "center": True,
    }
    assert cells.editor_cell(row, "sim_keep_number")["cls"] == "center"
    assert cells.export_value(row, "sim_keep_number") == "X"
    assert cells.export_value(row, "renew") == ""


def test_the_certificate_is_shown_by_its_serial_and_linked_on_the_review_page(db):
    certificate = f.CertificateFactory()
    row = RequestRow(certificate=certificate)
    page = cells.page_cell(row, "certificate")
    assert page["text"] == certificate.serial and page["sub"] == certificate.common_name
    assert page["url"] == reverse("certificates:detail", args=[certificate.serial])
    editor = cells.editor_cell(row, "certificate")
    assert (editor["text"], editor["sub"]) == (certificate.common_name, certificate.serial)
    assert cells.export_value(row, "certificate") == certificate.serial


def test_a_missing_certificate_or_device_is_a_dash_on_pages_and_blank_in_the_export():
    row = RequestRow()
    assert cells.page_cell(row, "certificate") == {**cells.PAGE_CELL, "text": "—"}
    assert cells.editor_cell(row, "device")["text"] == "—"
    assert cells.export_value(row, "device") == ""


def test_every_page_cell_has_every_key_so_the_template_never_misses_a_lookup(db):
    row = RequestRow(certificate=f.CertificateFactory(), sim_keep_number=True, full_name="A")
    for name in ("certificate", "device", "sim_keep_number", "full_name"):
        assert set(cells.page_cell(row, name)) == set(cells.PAGE_CELL), name


def test_the_device_is_shown_by_its_serial_and_kind(db):
    device = f.DeviceFactory()
    row = RequestRow(device=device)
    assert cells.page_cell(row, "device")["sub"] == device.get_kind_display()
    assert cells.editor_cell(row, "device")["text"] == device.serial
    assert cells.export_value(row, "device") == device.serial


def _letter(form, remote_signing=False) -> CertRequest:
    return CertRequest(form=form, remote_signing=remote_signing)


def test_columns_follow_the_form_with_the_field_labels():
    assert cells.columns(_letter(FormKind.REVOKE)) == [
        ("certificate", "chứng thư"),
        ("registry_national_id", "số định danh cá nhân"),
        ("registry_id_issue_date", "ngày cấp"),
        ("registry_id_issue_place", "nơi cấp"),
        ("registry_tax_code", "mã số thuế"),
        ("registry_budget_code", "mã quan hệ ngân sách"),
        ("registry_email", "thư điện tử công vụ"),
        ("registry_device_serial", "số hiệu thiết bị lưu khóa bí mật"),
        ("revoke_reason", "lý do thu hồi"),
    ]
    assert [name for name, _label in cells.columns(_letter(FormKind.RECOVER_DEVICE))] == [
        "device",
        "registry_holder_certificate",
        "registry_holder_agency",
        "registry_holder_email",
    ]
    plain = [name for name, _label in cells.columns(_letter(FormKind.ISSUE_PERSON))]
    remote = [name for name, _label in cells.columns(_letter(FormKind.ISSUE_PERSON, True))]
    assert plain[-2:] == ["sim_carrier", "sim_keep_number"]
    assert remote == plain[:-2]
