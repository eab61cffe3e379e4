"""What the Mẫu 07, 08 and 09 templates need, in the administrative layout of Nghị định
30/2020/NĐ-CP (docs/domain.md §9). One template per document under templates/devices/pdf/, rendered
on a page, for printing, and as a PDF (portal.lib.pdf): this module builds their context."""

__all__ = [
    "CA_FULL_NAME",
    "MAU_07",
    "MAU_08",
    "MAU_09",
    "count_text",
    "date_line",
    "loss_document",
    "minutes_document",
    "notice_document",
    "number_in_words",
    "place_name",
]

from django.utils import timezone

from agencies.documents import date_line, document_header, place_name
from portal.lib.vnwords import number_in_words, quantity_text

MAU_07 = "devices/pdf/mau_07.html"
MAU_08 = "devices/pdf/mau_08.html"
MAU_09 = "devices/pdf/mau_09.html"
CA_FULL_NAME = "Cục Chứng thực số và Bảo mật thông tin, Ban Cơ yếu Chính phủ"


def count_text(n: int) -> str:
    """ "02 (hai)" as administrative documents write counts."""
    return f"{n:02d} ({number_in_words(n)})"


def _header(agency, number: str, subject: str, day) -> dict:
    return document_header(agency, number=number, subject=subject, day=day)


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
        "quantity": quantity_text(len(items)),
        "recipient": CA_FULL_NAME,
    }


def minutes_document(minutes, items) -> dict:
    held = timezone.localtime(minutes.held_at)
    return {
        "header": _header(minutes.agency, minutes.number, "", held),
        "minutes": minutes,
        "doc_items": items,
        "count": count_text(len(items)),
        "quantity": quantity_text(len(items)),
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
