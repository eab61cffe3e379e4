"""The agency's part of every official document's header, in the layout of Nghị định
30/2020/NĐ-CP (docs/domain.md §9): the superior body above the agency's name, the place and
date line. Shared by the letters (requests_app) and the device documents (devices)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from agencies.choices import OrgKind, Role, SigningAuthority
from agencies.models import Membership
from portal.lib.textfit import balanced_lines

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


# The header's left column (static/css/pdf.css): 40 % of a portrait page's 165 mm of text,
# 45 % of a landscape page's 257 mm; its names are set in 12.5 pt capitals.
HEADER_COLUMN_MM = {False: 0.40 * 165, True: 0.45 * 257}
HEADER_NAME_PT = 12.5


# Words of two syllables that agency names use: a header line never ends between the two
# ("CÔNG / NGHỆ"). A name's place ("TỈNH LAI CHÂU") stays whole too (`_PLACE_WORDS`).
_COMPOUNDS = frozenset(
    {
        "KHOA HỌC",
        "CÔNG NGHỆ",
        "THÔNG TIN",
        "TRUYỀN THÔNG",
        "NÔNG NGHIỆP",
        "PHÁT TRIỂN",
        "NÔNG THÔN",
        "TÀI CHÍNH",
        "TÀI NGUYÊN",
        "MÔI TRƯỜNG",
        "GIÁO DỤC",
        "ĐÀO TẠO",
        "Y TẾ",
        "XÂY DỰNG",
        "GIAO THÔNG",
        "VẬN TẢI",
        "CÔNG THƯƠNG",
        "NỘI VỤ",
        "TƯ PHÁP",
        "VĂN HÓA",
        "VĂN HOÁ",
        "THỂ THAO",
        "DU LỊCH",
        "LAO ĐỘNG",
        "THƯƠNG BINH",
        "XÃ HỘI",
        "KẾ HOẠCH",
        "ĐẦU TƯ",
        "NGOẠI VỤ",
        "DÂN TỘC",
        "THANH TRA",
        "VĂN PHÒNG",
        "ỦY BAN",
        "UỶ BAN",
        "NHÂN DÂN",
        "CHÍNH PHỦ",
        "CƠ YẾU",
        "CHỨNG THỰC",
        "BẢO MẬT",
        "TRUNG TÂM",
        "QUỐC PHÒNG",
        "CÔNG AN",
        "HÀNH CHÍNH",
        "CÔNG VỤ",
        "DỊCH VỤ",
        "LƯU TRỮ",
        "TRUNG ƯƠNG",
        "CHUYỂN ĐỔI",
        "KINH TẾ",
        "HẠ TẦNG",
        "BỆNH VIỆN",
        "ĐA KHOA",
        "KHO BẠC",
        "NHÀ NƯỚC",
        "HẢI QUAN",
        "BẢO HIỂM",
        "THỐNG KÊ",
        "QUẢN LÝ",
        "DỰ ÁN",
        "CÔNG TRÌNH",
        "ĐẤT ĐAI",
        "TÀI SẢN",
        "NGÂN SÁCH",
        "KIỂM SOÁT",
        "THỊ TRƯỜNG",
        "PHÁP CHẾ",
        "TỔ CHỨC",
        "CÁN BỘ",
        "NGHIÊN CỨU",
        "ỨNG DỤNG",
        "SỐ HÓA",
    }
)
_PLACE_WORDS = ("TỈNH", "THÀNH PHỐ", "HUYỆN", "QUẬN", "THỊ XÃ", "PHƯỜNG", "XÃ")


def header_units(name: str) -> list[str]:
    """`name` cut into what a header line may not split: the two-syllable words of
    `_COMPOUNDS`, "VÀ" with the word after it, and the place from its "TỈNH"/"THÀNH PHỐ"/…
    to the end of the name."""
    syllables = name.split()
    units: list[str] = []
    i = 0
    while i < len(syllables):
        rest = " ".join(syllables[i:])
        if units and rest.startswith(tuple(f"{word} " for word in _PLACE_WORDS)):
            units.append(rest)
            break
        pair = " ".join(syllables[i : i + 2])
        if i + 1 < len(syllables) and pair in _COMPOUNDS:
            units.append(pair)
            i += 2
        else:
            units.append(syllables[i])
            i += 1
    # "VÀ" opens a line rather than ends one: "SỞ NÔNG NGHIỆP / VÀ PHÁT TRIỂN NÔNG THÔN".
    joined: list[str] = []
    for unit in units:
        if joined and joined[-1] == "VÀ":
            joined[-1] = f"VÀ {unit}"
        else:
            joined.append(unit)
    return joined


def header_lines(name: str, *, wide: bool = False, bold: bool = True) -> list[str]:
    """A header name cut between words into balanced lines that fit the left column
    (portal.lib.textfit; docs/domain.md §9), a little room kept for the renderer."""
    return balanced_lines(
        name, HEADER_COLUMN_MM[wide] * 0.94, HEADER_NAME_PT, bold=bold, units=header_units(name)
    )


def _day(day: date | datetime | None) -> date | None:
    if isinstance(day, datetime):
        return timezone.localtime(day).date()
    return day


def document_header(agency, *, number: str, subject: str, day, wide: bool = False) -> dict:
    """The context of the two-column NĐ 30 header (templates/portal/pdf/_header.html), and
    of the PDF's metadata (templates/portal/pdf/base.html; docs/documents.md §8): the
    issuing agency by its full name, the document's day."""
    superior = superior_body(agency)
    name = header_name(agency)
    issued_on = _day(day)
    return {
        "issuer": agency.name,
        "issued_on": issued_on.isoformat() if issued_on else "",
        "superior": superior,
        "superior_lines": header_lines(superior, wide=wide, bold=False),
        "agency_name": name,
        "agency_lines": header_lines(name, wide=wide),
        "number": number,
        "subject": subject,
        "date_line": date_line(place_name(agency), issued_on) if issued_on else "",
    }


