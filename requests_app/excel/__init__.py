"""Excel import and export of a Mẫu 01 letter's rows (docs/domain.md §3), with openpyxl.

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
  SIM with "Nhà mạng" and "Là chuyển số" = X, or RSSP (no carrier) into Mẫu 01's remote-signing
  variant and only there (docs/remote-signing.md); SOFT and HSM cannot be asked for on Mẫu 01.
* **CA sheet organisation levels**: "Tổ chức cấp 1..4" are joined from the lowest level to
  the highest ("Phòng Ngân sách, Sở Tài chính") into the row's "Tên cơ quan, tổ chức công tác";
  the export splits that name back at ", " (everything in level 1 if it has more than 4 parts).
  Of the two province columns, "Tỉnh/Thành phố" wins, "Tỉnh thành phố" is the fallback; the
  export writes the row's province in both.

Every row is then checked with the same rules as a row typed in the browser (`row_errors` on an
unsaved `RequestRow`), plus duplicates (same ID or e-mail) within the file and against the
letter's rows. Nothing is saved until the clerk confirms; the worker then checks the good rows
again and `save_rows` adds them in one transaction through `rows_add_many` (in chunks), once
per import job (`requests_app.excel.jobs`). A formula in any cell, cached value or not, is
refused with its cell and its text (`portal.lib.xlsx`), and a name that starts like one
(=, +, -, @) is refused too.
"""

from portal.lib.xlsx import MAX_BLANK_RUN, MAX_BYTES, XLSX_CONTENT_TYPE
from requests_app.excel.exporting import export_workbook
from requests_app.excel.importing import (
    ImportRefused,
    ParsedSheet,
    SheetRow,
    check_rows,
    from_payload,
    max_rows,
    read_workbook,
    save_rows,
    to_payload,
)
from requests_app.excel.layouts import (
    CA_HEADERS,
    FIELD_COLUMN,
    LAYOUT_CA,
    LAYOUT_LABELS,
    LAYOUT_MAU01,
    MAU01_HEADERS,
)
from requests_app.excel.readers import (
    CellError,
    id_lost_leading_zero,
    read_carrier,
    read_date,
    read_national_id,
    read_phone,
    split_id_cell,
    text,
)
from requests_app.exceptions import RowsInvalid

__all__ = [
    "CA_HEADERS",
    "FIELD_COLUMN",
    "LAYOUT_CA",
    "LAYOUT_LABELS",
    "LAYOUT_MAU01",
    "MAU01_HEADERS",
    "MAX_BLANK_RUN",
    "MAX_BYTES",
    "XLSX_CONTENT_TYPE",
    "CellError",
    "ImportRefused",
    "ParsedSheet",
    "RowsInvalid",
    "SheetRow",
    "check_rows",
    "export_workbook",
    "from_payload",
    "id_lost_leading_zero",
    "max_rows",
    "read_carrier",
    "read_date",
    "read_national_id",
    "read_phone",
    "read_workbook",
    "save_rows",
    "split_id_cell",
    "text",
    "to_payload",
]
