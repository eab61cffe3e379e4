"""Excel import and export of a Mẫu 01 letter's rows (DOMAIN §3), with openpyxl.

Two layouts are read, recognised from their header row (the first row, among the first 15,
whose first cell is "STT"); every header cell is checked against the expected column:

* **Mẫu 01 list**, 11 columns: STT; Họ và tên; Ngày sinh; Số định danh cá nhân / ngày cấp,
  nơi cấp; Địa chỉ thư điện tử công vụ; Tên cơ quan, tổ chức công tác; Tỉnh/Thành phố; Chức vụ;
  Số điện thoại di động; Số hiệu chứng thư cũ (nếu có); SIM PKI.
* **The CA's sheet**, 19 columns: STT; Họ tên; Ngày sinh; CCCD; Nơi cấp; Ngày cấp; Địa chỉ thư
  điện tử công vụ; Tổ chức cấp 1..4; Tỉnh thành phố; Tỉnh/Thành phố; Chức vụ; Điện thoại; Serial
  CTS cũ; Nhà mạng; Là chuyển số (X); Loại thiết bị.

How cells are read:

* **The combined cell "Số định danh cá nhân / ngày cấp, nơi cấp"** (Mẫu 01): the ID is the first
  run of digits; the issue date is the first date after it (d/m/yyyy, with "/", "-" or ".");
  the place is what follows the date, without the separators (" / , ; -", line breaks) and
  without the words "ngày cấp" / "nơi cấp". So "012190001234 / 01/07/2021, CCSQLHCVTTXH",
  "012190001234\\n01/07/2021\\nCCSQLHCVTTXH" and "012190001234; 01/07/2021; Cục CS QLHC về
  TTXH" all give the same three values. A cell with only the ID leaves date and place blank
  (the rules then ask for them).
* **Dates** may be real Excel dates, Excel day numbers, or text dd/mm/yyyy (also d-m-yyyy,
  d.m.yyyy, yyyy-mm-dd).
* **Numbers that lost their leading 0**: a mobile number stored as a number (912345678) gets its
  0 back; "+84…" / "84…" (11 digits) become "0…". An ID stored as a number is padded to 12
  digits (IDs begin with a province code such as 001).
* **Text** is NFC-normalised (Excel may hand over decomposed diacritics) and its runs of
  blanks collapsed; e-mail addresses are lower-cased.
* **SIM PKI** (Mẫu 01): "Viettel", "Vinaphone", "Mobifone", optionally followed by "/cs" (keep
  the current number); blank means a USB token. CA sheet: "Loại thiết bị" TOKEN (or blank) or
  SIM with "Nhà mạng" and "Là chuyển số" = X; SOFT, RSSP and HSM cannot be asked for on Mẫu 01.
* **CA sheet organisation levels**: "Tổ chức cấp 1..4" are joined from the lowest level to
  the highest ("Phòng Ngân sách, Sở Tài chính") into the row's "Tên cơ quan, tổ chức công tác";
  the export splits that name back at ", " (everything in level 1 if it has more than 4 parts).
  Of the two province columns, "Tỉnh/Thành phố" wins, "Tỉnh thành phố" is the fallback; the
  export writes the row's province in both.

Every row is then checked with the same rules as a row typed in the browser (`row_errors` on an
unsaved `RequestRow`), plus duplicates (same ID or e-mail) within the file and against the
letter's rows. Nothing is saved until the clerk confirms; `save_rows` then adds the good rows in
one transaction through `rows_add_many`.
"""

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app.choices import FormKind, SimCarrier
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowsInvalid
from requests_app.models import RequestRow
from requests_app.rules import row_errors
from requests_app.services import rows_add_many

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
HEADER_SEARCH_ROWS = 15
# Reading stops after this many empty lines in a row: a sheet formatted down to line 1,048,576
# is not read to its end.
MAX_BLANK_RUN = 200
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

