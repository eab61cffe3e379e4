"""Exports mask ID numbers, birth and ID issue dates and phones; an export with full values is a
deliberate choice with a reason, for the roles that may, and records exactly one access
(docs/privacy.md, "Exports, API and documents"). The matrix: every role × the letter's rows
export and the device list's export, masked and full."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from config.storage import FILE_SYSTEM
from devices.exports import PHONE as DEVICE_PHONE
from portal.export_jobs.service import export_job_run
from portal.models import ExportJob
from privacy.choices import AccessChannel
from requests_app import excel
from requests_app.choices import FormKind
from requests_app.models import RequestRow
from tests.export_reading import column, read_export
from tests.helpers import excel_confirm, excel_upload, import_report, sign_in
from tests.privacy.exports_world import (
    CONTACT_ID,
    IDS,
    MAY_SEE_FULL,
    PHONE,
    REASON,
    ROLES,
    SEE_DEVICE,
    SEE_LETTER,
    accesses,
    letter_draft,
    world,
)
from tests.requests_app.letters import draft

pytestmark = pytest.mark.django_db

ROW = "requests_app.RequestRow"
ROW_FIELDS = [
    f"{ROW}.{name}" for name in ("date_of_birth", "id_issue_date", "mobile", "national_id")
]
# The CA sheet's columns: 2 birth date, 3 CCCD, 5 issue date, 14 phone.
MASKED_LINE = {2: "**/**/1990", 3: "********0101", 5: "**/**/2021", 14: "091****671"}
FULL_LINE = {2: "01/03/1990", 3: IDS[0], 5: "01/07/2021", 14: "0912345671"}


@pytest.fixture
def w(cast):
    return world(cast)


def _sheet_lines(response) -> list[tuple]:
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert list(header) == [title for title, _f in excel.CA_HEADERS]
    return lines


def _cells(line, wanted) -> dict:
    return {index: line[index] for index in wanted}


# --- the letter's rows export ---------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_the_rows_export_is_masked_for_every_role_and_records_nothing(client, w, role):
    sign_in(client, w.users[role])
    response = client.get(reverse("requests_app:export", args=[w.letter.pk]))
    if role not in SEE_LETTER:
        assert response.status_code == 404
        return
    first, second = _sheet_lines(response)
    assert _cells(first, MASKED_LINE) == MASKED_LINE
    assert second[3] == "********0102"
    assert accesses() == []


@pytest.mark.parametrize("role", ROLES)
def test_the_full_rows_export_is_for_the_roles_that_may_and_records_one_access(client, w, role):
    sign_in(client, w.users[role])
    url = reverse("requests_app:export_full", args=[w.letter.pk])
    page = client.get(url)
    response = client.post(url, {"reason": REASON})
    if role not in SEE_LETTER:
        assert (page.status_code, response.status_code) == (404, 404)
        assert accesses() == []
        return
    if role not in MAY_SEE_FULL:
        assert (page.status_code, response.status_code) == (403, 403)
        assert "không được xem đầy đủ" in response.content.decode()
        assert accesses() == []
        return
    assert page.status_code == 200 and "data-full-export" in page.content.decode()
    first, second = _sheet_lines(response)
    assert _cells(first, FULL_LINE) == FULL_LINE
    assert second[3] == IDS[1]
    (access,) = accesses()
    assert (access.actor, access.channel, access.reason) == (
        w.users[role],
        AccessChannel.EXPORT,
        REASON,
    )
    assert access.fields == ROW_FIELDS
    assert access.subjects_count == 2
    assert access.object_id == str(w.letter.pk)


def test_a_full_export_without_a_reason_writes_no_file_and_records_nothing(client, w):
    sign_in(client, w.users["clerk_a"])
    url = reverse("requests_app:export_full", args=[w.letter.pk])
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors["reason"]
    assert accesses() == []


def test_a_form_whose_export_masks_nothing_has_no_full_export(client, cast, w):
    organisations = draft(cast, form=FormKind.ISSUE_ORGANIZATION)
    sign_in(client, cast.clerk_a)
    response = client.get(reverse("requests_app:export_full", args=[organisations.pk]))
    assert response.status_code == 404


# --- the device list's export ---------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_the_device_list_export_masks_the_phone_for_every_role(client, w, role):
    sign_in(client, w.users[role])
    response = client.get(reverse("devices:list"), {"xuat": "xlsx"})
    headers, lines = read_export(response)
    phones = {cell.value for cell in column(headers, lines, "Số điện thoại ký số")} - {None}
    assert phones == ({"098****321"} if role in SEE_DEVICE else set())
    assert accesses() == []


@pytest.mark.parametrize("role", ROLES)
def test_the_full_device_export_is_for_the_roles_that_may_and_records_one_access(client, w, role):
    sign_in(client, w.users[role])
    url = reverse("devices:export_full") + "?kind=sim_pki"
    assert client.get(url).status_code == (200 if role in MAY_SEE_FULL else 403)
    response = client.post(url, {"reason": REASON})
    if role not in MAY_SEE_FULL:
        assert response.status_code == 403
        assert accesses() == []
        return
    headers, lines = read_export(response)
    assert [cell.value for cell in column(headers, lines, "Số điện thoại ký số")] == [PHONE]
    (access,) = accesses()
    assert (access.actor, access.channel, access.fields) == (
        w.users[role],
        AccessChannel.EXPORT,
        [DEVICE_PHONE],
    )
    assert list(access.subjects.values_list("person_id", flat=True)) == [w.sim.holder_id]


def test_a_full_device_export_past_the_inline_limit_is_refused_and_records_nothing(
    client, w, settings
):
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 0
    sign_in(client, w.users["ca_operator"])
    response = client.post(reverse("devices:export_full"), {"reason": REASON})
    assert response.status_code == 200
    assert "hãy lọc bớt" in response.content.decode().lower()
    assert accesses() == []


def test_a_large_device_list_exported_by_the_worker_is_masked(client, w, settings, tmp_path):
    """The export jobs never write full values: their stored files are masked, so that a
    re-download of a kept file is no access."""
    settings.PORTAL_EXPORT_INLINE_MAX_ROWS = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": tmp_path / "exports"}},
    }
    sign_in(client, w.users["ca_operator"])
    response = client.get(reverse("devices:list"), {"xuat": "xlsx", "kind": "sim_pki"})
    job = ExportJob.objects.get()
    assert response.url == reverse("portal:export_job", args=[job.pk])
    assert export_job_run(job_id=job.pk) == ExportJob.Status.READY
    download = client.get(reverse("portal:export_download", args=[job.pk]))
    headers, lines = read_export(download)
    assert [cell.value for cell in column(headers, lines, "Số điện thoại ký số")] == ["098****321"]
    assert accesses() == []


def test_the_contact_id_of_a_letter_never_enters_its_rows_export(client, w):
    sign_in(client, w.users["clerk_a"])
    response = client.post(
        reverse("requests_app:export_full", args=[w.letter.pk]), {"reason": REASON}
    )
    assert CONTACT_ID not in str(_sheet_lines(response))


# --- the round trip: export, edit, import back ---------------------------------------------
def _edited(exported: bytes, edits: dict[tuple[int, int], str]) -> SimpleUploadedFile:
    """The exported workbook with cells (line, column), 1-based, set as a clerk types them."""
    book = load_workbook(io.BytesIO(exported))
    for (line, col), value in edits.items():
        book.active.cell(row=line, column=col, value=value)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("sua.xlsx", out.getvalue(), content_type=excel.XLSX_CONTENT_TYPE)


def test_a_masked_export_imported_back_keeps_a_masked_id_out_and_takes_an_edited_one(client, cast):
    source = letter_draft(cast)
    stored = sorted(RequestRow.objects.values_list("national_id", flat=True))
    sign_in(client, cast.clerk_a)
    exported = client.get(reverse("requests_app:export", args=[source.pk])).content
    # The CA sheet's columns: 3 birth date, 4 CCCD, 6 issue date, 15 phone. Line 2: the ID
    # left masked, the rest typed in full. Line 3: everything in full, the ID changed.
    file = _edited(
        exported,
        {
            (2, 3): "01/03/1990",
            (2, 6): "01/07/2021",
            (2, 15): "0912345671",
            (3, 3): "02/03/1990",
            (3, 4): "012190000199",
            (3, 6): "02/07/2021",
            (3, 15): "0912345672",
        },
    )
    target = letter_draft(cast, rows=0)
    preview = excel_upload(client, target, file)
    report = import_report(preview)
    assert list(report) == [2]
    ((column_title, message),) = report[2]
    assert column_title == "CCCD" and "giá trị đã che" in message
    excel_confirm(client, target, preview.context["job"].pk)
    assert list(target.rows.values_list("national_id", flat=True)) == ["012190000199"]
    assert sorted(source.rows.values_list("national_id", flat=True)) == stored


def test_every_masked_cell_of_an_unedited_export_is_refused_by_name(client, cast):
    source = letter_draft(cast, rows=1)
    sign_in(client, cast.clerk_a)
    exported = client.get(reverse("requests_app:export", args=[source.pk])).content
    target = letter_draft(cast, rows=0)
    file = SimpleUploadedFile("xuat.xlsx", exported, content_type=excel.XLSX_CONTENT_TYPE)
    report = import_report(excel_upload(client, target, file))
    refused = {column for column, message in report[2] if "giá trị đã che" in message}
    assert refused == {"Ngày sinh", "CCCD", "Ngày cấp", "Điện thoại"}
    assert not target.rows.exists()


def test_a_full_export_imports_back_unchanged(client, cast):
    source = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    exported = client.post(
        reverse("requests_app:export_full", args=[source.pk]), {"reason": REASON}
    ).content
    target = letter_draft(cast, rows=0)
    file = SimpleUploadedFile("xuat.xlsx", exported, content_type=excel.XLSX_CONTENT_TYPE)
    preview = excel_upload(client, target, file)
    assert preview.context["problems"] == []
    excel_confirm(client, target, preview.context["job"].pk)
    fields = list(excel.FIELD_COLUMN[excel.LAYOUT_CA])
    assert list(target.rows.values(*fields)) == list(source.rows.values(*fields))


# --- the links to the exports with full values ----------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_the_link_to_a_full_export_is_drawn_only_for_the_roles_that_may_have_it(client, w, role):
    sign_in(client, w.users[role])
    letter = client.get(reverse("requests_app:detail", args=[w.letter.pk]))
    if role in SEE_LETTER:
        full_url = reverse("requests_app:export_full", args=[w.letter.pk])
        assert (full_url in letter.content.decode()) == (role in MAY_SEE_FULL)
    devices = client.get(reverse("devices:list"))
    if devices.status_code == 200:
        drawn = reverse("devices:export_full") in devices.content.decode()
        assert drawn == (role in MAY_SEE_FULL)
