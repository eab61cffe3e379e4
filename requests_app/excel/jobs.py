"""A letter's Excel import as an import job (docs/architecture.md §4.7): the upload is inspected
and saved in the request, the worker reads and checks the rows, the clerk previews the job's
result and confirms it; the confirmation checks the rows again and adds them all or none."""

from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.imports import (
    import_job_confirm,
    import_job_create,
    import_job_result_replace,
    import_job_run,
    job_upload,
)
from portal.models import ImportJob
from requests_app.excel.importing import (
    ImportRefused,
    ParsedSheet,
    check_rows,
    from_payload,
    read_workbook,
    save_rows,
    to_payload,
)
from requests_app.exceptions import RowsInvalid
from requests_app.models import CertRequest

LETTER_IMPORT = "letter_rows"


class PreviewChanged(DomainError):
    """The letter changed since the parse: some good rows are no longer; `result` is the
    preview as it now stands. Nothing was added."""

    def __init__(self, result: dict):
        super().__init__(
            _(
                "Văn bản đã thay đổi từ lúc xem trước: một số dòng không còn hợp lệ. Chưa dòng "
                "nào được thêm; hãy xem lại danh sách dưới đây."
            ),
            code="preview_changed",
        )
        self.result = result


def letter_import_start(*, cert_request: CertRequest, upload, by) -> ImportJob:
    """Inspect the file (ImportRefused when unusable) and queue its parse; nothing is read."""
    return import_job_create(owner=by, kind=LETTER_IMPORT, upload=upload, target_id=cert_request.pk)


def letter_import_parse(*, job_id: int) -> str:
    """The worker: read the sheet, check every row against the letter (`import_job_run`)."""
    return import_job_run(job_id=job_id, parse=_parse)


def _parse(job: ImportJob, progress) -> tuple[dict, int]:
    cert_request = CertRequest.objects.filter(pk=job.target_id).first()
    if cert_request is None:
        raise DomainError(_("Văn bản của lần nhập này không còn nữa."), code="letter_gone")
    sheet = read_workbook(job_upload(job))
    if not sheet.rows:
        raise ImportRefused(_("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."))
    check_rows(cert_request, sheet.layout, sheet.rows, progress=progress)
    return sheet_result(sheet, rows_read=len(sheet.rows)), len(sheet.rows)


def sheet_result(sheet: ParsedSheet, *, rows_read: int, problems=()) -> dict:
    """The job's result: the good rows (JSON-safe), every problem as (line, column, message)."""
    found = [list(p) for p in problems] + [
        [row.line, str(column), str(message)]
        for row in sheet.bad_rows
        for column, message in row.problems
    ]
    return {
        "layout": sheet.layout,
        "rows_read": rows_read,
        "good": to_payload(sheet.layout, sheet.good_rows)["rows"],
        "problems": sorted(found, key=lambda p: p[0]),
    }


def result_sheet(result: dict) -> ParsedSheet:
    """The good rows of a job's result, as sheet rows to check again or save."""
    return from_payload({"layout": result["layout"], "rows": result["good"]})


def letter_import_confirm(*, job: ImportJob, cert_request: CertRequest, by) -> int:
    """Add the job's good rows to the letter, all or none, once they pass the rules again.
    Raises ImportJobNotReady (the job is not ready), PreviewChanged (the rows no longer all
    pass: the job's preview is updated) or the letter's DomainError."""

    def apply(locked: ImportJob) -> int:
        sheet = result_sheet(locked.result)
        check_rows(cert_request, sheet.layout, sheet.rows)
        if not sheet.bad_rows:
            try:
                return save_rows(
                    cert_request=cert_request, by=by, layout=sheet.layout, rows=sheet.rows
                )
            except RowsInvalid:
                pass  # save_rows filled the rows' problems
        raise PreviewChanged(
            sheet_result(
                sheet,
                rows_read=locked.result.get("rows_read", 0),
                problems=locked.result.get("problems", []),
            )
        )

    try:
        return import_job_confirm(job=job, by=by, apply=apply)
    except PreviewChanged as exc:
        import_job_result_replace(job=job, result=exc.result)
        raise