@dataclass(frozen=True)
class Signatory:
    """Who signs a document and in what capacity, as its signature block prints it (Nghị định
    30/2020, Phụ lục I; docs/domain.md §10.1): an optional authority line ("KT. GIÁM ĐỐC",
    "TL. GIÁM ĐỐC", "TUQ. GIÁM ĐỐC"), the title ("PHÓ GIÁM ĐỐC", or "Q. GIÁM ĐỐC" for an
    acting head) and the name. The name is the person's record, the one their personal
    certificate belongs to, so the printed name, the stamp and the certificate agree."""

    name: str
    position: str = ""
    authority: str = ""
    on_behalf_of: str = ""

    @property
    def authority_line(self) -> str:
        if self.authority in ("", SigningAuthority.Q):
            return ""
        return f"{self.authority}. {self.on_behalf_of}".upper()

    @property
    def title(self) -> str:
        if self.authority == SigningAuthority.Q:
            return f"Q. {self.on_behalf_of}".upper()
        return self.position.upper()


def signatory_for(user, organization) -> Signatory | None:
    """The signatory `user` is for `organization`'s documents: their person's name and
    position, and the authority of their head's membership there (the nearest one up the
    tree). None for nobody, or for an account without a name."""
    if user is None:
        return None
    person = getattr(user, "person", None)
    name = person.full_name if person is not None else user.get_full_name()
    position = person.position if person is not None else ""
    if not name:
        return None  # nobody to print: the block keeps the form's own wording
    membership = None
    if organization is not None:
        up_the_tree = [int(pk) for pk in (organization.path or "").strip("/").split("/") if pk]
        membership = (
            Membership.objects.filter(
                user=user, role=Role.AGENCY_HEAD, organization__in=up_the_tree or [organization.pk]
            )
            .select_related("organization")
            .order_by("-organization__path")
            .first()
        )
    if membership is None or not membership.on_behalf_of:
        return Signatory(name=name, position=position)
    return Signatory(
        name=name,
        position=position,
        authority=membership.authority,
        on_behalf_of=membership.on_behalf_of,
    )
