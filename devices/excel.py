"""The CA's stock import, read with openpyxl (the inventory's export is in
`devices.exports`).

**Import** (one row per device, header row among the first 10 rows, columns in any order):

| column (any of these headers)            | content                                          |
|------------------------------------------|--------------------------------------------------|
| Loại thiết bị / Loại / Kind              | TOKEN (or blank), SIM, SD, SOFT, RSSP, HSM, or the portal's labels |
| Số hiệu / Số hiệu thiết bị / Serial      | the device serial (a SIM PKI may leave it blank: its ICCID is used) |
| ICCID                                    | SIM PKI only, as text (Excel rounds 19-digit numbers) |
| Số điện thoại / Số điện thoại ký số      | SIM PKI only; a number that lost its leading 0 gets it back |
| Nhà mạng                                 | SIM PKI only: Viettel, Vinaphone, Mobifone       |

An optional "STT" column is ignored, as are blank rows. The file is read by the one Excel
reader, `portal.lib.xlsx` (text NFC-normalised, blanks collapsed); serials are upper-cased. The checks themselves are `devices.services.stock_rows_check`.
"""

import re
import unicodedata
from contextlib import closing
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from devices.choices import Carrier, DeviceKind
from devices.services.stock import MAX_ROWS, StockRow
from portal.lib.xlsx import XlsxRefused, read_rows
from privacy.masking import MASK

HEADER_SEARCH_ROWS = 10

KIND_NAMES = {
    "": DeviceKind.USB_TOKEN,
    "token": DeviceKind.USB_TOKEN,
    "usb token": DeviceKind.USB_TOKEN,
    "usbtoken": DeviceKind.USB_TOKEN,
    "usb_token": DeviceKind.USB_TOKEN,
    "usb": DeviceKind.USB_TOKEN,
    "sim": DeviceKind.SIM_PKI,
    "sim pki": DeviceKind.SIM_PKI,
    "simpki": DeviceKind.SIM_PKI,
    "sim_pki": DeviceKind.SIM_PKI,
    "sd": DeviceKind.SD_SECURE,
    "sd secure": DeviceKind.SD_SECURE,
    "sd_secure": DeviceKind.SD_SECURE,
    "soft": DeviceKind.SOFT,
    "phần mềm": DeviceKind.SOFT,
    "phần mềm (soft)": DeviceKind.SOFT,
    "rssp": DeviceKind.RSSP,
    "ký số tập trung": DeviceKind.RSSP,
    "ký số tập trung (rssp)": DeviceKind.RSSP,
    "hsm": DeviceKind.HSM,
}
CARRIER_NAMES = {
    "viettel": Carrier.VIETTEL,
    "vinaphone": Carrier.VINAPHONE,
    "vnpt": Carrier.VINAPHONE,
    "vina": Carrier.VINAPHONE,
    "mobifone": Carrier.MOBIFONE,
    "mobi": Carrier.MOBIFONE,
}
HEADERS = {
    "kind": {"loại thiết bị", "loại", "kind", "loai thiet bi"},
    "serial": {"số hiệu", "số hiệu thiết bị", "serial", "số serial", "so hieu"},
    "iccid": {"iccid"},
    "phone": {"số điện thoại", "số điện thoại ký số", "điện thoại", "phone"},
    "carrier": {"nhà mạng", "carrier", "nha mang"},
}

# The blank template's headers (devices:stock_template): one accepted name per column.
TEMPLATE_HEADERS = ["Loại thiết bị", "Số hiệu", "ICCID", "Số điện thoại", "Nhà mạng"]

# The file cannot be read at all: the reader's refusals (not .xlsx, too big, damaged) and ours.
StockFileError = XlsxRefused


@dataclass
class ParsedStock:
    rows: list[StockRow] = field(default_factory=list)
    # Problems found while reading cells (the rules' problems are added by the caller).
    problems: dict[int, list[str]] = field(default_factory=dict)


def _norm(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()


def _read_phone(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
    else:
        digits = re.sub(r"[\s.\-()]", "", _norm(value))
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif digits.isdigit() and len(digits) == 9:
        digits = "0" + digits
    return digits


def _read_iccid(value, problems: list[str]) -> str:
    if isinstance(value, float) or (isinstance(value, int) and len(str(value)) > 15):
        # Excel keeps 15 significant digits: a 19-digit ICCID typed as a number is lost.
        problems.append(
            _("ICCID phải được nhập dạng văn bản (Excel làm tròn số dài quá 15 chữ số).")
        )
        return ""
    return re.sub(r"\s", "", _norm(value))


def _columns(header: list) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = _norm(cell).lower().rstrip(":*")
        for key, names in HEADERS.items():
            if label in names and key not in found:
                found[key] = index
    return found if "serial" in found or "iccid" in found else None


def read_stock_workbook(upload) -> ParsedStock:
    """Read the first sheet; raises StockFileError when the file itself is unusable."""
    with closing(read_rows(upload, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS)) as rows:
        columns = None
        for line, values in rows:
            columns = _columns(values)
            if columns or line >= HEADER_SEARCH_ROWS:
                break
        if not columns:
            raise StockFileError(
                _(
                    "Không tìm thấy dòng tiêu đề: tệp cần các cột “Loại thiết bị”, “Số hiệu” "
                    "(và với SIM PKI: “ICCID”, “Số điện thoại”, “Nhà mạng”)."
                )
            )
        parsed = ParsedStock()
        for number, values in rows:
            if not any(_norm(v) for v in values) and not getattr(values, "problems", None):
                continue

            def cell(key, values=values):
                index = columns.get(key)
                return values[index] if index is not None and index < len(values) else None

            row, problems = read_stock_line(number, cell, getattr(values, "problems", []))
            parsed.rows.append(row)
            if problems:
                parsed.problems[number] = problems
        return parsed


def read_stock_line(line: int, cell, unreadable=()) -> tuple[StockRow, list[str]]:
    """One line as a StockRow, with the problems of its cells. `cell(key)` gives the raw value
    of a column ("kind", "serial", "iccid", "phone", "carrier"); the file and the API
    (`devices/api/stock.py`) read their lines here alike."""
    problems: list[str] = list(unreadable)
    raw_kind = _norm(cell("kind")).lower()
    kind = KIND_NAMES.get(raw_kind)
    if kind is None:
        kind = raw_kind
        problems.append(
            _("Loại thiết bị “%(kind)s” không hợp lệ (TOKEN, SIM, SD, SOFT, RSSP, HSM).")
            % {"kind": _norm(cell("kind"))}
        )
    raw_carrier = _norm(cell("carrier")).lower()
    carrier = CARRIER_NAMES.get(raw_carrier.replace(" ", ""), raw_carrier)
    if raw_carrier and carrier not in Carrier.values:
        problems.append(
            _("Nhà mạng “%(name)s” không hợp lệ (Viettel, Vinaphone, Mobifone).")
            % {"name": _norm(cell("carrier"))}
        )
    iccid = _read_iccid(cell("iccid"), problems)
    phone = _read_phone(cell("phone"))
    if MASK in phone:
        # the inventory's export masks the number: a mask is never stored as one
        problems.append(
            _(
                "Số điện thoại “%(phone)s” là giá trị đã che (tệp xuất thường che số điện "
                "thoại), không nhập được: hãy ghi số đầy đủ."
            )
            % {"phone": phone}
        )
        phone = ""
    row = StockRow(
        line=line,
        kind=kind,
        serial=re.sub(r"\s", "", _norm(cell("serial"))).upper(),
        iccid=iccid,
        phone=phone,
        carrier=carrier,
    )
    return row, problems
