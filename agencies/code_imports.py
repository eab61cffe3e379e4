"""The official list of electronic identifiers (mã định danh, Quyết định 20/2020/QĐ-TTg) as
an import job (docs/processing.md §4.7, docs/exchange.md "Agency codes"): the upload is
inspected and saved in the request (`portal.lib.xlsx.inspect_upload`: size, zip bomb), the
worker reads and checks every line (`organization_codes_check`), the administrator previews the
result and confirms; the worker then checks everything again (a line that no longer passes
sends the job back to its preview) and, under the rows' locks, writes every code or none
(`organization_codes_apply`).

The file (first sheet, header line among the first 10, columns in any order):

| column (any of these headers)                         | content                            |
|-------------------------------------------------------|------------------------------------|
| Mã định danh / Mã định danh điện tử / Mã / MaDinhDanh | the code, e.g. 000.00.05.H29       |
| Tên cơ quan / Tên đơn vị / Tên cơ quan, tổ chức / TenDonVi | the organisation's name       |
| Mã cấp trên / Mã định danh cấp trên (optional)        | the parent's code, when the code's own higher groups are not its parent's |

"STT" and any other column are ignored, as are blank lines.
"""

import re
import unicodedata
from collections.abc import Callable
from contextlib import closing

from django.utils.translation import gettext as _

from agencies.models import Organization
from agencies.services import (
    MAX_CODE_ROWS,
    CodeRow,
    CodesChanged,
    CodesCheck,
    organization_codes_apply,
    organization_codes_check,
)
from portal.errors import DomainError
from portal.imports import (
    ImportResultChanged,
    import_job_confirm_queue,
    import_job_create,
    import_job_run,
    import_job_save_run,
    job_upload,
)
from portal.lib.xlsx import XlsxRefused, read_rows
from portal.models import ImportJob

ORGANIZATION_CODES = "organization_codes"
HEADER_SEARCH_ROWS = 10
HEADERS = {
    "code": {
        "mã định danh",
        "mã định danh điện tử",
        "mã định danh cơ quan",
        "mã",
        "ma dinh danh",
        "madinhdanh",
        "code",
        *(f"mã định danh cấp {n}" for n in range(1, 5)),
        *(f"madinhdanhcap{n}" for n in range(1, 5)),
    },
    "name": {
        "tên cơ quan",
        "tên đơn vị",
        "tên cơ quan, tổ chức",
        "tên cơ quan, đơn vị",
        "tên",
        "ten co quan",
        "ten don vi",
        "tendonvi",
        "name",
    },
    "parent_code": {
        "mã cấp trên",
        "mã định danh cấp trên",
        "mã cơ quan cấp trên",
        "ma cap tren",
        "parent code",
        "parent",
    },
}
# The blank template's headers: one accepted name per column.
TEMPLATE_HEADERS = ["Mã định danh", "Tên cơ quan", "Mã cấp trên"]


def _norm(value) -> str:
    if value is None:
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()


def _columns(header: list) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = _norm(cell).lower().rstrip(":*").strip()
        for key, names in HEADERS.items():
            if label in names and key not in found:
                found[key] = index
    return found if "code" in found and "name" in found else None


def read_codes_workbook(upload) -> tuple[list[CodeRow], dict[int, list[str]]]:
    """The lines of the list and the problems of unreadable cells, by line; XlsxRefused when
    the file itself cannot be used (not .xlsx, too big, damaged, no header line)."""
    with closing(read_rows(upload, max_rows=MAX_CODE_ROWS + HEADER_SEARCH_ROWS)) as rows:
        columns = None
        for line, values in rows:
            columns = _columns(values)
            if columns or line >= HEADER_SEARCH_ROWS:
                break
        if not columns:
            raise XlsxRefused(
                _(
                    "Không tìm thấy dòng tiêu đề: tệp cần các cột “Mã định danh” và “Tên cơ "
                    "quan” (có thể thêm “Mã cấp trên”)."
                )
            )
        parsed: list[CodeRow] = []
        problems: dict[int, list[str]] = {}
        for number, values in rows:
            unreadable = list(getattr(values, "problems", []))
            if not any(_norm(v) for v in values) and not unreadable:
                continue

            def cell(key, values=values):
                index = columns.get(key)
                return _norm(values[index]) if index is not None and index < len(values) else ""

            parsed.append(
                CodeRow(
                    line=number,
                    code=cell("code"),
                    name=cell("name"),
                    parent_code=cell("parent_code"),
                )
            )
            if unreadable:
                problems[number] = unreadable
        return parsed, problems


