"""The letters' import: read a sheet (through `portal.lib.xlsx`), check its rows with the rules
of a typed row, keep the good ones (as JSON, in the import job) between preview and
confirmation, and save them."""

import re
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.translation import gettext as _

from portal.field_crypto import blind_index
from portal.imports import PROGRESS_EVERY
from portal.lib.xlsx import MAX_BLANK_RUN, XlsxRefused, read_rows
from requests_app.excel.layouts import (
    CA_DEVICE_TYPES,
    CA_HEADERS,
    CA_ID_PLACES,
    FIELD_COLUMN,
    LAYOUT_CA,
    LAYOUT_HEADERS,
    LAYOUT_LABELS,
    LAYOUT_MAU01,
    MAU01_HEADERS,
)
from requests_app.excel.readers import (
    CellError,
    check_national_id,
    header_key,
    id_lost_leading_zero,
    read_carrier,
    read_date,
    read_national_id,
    read_phone,
    split_id_cell,
    text,
)
from requests_app.exceptions import RowsInvalid
from requests_app.models import RequestRow
from requests_app.rules import ID_LOOKUP_CHUNK, letter_positions, person_rows_facts, rows_errors
from requests_app.services import rows_add_many

HEADER_SEARCH_ROWS = 15
# Refusals of the file as a whole: the reader's (not .xlsx, too big, damaged) and ours.
ImportRefused = XlsxRefused


