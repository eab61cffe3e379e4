"""The CA's stock import as an import job (docs/processing.md §4.7): the upload is inspected
and saved in the request, the worker reads and checks every line, the CA operator previews the
job's result and confirms it; the confirmation checks everything again and imports every
device or none (`device_import_stock`)."""

from django.utils.translation import gettext as _

from devices.excel import read_stock_workbook
from devices.models import Device
from devices.permissions import is_ca, require
from devices.services import StockImportRefused, StockRow, device_import_stock, stock_rows_check
from portal.imports import import_job_confirm, import_job_create, import_job_run, job_upload
from portal.models import ImportJob

STOCK_IMPORT = "device_stock"


def stock_import_start(*, upload, by) -> ImportJob:
    """Inspect the file (XlsxRefused when unusable) and queue its parse; nothing is read."""
    require(is_ca(by))
    return import_job_create(owner=by, kind=STOCK_IMPORT, upload=upload)


def stock_import_parse(*, job_id: int) -> str:
    """The worker: read every line and check it (`import_job_run`)."""
    return import_job_run(job_id=job_id, parse=_parse)


def _parse(job: ImportJob, progress) -> tuple[dict, int]:
    parsed = read_stock_workbook(job_upload(job))
    problems = stock_rows_check(parsed.rows, progress=progress)
    for line, messages in parsed.problems.items():
        problems[line] = messages + [m for m in problems.get(line, []) if m not in messages]
    file_problems = problems.pop(0, [])
    result = {
        "rows": [row.as_dict() for row in parsed.rows],
        # JSON keys are text: the Excel line numbers as strings.
        "problems": {str(line): [str(m) for m in found] for line, found in problems.items()},
        "file_problems": [str(m) for m in file_problems],
    }
    return result, len(parsed.rows)


def result_rows(result: dict) -> list[StockRow]:
    return [StockRow(**item) for item in result.get("rows", [])]


def stock_import_confirm(*, job: ImportJob, by) -> list[Device]:
    """Import the job's devices, all or none. Raises ImportJobNotReady (the job is not ready)
    or StockImportRefused (a line has problems, now or since the parse)."""

    def apply(locked: ImportJob) -> list[Device]:
        if locked.result.get("problems") or locked.result.get("file_problems"):
            raise StockImportRefused(
                {0: [_("Tệp có dòng lỗi: sửa tệp rồi tải lên lại, chưa thiết bị nào được nhập.")]}
            )
        return device_import_stock(rows=result_rows(locked.result), by=by)

    return import_job_confirm(job=job, by=by, apply=apply)