def _same_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").split()).casefold()


def codes_import_start(*, upload, by) -> ImportJob:
    """Inspect the file (XlsxRefused when unusable) and queue its parse; nothing is read."""
    return import_job_create(owner=by, kind=ORGANIZATION_CODES, upload=upload)


def codes_import_parse(*, job_id: int) -> str:
    """The worker: read every line and check it (`import_job_run`)."""
    return import_job_run(job_id=job_id, parse=_parse)


def check_result(rows: list[CodeRow], unreadable: dict[int, list[str]]) -> dict:
    """The job's result: every line, what the import would do, the problems by line."""
    check: CodesCheck = organization_codes_check(rows)
    for line, messages in unreadable.items():
        check.problems[line] = messages + check.problems.get(line, [])
    # A line whose code an organisation of another name holds keeps that organisation (the
    # code decides); the preview shows the portal's name so that a wrong code is seen.
    lines = {row.line: row for row in rows}
    names = dict(
        Organization.objects.filter(pk__in=set(check.matched.values())).values_list("pk", "name")
    )
    differing = {
        str(line): names[pk]
        for line, pk in check.matched.items()
        if pk in names and _same_name(names[pk]) != _same_name(lines[line].name)
    }
    return {
        "rows": [row.as_dict() for row in rows],
        "plans": {str(plan.line): plan.old for plan in check.plans},
        "unchanged": check.unchanged,
        "skipped": check.skipped,
        "anywhere": check.anywhere,
        "names": differing,
        # JSON keys are text: the Excel line numbers as strings.
        "problems": {str(line): [str(m) for m in found] for line, found in check.problems.items()},
    }


def _parse(job: ImportJob, progress) -> tuple[dict, int]:
    rows, unreadable = read_codes_workbook(job_upload(job))
    if not rows:
        raise XlsxRefused(_("Tệp không có dòng mã định danh nào dưới dòng tiêu đề."))
    progress(0, len(rows))
    return check_result(rows, unreadable), len(rows)


def result_rows(result: dict) -> list[CodeRow]:
    return [CodeRow(**item) for item in result.get("rows", [])]


def codes_import_confirm(*, job: ImportJob, by) -> ImportJob:
    """The owner's confirmation: the worker writes the codes (`codes_import_save`). Raises
    DomainError "agency_codes_refused" when the preview has problems (nothing is queued),
    ImportJobNotReady when the job is not ready."""
    if job.result.get("problems"):
        raise DomainError(
            _("Tệp có dòng lỗi: sửa tệp rồi tải lên lại, chưa mã định danh nào được ghi."),
            code="agency_codes_refused",
        )
    return import_job_confirm_queue(job=job, by=by)


def codes_import_save(*, job_id: int) -> str:
    """The worker: check every line again, then write every code or none, once
    (`import_job_save_run`: a duplicate delivery finds the job no longer confirming)."""
    return import_job_save_run(job_id=job_id, save=_save)


def _save(job: ImportJob, progress) -> Callable[[ImportJob], CodesCheck]:
    rows = result_rows(job.result)
    progress(0, len(rows))
    result = check_result(rows, {})
    if result["problems"]:
        raise ImportResultChanged(
            _(
                "Từ lúc kiểm tra, cây cơ quan đã thay đổi và có dòng không còn hợp lệ: xem lại "
                "kết quả; chưa mã định danh nào được ghi."
            ),
            result=result,
            code="agency_codes_changed",
        )
    progress(len(rows), len(rows))

    def write(locked: ImportJob) -> CodesCheck:
        try:
            return organization_codes_apply(rows=rows, by=locked.owner)
        except CodesChanged as exc:  # back to the preview, as it now stands
            exc.result = check_result(rows, {})
            raise

    return write
