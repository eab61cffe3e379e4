"""The CA's 19-column sheet over the API (docs/api.md §9): each JSON row becomes the
sheet's line of cells, in the sheet's column order, and is read by the spreadsheet import's own
reader (`requests_app.excel.importing.read_ca_row`), checked by its `check_rows` (the rules of
a typed row, duplicates within the batch and against the letter) and saved by its `save_rows`
(`rows_add_many` on the locked letter): the rules are the file's, every row or none. Problems
come back per row index (0-based), each under the JSON field of its column.

Read back (GET), a Mẫu 01 letter's rows are the sheet's lines as the Excel export writes them
(`ca_cells`). The CA operator reads them in full: the sheet is what the CA issues from, the
processing purpose itself, so no reason is asked, but each read records one access (channel
API) with that purpose as its reason. Anyone else reads the ID, dates and phone masked unless
they ask for them (`?full=`, `reason`; docs/privacy.md, "Exports, API and documents")."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from agencies.access import scope_for
from agencies.choices import Role
from portal.api.bulk import BoundedRows
from portal.errors import DomainError
from privacy.api_disclosure import api_disclosure
from privacy.choices import AccessChannel
from privacy.disclosure import Disclosure, disclosure_for
from requests_app.choices import FormKind
from requests_app.disclosure import ROW_KEYS
from requests_app.excel import CA_HEADERS, FIELD_COLUMN, LAYOUT_CA
from requests_app.excel.exporting import ca_cells
from requests_app.excel.importing import check_rows, read_ca_row, save_rows
from requests_app.exceptions import RowsInvalid
from requests_app.models import CertRequest
from requests_app.permissions import require

# The JSON name of each column of the sheet, in the sheet's order (CA_HEADERS).
CA_FIELDS = [
    "stt",
    "full_name",
    "date_of_birth",
    "national_id",
    "id_issue_place",
    "id_issue_date",
    "email",
    "org_level_1",
    "org_level_2",
    "org_level_3",
    "org_level_4",
    "province_alt",
    "province",
    "position_title",
    "phone",
    "old_serial",
    "carrier",
    "keep_number",
    "device_type",
]
# A problem's column (as the file's report names it) → the JSON field it is shown under.
FIELD_OF_COLUMN = {title: name for name, (title, _f) in zip(CA_FIELDS, CA_HEADERS, strict=True)}
FIELD_OF_COLUMN[FIELD_COLUMN[LAYOUT_CA]["work_agency"]] = "org_level_1"
# The sheet's masked fields (JSON name → the inventory's field), full only when asked.
FULL_FIELDS = {
    "date_of_birth": ROW_KEYS["date_of_birth"],
    "national_id": ROW_KEYS["national_id"],
    "id_issue_date": ROW_KEYS["id_issue_date"],
    "phone": ROW_KEYS["mobile"],
}
# The reason each full read of the CA operator records: the sheet's own purpose.
CA_PURPOSE = gettext_lazy(
    "Cục CTS&BMTT đọc bảng 19 cột của văn bản để cấp chứng thư (mục đích xử lý của bảng)"
)

CaSheetRowSerializer = type(
    "CaSheetRowSerializer",
    (serializers.Serializer,),
    {
        name: serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=255, help_text=title
        )
        for name, (title, _f) in zip(CA_FIELDS, CA_HEADERS, strict=True)
    },
)


# The API checks and saves in the request: longer lists go through the file import, which the
# worker reads and saves (docs/processing.md §4.7).
MAX_ROWS = 2000


class CaSheetSerializer(serializers.Serializer):
    rows = BoundedRows(
        child=CaSheetRowSerializer(),
        min_length=1,
        max_length=MAX_ROWS,
        help_text=gettext_lazy(
            "Các dòng của bảng 19 cột của Cục CTS&BMTT, mỗi cột một trường; tất cả hoặc "
            "không dòng nào."
        ),
    )


def ca_sheet_disclosure(request, cert_request: CertRequest) -> Disclosure:
    """Full values for the CA operator, who issues from the sheet (its reason: CA_PURPOSE);
    for anyone else what `?full=` asks and the role allows. A letter of another form has no
    sheet (NotMau01, 422)."""
    if cert_request.form != FormKind.ISSUE_PERSON:
        raise NotMau01
    if Role.CA_OPERATOR in scope_for(request.user).roles:
        return disclosure_for(
            request.user,
            FULL_FIELDS.values(),
            reason=str(CA_PURPOSE),
            channel=AccessChannel.API,
        )
    return api_disclosure(request, FULL_FIELDS)


def ca_sheet_line(row, disclosure: Disclosure) -> dict:
    """One row as the sheet's 19 named fields, "stt" its STT in the letter."""
    cells = ca_cells(str(row.position), row, disclosure)
    return dict(zip(CA_FIELDS, cells, strict=True))


class NotMau01(DomainError):
    def __init__(self):
        super().__init__(_("Chỉ văn bản Mẫu 01 nhận các dòng của bảng 19 cột."), code="not_mau01")


def _errors(rows) -> dict[int, dict[str, list[str]]]:
    errors: dict[int, dict[str, list[str]]] = {}
    for index, row in enumerate(rows):
        for column, message in row.problems:
            field = FIELD_OF_COLUMN.get(str(column), "non_field_errors")
            errors.setdefault(index, {}).setdefault(field, []).append(str(message))
    return errors


def ca_sheet_add(*, cert_request: CertRequest, rows: list[dict], user) -> int:
    """Add the rows to the draft, all or none: RowsInvalid {row index: {field: [messages]}}."""
    require(user, "edit", cert_request)  # the draft's clerk only: 403 before any row is read
    if cert_request.form != FormKind.ISSUE_PERSON:
        raise NotMau01
    sheet = [
        read_ca_row(index + 1, [data.get(name) for name in CA_FIELDS])
        for index, data in enumerate(rows)
    ]
    check_rows(cert_request, LAYOUT_CA, sheet)
    if any(row.problems for row in sheet):
        raise RowsInvalid(_errors(sheet))
    try:
        return save_rows(cert_request=cert_request, by=user, layout=LAYOUT_CA, rows=sheet)
    except RowsInvalid as exc:
        raise RowsInvalid(_errors(sheet)) from exc  # save_rows named each row's columns
