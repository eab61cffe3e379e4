"""The Excel reader refuses abusive files before parsing them, and the export helper writes
no formula: zip bombs, row caps, unreadable cells, formula injection."""

import io
import re
import time
import tracemalloc
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from portal.lib import xlsx
from tests.helpers import sign_in

MB = 1024 * 1024


def _vm(name: str) -> int:
    with open("/proc/self/status") as proc:
        status = proc.read()
    return int(re.search(rf"^{name}:\s+(\d+) kB", status, re.M)[1]) * 1024


def genuine_xlsx(lines=(("STT", "Họ tên"), (1, "Lò Văn Một"))) -> bytes:
    workbook = Workbook()
    for line in lines:
        workbook.active.append(list(line))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bomb(expanded_mb: int = 150) -> bytes:
    """A genuine workbook whose first sheet is one inline-string cell of `expanded_mb` MB."""
    source = zipfile.ZipFile(io.BytesIO(genuine_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, source.read(info.filename))
                continue
            with target.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
                    b'<c r="A1" t="inlineStr"><is><t>'
                )
                chunk = b"A" * MB
                for _ in range(expanded_mb):
                    sheet.write(chunk)
                sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


def test_a_small_file_that_expands_past_100_mb_is_refused_fast_and_without_memory():
    content = bomb()
    assert len(content) <= MB
    upload = SimpleUploadedFile("bom.xlsx", content)
    # The high-water mark is the whole process's: reset it to the current size (Linux's
    # clear_refs "5"), so it measures this read alone and not an earlier test's peak.
    Path("/proc/self/clear_refs").write_text("5")
    rss_before = _vm("VmRSS")
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(xlsx.XlsxRefused) as refused, closing(xlsx.read_rows(upload)) as rows:
        list(rows)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "bất thường" in refused.value.message
    assert elapsed < 2
    assert peak < 100 * MB
    assert _vm("VmHWM") - rss_before < 100 * MB


def test_the_zip_directory_is_read_without_decompressing():
    content = bomb(expanded_mb=70)
    with pytest.raises(xlsx.XlsxRefused):
        xlsx.inspect_zip(content)
    xlsx.inspect_zip(genuine_xlsx())  # a real workbook passes


def test_too_many_zip_entries_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(xlsx.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"x/{index}.xml", "<a/>")
    with pytest.raises(xlsx.XlsxRefused):
        xlsx.inspect_zip(out.getvalue())


def test_rows_are_capped_while_streaming():
    upload = SimpleUploadedFile("dai.xlsx", genuine_xlsx([(i, "x") for i in range(1, 30)]))
    with pytest.raises(xlsx.XlsxRefused) as refused:  # noqa: SIM117 (refused while reading)
        with closing(xlsx.read_rows(upload, max_rows=20)) as rows:
            list(rows)
    assert "20" in refused.value.message


def test_columns_are_capped():
    upload = SimpleUploadedFile("rong.xlsx", genuine_xlsx([list(range(200))]))
    with closing(xlsx.read_rows(upload)) as rows:
        (_line, values), *_ = list(rows)
    assert len(values) == xlsx.MAX_COLS


@pytest.mark.parametrize(
    "value",
    [float("inf"), float("-inf"), float("nan"), "a\x00b", "\ud800x", "x" * 3000],
    ids=["inf", "-inf", "nan", "nul", "surrogate", "long"],
)
def test_an_unstorable_cell_becomes_a_problem_of_its_row(value):
    problems: list[str] = []
    assert xlsx.checked(value, 3, problems) is None
    assert problems and problems[0].startswith("Cột 3")


def test_a_nul_escape_in_the_file_is_a_row_problem_not_a_crash():
    workbook = Workbook()
    workbook.active.append(["STT", "Họ tên"])
    workbook.active.append([1, "Lò_x0000_Văn"])  # openpyxl unescapes _x0000_ to NUL
    out = io.BytesIO()
    workbook.save(out)
    with closing(xlsx.read_rows(SimpleUploadedFile("nul.xlsx", out.getvalue()))) as rows:
        lines = list(rows)
    values = lines[1][1]
    assert values[1] is None or "\x00" not in values[1]


# --- exports -------------------------------------------------------------------------------
FORMULA = '=HYPERLINK("http://x"&D3,"Xem")'


@pytest.mark.parametrize("text", [FORMULA, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_the_export_helper_writes_formula_starts_as_text(text):
    workbook, sheet = xlsx.new_export("t")
    sheet.append(xlsx.export_row(sheet, [text, "0912345678"], text_columns={1}))
    reopened = load_workbook(io.BytesIO(xlsx.save(workbook)))
    first, phone = next(reopened.active.iter_rows())
    assert first.data_type == "s"
    assert first.value.startswith("'")
    assert phone.value == "0912345678"
    assert phone.data_type == "s" and phone.number_format == "@"


@pytest.mark.django_db
@pytest.mark.parametrize("importer", ["letter", "stock"])
def test_a_zip_bomb_is_refused_in_the_upload_request_before_any_job_exists(client, cast, importer):
    from django.urls import reverse

    from portal.models import ImportJob
    from tests.factories import letter_draft

    if importer == "letter":
        sign_in(client, cast.clerk_a)
        url = reverse("requests_app:import", args=[letter_draft(cast).pk])
    else:
        sign_in(client, cast.ca_operator)
        url = reverse("devices:stock_import")
    upload = SimpleUploadedFile("bom.xlsx", bomb(expanded_mb=70))
    tracemalloc.start()
    response = client.post(url, {"file": upload})
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 200
    assert "bất thường" in response.context["form"].errors["file"][0]
    assert peak < 30 * MB, "the 70 MB it expands to was never held"
    assert not ImportJob.objects.exists(), "nothing is saved or queued for the worker"
