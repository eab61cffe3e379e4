"""Reading the cells of a letter's sheet: dates, phone numbers, IDs, the combined ID cell, the
SIM carrier (see the package docstring for what each accepts)."""

import re
import unicodedata
from datetime import date, datetime

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from portal.lib.xlsx import clean_text
from privacy.masking import MASK
from requests_app.excel.layouts import CARRIER_NAMES

# --- cell readers --------------------------------------------------------------------------
_norm = clean_text


def header_key(value) -> str:
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


def refuse_masked(value) -> None:
    """A masked value (`privacy.masking`: "********1234", "**/**/1985", "091****678"), as an
    export without full values writes it, is never read as a value: the cell is refused, so
    an exported file imported back can never store a mask in place of the number."""
    if isinstance(value, str) and MASK in value:
        raise CellError(
            _(
                "“%(value)s” là giá trị đã che (tệp xuất thường che số định danh, ngày sinh, "
                "ngày cấp và số điện thoại), không nhập được: hãy ghi giá trị đầy đủ, hoặc "
                "dùng tệp “Xuất Excel có giá trị đầy đủ” để sửa rồi nhập lại."
            )
            % {"value": _norm(value)}
        )


def read_date(value) -> date | None:
    """A real date, an Excel day number, or text dd/mm/yyyy; None when blank."""
    if value is None or value == "":
        return None
    refuse_masked(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value <= 80000:
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
    refuse_masked(value)
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


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def id_lost_leading_zero(value) -> bool:
    """A number cell of 11 digits: Excel most likely dropped the 12-digit ID's leading zero.
    The reader puts it back; the row is flagged for the clerk to confirm (docs/domain.md §5.8)."""
    return _is_number(value) and len(str(int(value))) == 11


def read_national_id(value) -> str:
    """A 12-digit personal ID number. Only a number cell of 11 digits gets its leading zero
    back (`id_lost_leading_zero`); anything else that is not 12 digits — a 9-digit old ID card
    number, letters, a typo — is refused, never padded."""
    if value is None or value == "":
        return ""
    refuse_masked(value)
    if _is_number(value):
        raw = digits = str(int(value))
        if len(digits) == 11:
            digits = "0" + digits
    else:
        raw = text(value)
        digits = re.sub(r"[\s.\-]", "", raw)
    check_national_id(digits, raw)
    return digits


def check_national_id(digits: str, raw: str) -> None:
    if not re.fullmatch(r"\d{12}", digits):
        raise CellError(
            _(
                "Số định danh “%(value)s” không hợp lệ: số định danh cá nhân gồm đúng 12 chữ "
                "số (số chứng minh nhân dân cũ 9 chữ số không dùng được)."
            )
            % {"value": raw}
        )


PLACE_LABELS = re.compile(r"(?i)\b(ngày cấp|nơi cấp|cấp ngày|cấp tại)\s*:?")


_ID_START = re.compile(r"\s*(\d+)")
_ID_GROUP = re.compile(r"[ .\-](\d+)")


def _id_groups(raw: str, match: re.Match) -> tuple[str, int]:
    """The ID's digits and where they end: the first run of digits and the groups that follow
    it after one space, dot or hyphen ("0010 9000 1234", "001-090-001234", "001.090.001234"),
    as long as they make at most 12 digits together. A date after the ID is never taken in:
    its digits would make more than 12."""
    digits, end = match[1], match.end()
    while len(digits) < 12:
        group = _ID_GROUP.match(raw, end)
        if group is None or len(digits) + len(group[1]) > 12:
            break
        if DATE_RE.match(raw, group.start(1)):
            break  # "00109000 01.07.2021": the group is a date's day, not the ID's
        digits, end = digits + group[1], group.end()
    return digits, end


def split_id_cell(value) -> tuple[str, str | date | None, str]:
    """Split "Số định danh cá nhân / ngày cấp, nơi cấp" into (ID, issue date, place).

    The ID is the first run of digits, with the groups that follow it after a space, dot or
    hyphen up to 12 digits (`_id_groups`), the date the first date after it, the place what
    follows the date without separators. An unreadable date is returned as its text, for the
    caller to report.
    """
    if value is None or value == "":
        return "", None, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_national_id(value), None, ""
    refuse_masked(value)
    raw = unicodedata.normalize("NFC", str(value)).strip()
    match = _ID_START.match(raw)
    if not match:
        return "", None, _norm(raw)
    national_id, end = _id_groups(raw, match)
    rest = raw[end:]
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
