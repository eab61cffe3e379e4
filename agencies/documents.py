"""The agency's part of every official document's header, in the layout of Nghị định
30/2020/NĐ-CP (docs/domain.md §9): the superior body above the agency's name, the place and
date line. Shared by the letters (requests_app) and the device documents (devices)."""

from datetime import date, datetime

from django.utils import timezone

from agencies.choices import OrgKind

# What a province's people's committee is called in a header: "UBND TỈNH LAI CHÂU".
_PROVINCE_BODY = "UBND"


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


def superior_body(org) -> str:
    """The first header line, upper case: the body the agency answers to, from the
    organisation tree. An agency under a province answers to its people's committee
    ("UBND TỈNH LAI CHÂU" above "SỞ TÀI CHÍNH"); under a ministry or another agency, to that
    body by name. Nothing for an organisation without a parent."""
    parent = org.parent if org is not None and org.parent_id else None
    if parent is None:
        return ""
    if parent.kind == OrgKind.PROVINCE:
        return f"{_PROVINCE_BODY} {parent.name}".upper()
    if parent.kind == OrgKind.CA:
        return ""
    return parent.name.upper()


def date_line(place: str, day: date | datetime) -> str:
    """ "Lai Châu, ngày 05 tháng 02 năm 2026": a day under 10 and the months 1–2 get a 0."""
    if isinstance(day, datetime):
        day = timezone.localtime(day).date()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def header_name(org) -> str:
    """The agency's name under its superior body: a department of a province drops the
    province it would repeat ("Sở Tài chính tỉnh Lai Châu" under "UBND TỈNH LAI CHÂU" is
    written "SỞ TÀI CHÍNH")."""
    name = org.name
    parent = org.parent if org.parent_id else None
    if parent is not None and parent.kind == OrgKind.PROVINCE:
        suffix = " " + parent.name.lower()
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name.upper()


def document_header(agency, *, number: str, subject: str, day) -> dict:
    """The context of the two-column NĐ 30 header (templates/portal/pdf/_header.html)."""
    return {
        "superior": superior_body(agency),
        "agency_name": header_name(agency),
        "number": number,
        "subject": subject,
        "date_line": date_line(place_name(agency), day) if day else "",
    }
