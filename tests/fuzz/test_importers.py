"""Both importers, driven with random workbooks: never a server error, nothing stored by a
preview but its import job (and that job's audit event), unreadable cells reported on their row.
Each accepted upload's job is run by its own task, as the worker would."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given

from portal.models import ImportJob
from requests_app.excel import CA_HEADERS
from tests.factories import letter_draft
from tests.fuzz.strategies import fuzz_settings, raw_number, sheets, state, undone, workbook_bytes
from tests.helpers import sign_in, stock_upload, upload_and_parse

pytestmark = pytest.mark.django_db

LETTER_HEADER = [title for title, _fragments in CA_HEADERS]
STOCK_HEADER = ["STT", "Loại thiết bị", "Số hiệu", "ICCID", "Số điện thoại", "Nhà mạng"]


def _upload(lines) -> SimpleUploadedFile:
    return SimpleUploadedFile("tep.xlsx", workbook_bytes(lines))


def _only_the_job(before: dict, jobs_before: int) -> dict:
    """What `state()` must read after a preview: one audit event per job created, nothing else."""
    return {**before, "AuditEvent": before["AuditEvent"] + ImportJob.objects.count() - jobs_before}


# Made once for every example of a test; each example is rolled back (`undone`).
@pytest.fixture
def clerk(cast):
    return sign_in(Client(), cast.clerk_a)


@pytest.fixture
def operator(cast):
    return sign_in(Client(), cast.ca_operator)


@pytest.fixture
def draft(cast):
    return letter_draft(cast)


@fuzz_settings(400)
@given(lines=sheets(LETTER_HEADER, len(LETTER_HEADER)))
def test_the_letter_import_preview(clerk, draft, lines):
    with undone():
        before, jobs = state(), ImportJob.objects.count()
        response = upload_and_parse(
            clerk, reverse("requests_app:import", args=[draft.pk]), _upload(lines)
        )
        assert response.status_code < 500
        assert state() == _only_the_job(before, jobs)  # a preview stores nothing else


@fuzz_settings(400)
@given(lines=sheets(STOCK_HEADER, len(STOCK_HEADER)))
def test_the_stock_import_preview(operator, lines):
    with undone():
        before, jobs = state(), ImportJob.objects.count()
        response = stock_upload(operator, _upload(lines))
        assert response.status_code < 500
        assert state() == _only_the_job(before, jobs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(raw_number("1e999"), "số không hợp lệ"), ("nan", "12 chữ số"), ("1e999", "12 chữ số")],
    ids=["number-1e999", "text-nan", "text-1e999"],
)
def test_a_non_finite_phone_or_id_is_a_row_error(client, cast, value, expected):
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    line = [1, "Lò Thị Mai", "05/03/1990", value, "CCS", "01/07/2021", "mai@laichau.gov.vn"]
    line += ["Sở Tài chính", "", "", "", "Lai Châu", "Lai Châu", "Chuyên viên", value]
    response = upload_and_parse(
        client,
        reverse("requests_app:import", args=[cert_request.pk]),
        _upload([LETTER_HEADER, line]),
    )
    assert response.status_code == 200
    problems = response.context["problems"]
    assert problems and all(line == 2 for line, _column, _message in problems)
    assert any(expected in message for _line, _column, message in problems)


@pytest.mark.parametrize("number", ["nan", "NaN", "inf", "-inf", "1e999", "-1e999"])
@pytest.mark.parametrize("column", [4, 15], ids=["id-cell", "phone-cell"])
def test_a_non_finite_number_cell_is_an_error_of_its_row_not_a_refusal_of_the_file(
    client, cast, number, column
):
    """docs/security.md §4: the line with the bad cell is refused with a Vietnamese message
    naming the cell's column; the file is read and its good line kept."""
    cert_request = letter_draft(cast)
    sign_in(client, cast.clerk_a)
    line = [1, "Lò Thị Mai", "05/03/1990", "012190001234", "CCSQLHCVTTXH", "01/07/2021"]
    line += ["mai@laichau.gov.vn", "Sở Tài chính", "", "", "", "Lai Châu", "Lai Châu"]
    line += ["Chuyên viên", "0912345678"]
    good = [2, "Lò Văn Hùng", "06/04/1991", "012190005678", "CCSQLHCVTTXH", "01/07/2021"]
    good += ["hung@laichau.gov.vn", "Sở Tài chính", "", "", "", "Lai Châu", "Lai Châu"]
    good += ["Chuyên viên", "0912345679"]
    line[column - 1] = raw_number(number)
    response = upload_and_parse(
        client,
        reverse("requests_app:import", args=[cert_request.pk]),
        _upload([LETTER_HEADER, line, good]),
    )
    job = response.context["job"]
    assert job.status == ImportJob.Status.READY, job.error
    assert response.context["good_count"] == 1
    problems = response.context["problems"]
    assert [(line, column_title) for line, column_title, _message in problems] == [
        (2, LETTER_HEADER[column - 1])
    ]
    assert f"Cột {column}: số không hợp lệ" in problems[0][2]


@pytest.mark.parametrize("value", [raw_number("1e999"), raw_number("-1e999")])
def test_a_non_finite_stock_cell_is_a_row_error(client, cast, value):
    sign_in(client, cast.ca_operator)
    line = [1, "SIM", "", "8984048000000000001", value, "Viettel"]
    response = stock_upload(client, _upload([STOCK_HEADER, line]))
    assert response.status_code == 200
    assert "Cột 5" in response.content.decode()