LAYOUT_MAU01 = "mau01"
LAYOUT_CA = "ca19"
LAYOUT_LABELS = {
    LAYOUT_MAU01: gettext_lazy("Danh sách theo Mẫu 01 (11 cột)"),
    LAYOUT_CA: gettext_lazy("Bảng của Cục CTS&BMTT (19 cột)"),
}

# (header as written, fragments of which one must appear in the normalised header)
MAU01_HEADERS = [
    ("STT", ("stt",)),
    ("Họ và tên", ("họ và tên", "họ tên")),
    ("Ngày sinh", ("ngày sinh",)),
    ("Số định danh cá nhân / ngày cấp, nơi cấp", ("định danh", "cccd", "căn cước")),
    ("Địa chỉ thư điện tử công vụ", ("thư điện tử", "email", "e-mail")),
    ("Tên cơ quan, tổ chức công tác", ("cơ quan", "tổ chức")),
    ("Tỉnh/Thành phố", ("tỉnh", "thành phố")),
    ("Chức vụ", ("chức vụ",)),
    ("Số điện thoại di động", ("điện thoại",)),
    ("Số hiệu chứng thư cũ (nếu có)", ("chứng thư cũ", "serial", "số hiệu")),
    ("SIM PKI", ("sim",)),
]
CA_HEADERS = [
    ("STT", ("stt",)),
    ("Họ tên", ("họ tên", "họ và tên")),
    ("Ngày sinh", ("ngày sinh",)),
    ("CCCD", ("cccd", "định danh", "căn cước")),
    ("Nơi cấp", ("nơi cấp",)),
    ("Ngày cấp", ("ngày cấp",)),
    ("Địa chỉ thư điện tử công vụ", ("thư điện tử", "email", "e-mail")),
    ("Tổ chức cấp 1", ("cấp 1",)),
    ("Tổ chức cấp 2", ("cấp 2",)),
    ("Tổ chức cấp 3", ("cấp 3",)),
    ("Tổ chức cấp 4", ("cấp 4",)),
    ("Tỉnh thành phố", ("tỉnh", "thành phố")),
    ("Tỉnh/Thành phố", ("tỉnh", "thành phố")),
    ("Chức vụ", ("chức vụ",)),
    ("Điện thoại", ("điện thoại",)),
    ("Serial CTS cũ", ("serial", "cts cũ", "chứng thư cũ")),
    ("Nhà mạng", ("nhà mạng",)),
    ("Là chuyển số (X)", ("chuyển số",)),
    ("Loại thiết bị", ("loại thiết bị", "thiết bị")),
]
LAYOUT_HEADERS = {LAYOUT_MAU01: MAU01_HEADERS, LAYOUT_CA: CA_HEADERS}

# Which file column a row field came from, to name it in the error report.
FIELD_COLUMN = {
    LAYOUT_MAU01: {
        "full_name": "Họ và tên",
        "date_of_birth": "Ngày sinh",
        "national_id": "Số định danh cá nhân / ngày cấp, nơi cấp",
        "id_issue_date": "Số định danh cá nhân / ngày cấp, nơi cấp",
        "id_issue_place": "Số định danh cá nhân / ngày cấp, nơi cấp",
        "email": "Địa chỉ thư điện tử công vụ",
        "work_agency": "Tên cơ quan, tổ chức công tác",
        "province_name": "Tỉnh/Thành phố",
        "position_title": "Chức vụ",
        "mobile": "Số điện thoại di động",
        "old_serial": "Số hiệu chứng thư cũ (nếu có)",
        "sim_carrier": "SIM PKI",
        "sim_keep_number": "SIM PKI",
    },
    LAYOUT_CA: {
        "full_name": "Họ tên",
        "date_of_birth": "Ngày sinh",
        "national_id": "CCCD",
        "id_issue_date": "Ngày cấp",
        "id_issue_place": "Nơi cấp",
        "email": "Địa chỉ thư điện tử công vụ",
        "work_agency": "Tổ chức cấp 1..4",
        "province_name": "Tỉnh/Thành phố",
        "position_title": "Chức vụ",
        "mobile": "Điện thoại",
        "old_serial": "Serial CTS cũ",
        "sim_carrier": "Nhà mạng",
        "sim_keep_number": "Là chuyển số (X)",
    },
}
# The two police bodies that issue ID cards, as the CA's sheet writes them (DOMAIN §3).
CA_ID_PLACES = ("CCSQLHCVTTXH", "CCSĐKQLCTVDLQGVDC")
CA_DEVICE_TYPES = ("TOKEN", "SIM", "SOFT", "RSSP", "HSM")
CARRIER_NAMES = {value: value for value in SimCarrier.values} | {
    "vina": SimCarrier.VINAPHONE,
    "vinafone": SimCarrier.VINAPHONE,
    "mobi": SimCarrier.MOBIFONE,
    "mobiphone": SimCarrier.MOBIFONE,
}


