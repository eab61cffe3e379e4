"""What the Mẫu 07, 08 and 09 templates need, in the administrative layout of Nghị định
30/2020/NĐ-CP (docs/domain.md §9). One template per document under templates/devices/pdf/, rendered
on a page, for printing, and later by the PDF helper: this module builds their context."""

from datetime import date, datetime

from django.utils import timezone

from agencies.choices import OrgKind

_UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]

MAU_07 = "devices/pdf/mau_07.html"
MAU_08 = "devices/pdf/mau_08.html"
MAU_09 = "devices/pdf/mau_09.html"
CA_FULL_NAME = "Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ"


def number_in_words(n: int) -> str:
    """Vietnamese words for 0–999 ("hai mươi mốt", "một trăm linh năm"); digits beyond."""
    if n < 0 or n > 999:
        return str(n)
    if n < 10:
        return _UNITS[n]
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds:
        words += [_UNITS[hundreds], "trăm"]
        if rest == 0:
            return " ".join(words)
        if tens == 0:
            words += ["linh", _UNITS[units]]
            return " ".join(words)
    if tens == 1:
        words.append("mười")
    elif tens:
        words += [_UNITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(_UNITS[units])
    return " ".join(words)


def count_text(n: int) -> str:
    """ "02 (hai)" as administrative documents write counts."""
    return f"{n:02d} ({number_in_words(n)})"


def place_name(org) -> str:
    """The place of the date line: the province without "Tỉnh"/"Thành phố"."""
    province = org.province if org is not None and org.province_id else None
    if org is not None and org.kind == OrgKind.PROVINCE:
        province = org
    name = province.name if province is not None else "Hà Nội"
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def date_line(place: str, day: date | datetime) -> str:
    """ "Lai Châu, ngày 05 tháng 02 năm 2026": a day under 10 and the months 1–2 get a 0."""
    if isinstance(day, datetime):
        day = timezone.localtime(day).date()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _header(agency, number: str, subject: str, day) -> dict:
    superior = agency.parent if agency.parent_id else None
    show_superior = superior is not None and superior.kind in (OrgKind.MINISTRY,)
    return {
        "superior": superior.name.upper() if show_superior else "",
        "agency_name": agency.name.upper(),
        "number": number,
        "subject": subject,
        "date_line": date_line(place_name(agency), day),
    }


def notice_document(notice, items) -> dict:
    return {
        "header": _header(
            notice.agency,
            notice.number,
            "V/v thông báo bàn giao thiết bị lưu khóa bí mật cho thuê bao",
            notice.issued_on,
        ),
        "notice": notice,
        "doc_items": items,
        "count": count_text(len(items)),
        "recipient": CA_FULL_NAME,
    }


def minutes_document(minutes, items) -> dict:
    held = timezone.localtime(minutes.held_at)
    return {
        "header": _header(minutes.agency, minutes.number, "", held),
        "minutes": minutes,
        "doc_items": items,
        "count": count_text(len(items)),
        "held_time": f"{held.hour:02d} giờ {held.minute:02d}",
        "held_day": held.strftime("%d/%m/%Y"),
    }


def loss_document(report) -> dict:
    held = timezone.localtime(report.held_at)
    return {
        "header": _header(report.agency, report.number, "", held),
        "report": report,
        "held_time": f"{held.hour:02d} giờ {held.minute:02d}",
        "held_day": held.strftime("%d/%m/%Y"),
        "recipient": CA_FULL_NAME,
    }
