"""A letter's Excel import as an import job (docs/processing.md §4.7): the upload is inspected
and saved in the request; the worker reads and checks the rows; the clerk previews the job's
result and confirms it, which only queues the save; the worker then checks the rows again and
adds them all or none, once (`LetterImport`, one per job), and the page follows its progress."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.imports import (
    ImportResultChanged,
    import_job_confirm_queue,
    import_job_create,
    import_job_run,
    import_job_save_run,
    job_upload,
)
from portal.models import ImportJob
from requests_app.choices import LETTER_IMPORT
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
from requests_app.models import CertRequest, LetterImport


class PreviewChanged(ImportResultChanged):
    """The letter changed since the parse: some good rows are no longer; `result` is the
    preview as it now stands. Nothing was added."""

    def __init__(self, result: dict):
        super().__init__(
            _(
                "Văn bản đã thay đổi từ lúc xem trước: một số dòng không còn hợp lệ. Chưa dòng "
                "nào được thêm; hãy xem lại danh sách dưới đây."
            ),
            result=result,
        )


class AlreadyImported(DomainError):
    """The job's rows are in the letter already (`LetterImport`): a second run adds nothing."""


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


def letter_import_confirm(*, job: ImportJob, cert_request: CertRequest, by) -> ImportJob:
    """The clerk's confirmation (web request): the job, still ready, is queued for the worker
    to save (`letter_import_save`); nothing is checked or written here. Raises
    ImportJobNotReady when the job is not ready."""
    if job.target_id != cert_request.pk:
        raise ValueError("the job is another letter's")
    return import_job_confirm_queue(job=job, by=by)


def letter_import_save(*, job_id: int) -> str:
    """The worker: check the job's good rows again (progress on the page), then add them all
    or none to the letter, once (`import_job_save_run`)."""
    return import_job_save_run(job_id=job_id, save=_save)


def _save(job: ImportJob, progress):
    cert_request = CertRequest.objects.filter(pk=job.target_id).first()
    if cert_request is None:
        raise DomainError(_("Văn bản của lần nhập này không còn nữa."), code="letter_gone")
    sheet = result_sheet(job.result)
    check_rows(cert_request, sheet.layout, sheet.rows, progress=progress)
    if sheet.bad_rows:
        raise PreviewChanged(_preview_now(job, sheet))

    def write(locked: ImportJob) -> int:
        try:
            return letter_rows_import(
                cert_request=cert_request, job=locked, by=locked.owner, sheet=sheet
            )
        except RowsInvalid:
            # The letter changed between the check and its lock: save_rows filled the rows'
            # problems; nothing was added.
            raise PreviewChanged(_preview_now(job, sheet)) from None

    return write


def _preview_now(job: ImportJob, sheet: ParsedSheet) -> dict:
    return sheet_result(
        sheet,
        rows_read=job.result.get("rows_read", 0),
        problems=job.result.get("problems", []),
    )


def letter_rows_import(*, cert_request: CertRequest, job: ImportJob, by, sheet: ParsedSheet) -> int:
    """Add the sheet's rows to the letter for this job, all or none, and record it
    (`LetterImport`: one per job, a constraint, so a second run raises AlreadyImported and
    adds nothing). Raises RowsInvalid (the rows' problems filled) or the letter's DomainError."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = LetterImport.objects.create(
                    cert_request=cert_request,
                    job=job,
                    rows=len(sheet.rows),
                    first_position=0,
                    created_by=by,
                )
        except IntegrityError as exc:
            raise AlreadyImported(
                _("Các dòng của lần nhập này đã được thêm."), code="already_imported"
            ) from exc
        count = save_rows(cert_request=cert_request, by=by, layout=sheet.layout, rows=sheet.rows)
        last = cert_request.rows.aggregate(m=Max("position"))["m"] or 0
        LetterImport.objects.filter(pk=record.pk).update(first_position=last - count + 1)
    return count