class ImportRefused(Exception):
    """The file cannot be read at all (not .xlsx, too big, unknown layout); Vietnamese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class SheetRow:
    line: int  # the Excel line number, as the clerk sees it
    data: dict
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, message)

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


# --- cell readers --------------------------------------------------------------------------
def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()


def _header(value) -> str:
    return _norm(str(value or "")).lower()


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "X" if value else ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return _norm(str(value))


DATE_RE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class CellError(ValueError):
    pass


def read_date(value) -> date | None:
    """A real date, an Excel day number, or text dd/mm/yyyy; None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value <= 80000:
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        raise CellError(_("Ngày không hợp lệ: hãy ghi theo dạng dd/mm/yyyy."))
    raw = text(value)
    iso = ISO_RE.match(raw)
    match = DATE_RE.fullmatch(raw)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        pass
    raise CellError(
        _("Ngày “%(value)s” không hợp lệ: hãy ghi theo dạng dd/mm/yyyy.") % {"value": raw}
    )


def read_phone(value) -> str:
    """A mobile number with its leading 0, whatever Excel did to it."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
    else:
        digits = re.sub(r"[\s.\-()]", "", text(value))
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif digits.isdigit() and len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    return digits


def read_national_id(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
        return digits.zfill(12) if len(digits) < 12 else digits
    return re.sub(r"[\s.]", "", text(value))


PLACE_LABELS = re.compile(r"(?i)\b(ngày cấp|nơi cấp|cấp ngày|cấp tại)\s*:?")


def split_id_cell(value) -> tuple[str, str | date | None, str]:
    """Split "Số định danh cá nhân / ngày cấp, nơi cấp" into (ID, issue date, place).

    The ID is the first run of digits, the date the first date after it, the place what
    follows the date without separators. An unreadable date is returned as its text, for the
    caller to report.
    """
    if value is None or value == "":
        return "", None, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_national_id(value), None, ""
    raw = unicodedata.normalize("NFC", str(value)).strip()
    match = re.match(r"\s*(\d+)", raw)
    if not match:
        return "", None, _norm(raw)
    national_id = match[1]
    rest = raw[match.end() :]
    found = DATE_RE.search(rest)
    issue_date: str | date | None = None
    if found:
        try:
            issue_date = date(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            issue_date = found[0]
        place = rest[found.end() :]
    else:
        place = rest
    place = PLACE_LABELS.sub(" ", place)
    place = _norm(re.sub(r"^[\s/,;:\-]+|[\s/,;:\-]+$", "", place.replace("\n", " ")))
    return national_id, issue_date, place


def read_carrier(value: str) -> tuple[str, bool]:
    """("viettel", keep number?) from "Viettel /cs"; unknown names pass through for the rules
    (the carrier choices are the model's) to refuse."""
    raw = text(value).lower()
    keep = False
    if "/cs" in raw.replace(" ", ""):
        keep = True
        raw = re.sub(r"/\s*cs\b", "", raw).strip()
    raw = raw.strip(" /")
    return CARRIER_NAMES.get(raw.replace(" ", ""), raw), keep


# --- reading a workbook --------------------------------------------------------------------
def _open(upload):
    from openpyxl import load_workbook

    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(".xlsx"):
        raise ImportRefused(
            _("Chỉ nhận tệp Excel .xlsx (tệp .xls cũ hãy mở bằng Excel và lưu lại dạng .xlsx).")
        )
    if upload.size > MAX_BYTES:
        raise ImportRefused(
            _("Tệp quá lớn (%(size)s MB): tối đa %(max)d MB.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}", "max": MAX_BYTES // 1024 // 1024}
        )
    content = upload.read()
    if not content.startswith(b"PK"):
        raise ImportRefused(_("Tệp không phải là tệp Excel .xlsx hợp lệ."))
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise ImportRefused(_("Không đọc được tệp Excel: tệp bị hỏng hoặc sai định dạng.")) from exc


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
    workbook = _open(upload)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=len(CA_HEADERS) + 5)
        header = None
        header_line = 0
        for line, values in enumerate(rows, start=1):
            if line > HEADER_SEARCH_ROWS:
                break
            normalised = [_header(v) for v in values]
            if normalised and normalised[0].replace(".", "") == "stt":
                header, header_line = normalised, line
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
        for line, values in enumerate(rows, start=header_line + 1):
            values = list(values[:width]) + [None] * (width - len(values[:width]))
            if all(v is None or text(v) == "" for v in values[1:]):
                blank_run += 1
                if blank_run >= MAX_BLANK_RUN:
                    break  # formatted but empty lines to the end of the sheet
                continue
            blank_run = 0
            if _is_column_numbering(values):
                continue
            if len(parsed) >= MAX_ROWS:
                raise ImportRefused(
                    _("Tệp có hơn %(max)d dòng: hãy chia thành nhiều tệp.") % {"max": MAX_ROWS}
                )
            reader = _read_mau01_row if layout == LAYOUT_MAU01 else _read_ca_row
            parsed.append(reader(line, values))
    finally:
        workbook.close()
    return ParsedSheet(layout=layout, rows=parsed)


def _cell(row: SheetRow, column: str, reader, value):
    try:
        return reader(value)
    except CellError as exc:
        row.problems.append((column, str(exc)))
        return None


def _read_mau01_row(line: int, v: list) -> SheetRow:
    row = SheetRow(line=line, data={})
    national_id, issue_date, place = split_id_cell(v[3])
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
        "id_issue_date": issue_date,
        "id_issue_place": place,
        "email": text(v[4]).lower(),
        "work_agency": text(v[5]),
        "province_name": text(v[6]),
        "position_title": text(v[7]),
        "mobile": read_phone(v[8]),
        "old_serial": text(v[9]),
        "sim_carrier": carrier,
        "sim_keep_number": keep,
    }
    return row


