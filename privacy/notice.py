"""The notification of a personal-data incident to the authority (Cục An ninh mạng và phòng,
chống tội phạm sử dụng công nghệ cao - A05, Bộ Công an; docs/privacy.md), prefilled from the
incident: a plain text to paste in a letter, and the same as a DOCX to edit in Word
(portal.lib.docx). The officer completes, signs and sends it; the portal sends nothing."""

from django.template.loader import render_to_string
from django.utils import timezone

from portal.lib.docx import render_docx
from privacy.models import Incident

AUTHORITY = "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05), Bộ Công an"
TEXT_TEMPLATE = "privacy/notice.txt"
DOCX_TEMPLATE = "privacy/pdf/incident_notice.html"


def notice_context(incident: Incident) -> dict:
    now = timezone.localtime()
    late = incident.time_left(now).total_seconds() < 0
    return {
        "incident": incident,
        "authority": AUTHORITY,
        "detected_at": timezone.localtime(incident.detected_at),
        "occurred_at": incident.occurred_at and timezone.localtime(incident.occurred_at),
        "notify_by": timezone.localtime(incident.notify_by),
        "late": late,
        "today": now,
        "document_title": "Thông báo vi phạm quy định về bảo vệ dữ liệu cá nhân",
    }


def notice_text(incident: Incident) -> str:
    return render_to_string(TEXT_TEMPLATE, notice_context(incident))


def notice_docx(incident: Incident) -> bytes:
    return render_docx(DOCX_TEMPLATE, notice_context(incident))