@dataclass
class SheetRow:
    line: int  # the Excel line number, as the clerk sees it
    data: dict
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    # The CA sheet's "Loại thiết bị" as read (TOKEN, SIM or RSSP; "" for the Mẫu 01 list or a
    # type refused): checked against the letter's variant by `check_rows`.
    device_type: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ParsedSheet:
    layout: str
    rows: list[SheetRow]

    @property
    def layout_label(self) -> str:
        return str(LAYOUT_LABELS[self.layout])

    @property
    def good_rows(self) -> list[SheetRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad_rows(self) -> list[SheetRow]:
        return [row for row in self.rows if not row.ok]


def max_rows() -> int:
    """The most people a sheet may list (PORTAL_IMPORT_MAX_ROWS): the worker reads, checks and
    saves them in chunks; the file's size and zip guards still apply (portal.lib.xlsx)."""
    return settings.PORTAL_IMPORT_MAX_ROWS


# --- reading a workbook --------------------------------------------------------------------
def _detect(header: list[str]) -> str:
    cells = [h for h in header if h]
    if len(cells) >= len(CA_HEADERS) or any(h == "cccd" or "nhà mạng" in h for h in header):
        return LAYOUT_CA
    if len(cells) >= len(MAU01_HEADERS) - 1:
        return LAYOUT_MAU01
    raise ImportRefused(
        _(
            "Không nhận ra mẫu bảng: dòng tiêu đề cần có đủ 11 cột của Mẫu 01 hoặc 19 cột của "
            "bảng Cục CTS&BMTT, bắt đầu bằng cột “STT”."
        )
    )


def _check_headers(layout: str, header: list[str]) -> None:
    expected = LAYOUT_HEADERS[layout]
    for index, (title, fragments) in enumerate(expected):
        found = header[index] if index < len(header) else ""
        if not any(fragment in found for fragment in fragments):
            raise ImportRefused(
                _("Cột thứ %(n)d phải là “%(title)s”, nhưng tệp ghi “%(found)s”.")
                % {"n": index + 1, "title": title, "found": found or _("(trống)")}
            )


def _is_column_numbering(values: list) -> bool:
    """The "(1) (2) (3)…" line some templates put under the header."""
    cells = [text(v) for v in values if text(v)]
    return bool(cells) and all(re.fullmatch(r"\(?\d{1,2}\)?", c) for c in cells[:4])


def read_workbook(upload) -> ParsedSheet:
    """Parse the first sheet; raise ImportRefused when the file cannot be used at all."""
    limit = max_rows()
    # Lines read, blank and numbering lines included: a margin over the rows allowed.
    lines = limit + HEADER_SEARCH_ROWS + 1000
    with closing(read_rows(upload, max_col=len(CA_HEADERS) + 5, max_rows=lines)) as rows:
        header = None
        for line, values in rows:
            if line > HEADER_SEARCH_ROWS:
                break
            normalised = [header_key(v) for v in values]
            if normalised and normalised[0].replace(".", "") == "stt":
                header = normalised
                break
        if header is None:
            raise ImportRefused(
                _("Không tìm thấy dòng tiêu đề (dòng có ô đầu tiên là “STT”) trong 15 dòng đầu.")
            )
        layout = _detect(header)
        _check_headers(layout, header)
        parsed: list[SheetRow] = []
        width = len(LAYOUT_HEADERS[layout])
        blank_run = 0
        for line, values in rows:
            unreadable = getattr(values, "problems", [])
            values_flaws = getattr(values, "flaws", {})
            values = list(values[:width]) + [None] * (width - len(values[:width]))
            if not unreadable and all(v is None or text(v) == "" for v in values[1:]):
                # Numbered but empty lines count as blank too (the reader only stops on
                # wholly empty ones).
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    break
                continue
            blank_run = 0
            if not parsed and _is_column_numbering(values):
                continue  # only ever right under the header
            if len(parsed) >= limit:
                raise ImportRefused(
                    _("Tệp có hơn %(max)d dòng: hãy chia thành nhiều tệp.") % {"max": limit}
                )
            reader = _read_mau01_row if layout == LAYOUT_MAU01 else read_ca_row
            sheet_row = reader(line, values)
            sheet_row.problems.extend(_cell_problems(layout, unreadable, values_flaws))
            parsed.append(sheet_row)
    return ParsedSheet(layout=layout, rows=parsed)


def _cell_problems(layout: str, problems: list[str], flaws: dict[int, str]):
    """The reader's problems of a line, each under its column's title when the column is
    one of the layout's (so the rules say nothing more of that cell: `check_rows`)."""
    headers = LAYOUT_HEADERS[layout]
    named = {message: column for column, message in flaws.items()}
    for problem in problems:
        column = named.get(problem)
        if column is not None and column <= len(headers):
            yield headers[column - 1][0], problem
        else:
            yield _("Ô"), problem


def _cell(row: SheetRow, column: str, reader, value):
    try:
        return reader(value)
    except CellError as exc:
        row.problems.append((column, str(exc)))
        return None


def _read_mau01_row(line: int, v: list) -> SheetRow:
    row = SheetRow(line=line, data={})
    try:
        national_id, issue_date, place = split_id_cell(v[3])
        if national_id:
            check_national_id(national_id, national_id)
    except CellError as exc:
        row.problems.append((MAU01_HEADERS[3][0], str(exc)))
        national_id, issue_date, place = "", None, ""
    if isinstance(issue_date, str):
        row.problems.append(
            (
                MAU01_HEADERS[3][0],
                _("Ngày cấp “%(value)s” không hợp lệ: hãy ghi theo dạng dd/mm/yyyy.")
                % {"value": issue_date},
            )
        )
        issue_date = None
    carrier, keep = read_carrier(v[10])
    row.data = {
        "full_name": text(v[1]),
        "date_of_birth": _cell(row, "Ngày sinh", read_date, v[2]),
        "national_id": national_id,
        "national_id_unconfirmed": id_lost_leading_zero(v[3]),
        "id_issue_date": issue_date,
        "id_issue_place": place,
        "email": text(v[4]).lower(),
        "work_agency": text(v[5]),
        "province_name": text(v[6]),
        "position_title": text(v[7]),
        "mobile": _cell(row, MAU01_HEADERS[8][0], read_phone, v[8]) or "",
        "old_serial": text(v[9]),
        "sim_carrier": carrier,
        "sim_keep_number": keep,
    }
    return row


def read_ca_row(line: int, v: list) -> SheetRow:
    row = SheetRow(line=line, data={})
    levels = [text(x) for x in v[7:11]]
    place = text(v[4]).upper()
    if place and place not in CA_ID_PLACES:
        row.problems.append(
            (
                "Nơi cấp",
                _("Nơi cấp phải là %(a)s hoặc %(b)s.")
                % {"a": CA_ID_PLACES[0], "b": CA_ID_PLACES[1]},
            )
        )
    device_type = text(v[18]).upper() or "TOKEN"
    carrier_text = text(v[16])
    keep_text = text(v[17]).upper()
    carrier, keep = "", False
    if device_type not in CA_DEVICE_TYPES:
        row.problems.append(
            (
                "Loại thiết bị",
                _("Loại thiết bị “%(value)s” không hợp lệ (TOKEN, SIM, SOFT, RSSP, HSM).")
                % {"value": text(v[18])},
            )
        )
    elif device_type == "SIM":
        if not carrier_text:
            row.problems.append(("Nhà mạng", _("Loại thiết bị SIM cần ghi nhà mạng.")))
        carrier, _keep = read_carrier(carrier_text)
        keep = keep_text == "X"
    elif device_type in ("TOKEN", "RSSP"):
        if carrier_text:
            row.problems.append(
                (
                    "Nhà mạng",
                    _("Chỉ ghi nhà mạng khi loại thiết bị là SIM (dòng này là %(value)s).")
                    % {"value": device_type},
                )
            )
    else:
        row.problems.append(
            (
                "Loại thiết bị",
                _(
                    "Mẫu 01 chỉ đề nghị USB Token, SIM PKI hoặc ký số tập trung (RSSP); loại "
                    "“%(value)s” chưa đề nghị được."
                )
                % {"value": device_type},
            )
        )
    if device_type in ("TOKEN", "SIM", "RSSP"):
        row.device_type = device_type
    if keep_text not in ("", "X"):
        row.problems.append(("Là chuyển số (X)", _("Chỉ ghi X hoặc để trống.")))
    row.data = {
        "full_name": text(v[1]),
        "date_of_birth": _cell(row, "Ngày sinh", read_date, v[2]),
        "national_id": _cell(row, CA_HEADERS[3][0], read_national_id, v[3]) or "",
        "national_id_unconfirmed": id_lost_leading_zero(v[3]),
        "id_issue_date": _cell(row, "Ngày cấp", read_date, v[5]),
        "id_issue_place": place,
        "email": text(v[6]).lower(),
        "work_agency": ", ".join(level for level in reversed(levels) if level),
        "province_name": text(v[12]) or text(v[11]),
        "position_title": text(v[13]),
        "mobile": _cell(row, CA_HEADERS[14][0], read_phone, v[14]) or "",
        "old_serial": text(v[15]),
        "sim_carrier": carrier,
        "sim_keep_number": keep,
    }
    return row


# --- checking ------------------------------------------------------------------------------
def check_rows(cert_request, layout: str, rows: list[SheetRow], *, progress=None) -> None:
    """Add to each row's problems: the rules (as for a typed row) and duplicates.
    `progress(done, total)`, when given, hears every PROGRESS_EVERY rows. The rows are checked
    PROGRESS_EVERY at a time, with what the rules read from the database read once per chunk
    (`person_rows_facts`): a few queries per chunk, whatever the sheet's length."""
    columns = FIELD_COLUMN[layout]
    total = len(rows)
    if progress is not None:
        progress(0, total)
    positions = letter_positions(cert_request, (r.data.get("national_id") for r in rows))
    for start in range(0, total, PROGRESS_EVERY):
        chunk = rows[start : start + PROGRESS_EVERY]
        unsaved = [
            RequestRow(cert_request=cert_request, position=index, **sheet_row.data)
            for index, sheet_row in enumerate(chunk, start=start + 1)
        ]
        facts = person_rows_facts(
            cert_request, (row.national_id for row in unsaved), positions=positions
        )
        for sheet_row, errors in zip(chunk, rows_errors(unsaved, facts), strict=True):
            _add_rule_problems(sheet_row, errors, columns)
        done = start + len(chunk)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    _check_duplicates(cert_request, columns, rows)
    for sheet_row in rows:
        _check_variant(cert_request, sheet_row)


def _check_variant(cert_request, row: SheetRow) -> None:
    """A CA sheet's RSSP rows go into Mẫu 01's remote-signing variant, and only they
    (docs/remote-signing.md): one letter is one variant."""
    if not row.device_type:
        return
    if row.device_type == "RSSP" and not cert_request.remote_signing:
        row.problems.append(
            (
                "Loại thiết bị",
                _(
                    "Dòng RSSP (ký số tập trung) cần văn bản “Mẫu 01 – … sử dụng ký số tập "
                    "trung”: tạo văn bản đó và nhập các dòng RSSP vào đó."
                ),
            )
        )
    elif row.device_type != "RSSP" and cert_request.remote_signing:
        row.problems.append(
            (
                "Loại thiết bị",
                _("Văn bản ký số tập trung chỉ nhận dòng loại RSSP (dòng này là %(value)s).")
                % {"value": row.device_type},
            )
        )


def _add_rule_problems(sheet_row: SheetRow, errors: dict, columns: dict) -> None:
    read_problems = {column for column, _message in sheet_row.problems}
    for name, messages in errors.items():
        column = columns.get(name, "—")
        if column in read_problems:
            continue  # one message per cell: the reader's says what the cell held
        for message in messages:
            if isinstance(message, SafeData):
                # The report is kept as JSON and shown escaped: a rule's link is left out.
                message = strip_tags(message)
            if (column, message) not in sheet_row.problems:
                sheet_row.problems.append((column, message))


def _check_duplicates(cert_request, columns: dict, rows: list[SheetRow]) -> None:
    for key, label in (("national_id", _("số định danh")), ("email", _("thư điện tử"))):
        values = sorted({r.data[key] for r in rows if r.data.get(key)})
        existing: dict[str, int] = {}
        # The ID number is encrypted: looked up by its blind index (docs/privacy-at-rest.md).
        column = "national_id_index" if key == "national_id" else key
        for start in range(0, len(values), ID_LOOKUP_CHUNK):
            chunk = values[start : start + ID_LOOKUP_CHUNK]
            stored = {blind_index(v) if key == "national_id" else v: v for v in chunk}
            existing.update(
                (stored[found], position)
                for found, position in cert_request.rows.filter(
                    **{f"{column}__in": list(stored)}
                ).values_list(column, "position")
            )
        first_line: dict[str, int] = {}
        for sheet_row in rows:
            value = sheet_row.data.get(key)
            if not value:
                continue
            if value in existing:
                sheet_row.problems.append(
                    (
                        columns[key],
                        _("Trùng %(what)s với dòng %(n)d đã có trong văn bản.")
                        % {"what": label, "n": existing[value]},
                    )
                )
            elif value in first_line:
                sheet_row.problems.append(
                    (
                        columns[key],
                        _("Trùng %(what)s với dòng %(line)d của tệp.")
                        % {"what": label, "line": first_line[value]},
                    )
                )
            else:
                first_line[value] = sheet_row.line


# --- kept in the import job between the preview and the confirmation --------------------------------------
DATE_FIELDS = ("date_of_birth", "id_issue_date")


def to_payload(layout: str, rows: list[SheetRow]) -> dict:
    """JSON-safe (dates as ISO strings) for the import job's result."""
    return {
        "layout": layout,
        "rows": [
            {
                "line": r.line,
                "data": {
                    k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.data.items()
                },
            }
            for r in rows
        ],
    }


def from_payload(payload: dict) -> ParsedSheet:
    rows = []
    for item in payload["rows"]:
        data = dict(item["data"])
        for name in DATE_FIELDS:
            if data.get(name):
                data[name] = date.fromisoformat(data[name])
        rows.append(SheetRow(line=item["line"], data=data))
    return ParsedSheet(layout=payload["layout"], rows=rows)


def save_rows(*, cert_request, by, layout: str, rows: list[SheetRow]) -> int:
    """Add the rows through `rows_add_many`, all or none. Rows the rules now refuse (something
    changed since the preview) get their problems and nothing is saved: raises RowsInvalid
    after filling `problems`."""
    columns = FIELD_COLUMN[layout]
    try:
        rows_add_many(
            cert_request=cert_request, by=by, rows_data=[r.data for r in rows], return_rows=False
        )
    except RowsInvalid as exc:
        for index, errors in exc.errors.items():
            for name, messages in errors.items():
                rows[index].problems.extend((columns.get(name, "—"), m) for m in messages)
        raise
    return len(rows)