def _read_ca_row(line: int, v: list) -> SheetRow:
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
    elif device_type == "TOKEN":
        if carrier_text:
            row.problems.append(
                ("Nhà mạng", _("Chỉ ghi nhà mạng khi loại thiết bị là SIM (dòng này là TOKEN)."))
            )
    else:
        row.problems.append(
            (
                "Loại thiết bị",
                _("Mẫu 01 chỉ đề nghị USB Token hoặc SIM PKI; loại “%(value)s” chưa đề nghị được.")
                % {"value": device_type},
            )
        )
    if keep_text not in ("", "X"):
        row.problems.append(("Là chuyển số (X)", _("Chỉ ghi X hoặc để trống.")))
    row.data = {
        "full_name": text(v[1]),
        "date_of_birth": _cell(row, "Ngày sinh", read_date, v[2]),
        "national_id": read_national_id(v[3]),
        "id_issue_date": _cell(row, "Ngày cấp", read_date, v[5]),
        "id_issue_place": place,
        "email": text(v[6]).lower(),
        "work_agency": ", ".join(level for level in reversed(levels) if level),
        "province_name": text(v[12]) or text(v[11]),
        "position_title": text(v[13]),
        "mobile": read_phone(v[14]),
        "old_serial": text(v[15]),
        "sim_carrier": carrier,
        "sim_keep_number": keep,
    }
    return row


