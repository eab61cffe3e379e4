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

from agencies.documents import Signatory, date_line, document_header, place_name
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


def notice_document(notice, items, *, signatory=None) -> dict:
    return {
        "signatory": signatory,
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


def minutes_document(minutes, items, *, signatory=None) -> dict:
    held = timezone.localtime(minutes.held_at)
    return {
        "signatory": signatory,
        # The receiving side signs over the document the agency signed: the name under its
        # block is printed only once its signature confirmed the receipt (the signer's own
        # record, `return_minutes_receiver_desk_complete`); until then its stamp names it.
        "receiver_signatory": (
            Signatory(
                name=minutes.receiver_representative,
                position=minutes.receiver_representative_title,
            )
            if minutes.confirmed_at is not None and minutes.receiver_representative
            else None
        ),
        "header": _header(minutes.agency, minutes.number, "", held),
        "minutes": minutes,
        "doc_items": items,
        "count": count_text(len(items)),
        "quantity": quantity_text(len(items)),
        "held_time": f"{held.hour:02d} giờ {held.minute:02d}",
        "held_day": held.strftime("%d/%m/%Y"),
    }


def loss_document(report, *, signatory=None) -> dict:
    held = timezone.localtime(report.held_at)
    # The agency's representative at the minutes: as the clerk wrote them, else the head who
    # signs them (docs/domain.md §3.8); left out of an unsigned copy that names nobody.
    representative = report.representative_name or (signatory.name if signatory else "")
    position = (
        report.representative_position
        if report.representative_name
        else (signatory.position if signatory else "")
    )
    return {
        "signatory": signatory,
        "representative_name": representative,
        "representative_position": position,
        "header": _header(report.agency, report.number, "", held),
        "report": report,
        "held_time": f"{held.hour:02d} giờ {held.minute:02d}",
        "held_day": held.strftime("%d/%m/%Y"),
        "recipient": CA_FULL_NAME,
    }