# --- checking ------------------------------------------------------------------------------
def check_rows(cert_request, layout: str, rows: list[SheetRow]) -> None:
    """Add to each row's problems: the rules (as for a typed row) and duplicates."""
    columns = FIELD_COLUMN[layout]
    for index, sheet_row in enumerate(rows, start=1):
        unsaved = RequestRow(cert_request=cert_request, position=index, **sheet_row.data)
        for name, messages in row_errors(unsaved).items():
            column = columns.get(name, "—")
            for message in messages:
                if (column, message) not in sheet_row.problems:
                    sheet_row.problems.append((column, message))
    _check_duplicates(cert_request, columns, rows)


def _check_duplicates(cert_request, columns: dict, rows: list[SheetRow]) -> None:
    for key, label in (("national_id", _("số định danh")), ("email", _("thư điện tử"))):
        values = {r.data[key] for r in rows if r.data.get(key)}
        existing = dict(
            cert_request.rows.filter(**{f"{key}__in": values}).values_list(key, "position")
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


# --- staging between the preview and the confirmation --------------------------------------
DATE_FIELDS = ("date_of_birth", "id_issue_date")


def to_payload(layout: str, rows: list[SheetRow]) -> dict:
    """JSON-safe (dates as ISO strings) for the session."""
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
        rows_add_many(cert_request=cert_request, by=by, rows_data=[r.data for r in rows])
    except RowsInvalid as exc:
        for index, errors in exc.errors.items():
            for name, messages in errors.items():
                rows[index].problems.extend((columns.get(name, "—"), m) for m in messages)
        raise
    return len(rows)


# --- export --------------------------------------------------------------------------------
def _levels(work_agency: str) -> list[str]:
    parts = [p.strip() for p in work_agency.split(", ") if p.strip()]
    if len(parts) > 4:
        return [work_agency, "", "", ""]
    parts = list(reversed(parts))
    return parts + [""] * (4 - len(parts))


def _date_text(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def export_workbook(cert_request, rows) -> bytes:
    """Mẫu 01: the CA's 19-column sheet; other forms: their own columns, in form order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Mau {cert_request.form}"
    if cert_request.form == FormKind.ISSUE_PERSON:
        headers = [title for title, _fragments in CA_HEADERS]
        body = [_ca_line(index, row) for index, row in enumerate(rows, start=1)]
    else:
        columns = FORM_COLUMNS[cert_request.form]
        headers = ["STT"] + [
            str(RequestRow._meta.get_field(name).verbose_name).capitalize() for name in columns
        ]
        body = [[row.position] + [_plain(row, name) for name in columns] for row in rows]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in body:
        sheet.append(line)
    # Keep IDs, phones and dates as text: Excel would drop leading zeros or reformat dates.
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, str):
                cell.number_format = "@"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(header) + 4))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _ca_line(index: int, row) -> list:
    levels = _levels(row.work_agency)
    return [
        index,
        row.full_name,
        _date_text(row.date_of_birth),
        row.national_id,
        row.id_issue_place,
        _date_text(row.id_issue_date),
        row.email,
        *levels,
        row.province_name,
        row.province_name,
        row.position_title,
        row.mobile,
        row.old_serial,
        row.get_sim_carrier_display() if row.sim_carrier else "",
        "X" if row.sim_keep_number else "",
        "SIM" if row.sim_carrier else "TOKEN",
    ]


def _plain(row, name: str):
    if name == "certificate":
        return row.certificate.serial if row.certificate_id else ""
    if name == "device":
        return row.device.serial if row.device_id else ""
    value = getattr(row, name)
    if isinstance(value, bool):
        return "X" if value else ""
    if isinstance(value, date):
        return _date_text(value)
    display = getattr(row, f"get_{name}_display", None)
    if display and value:
        return str(display())
    return value
