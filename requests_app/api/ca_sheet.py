"""The CA's 19-column sheet over the API (docs/api.md §9): each JSON row becomes the
sheet's line of cells, in the sheet's column order, and is read by the spreadsheet import's own
reader (`requests_app.excel.importing.read_ca_row`), checked by its `check_rows` (the rules of
a typed row, duplicates within the batch and against the letter) and saved by its `save_rows`
(`rows_add_many` on the locked letter): the rules are the file's, every row or none. Problems
come back per row index (0-based), each under the JSON field of its column."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from portal.api.bulk import BoundedRows
from portal.errors import DomainError
from requests_app.choices import FormKind
from requests_app.excel import CA_HEADERS, FIELD_COLUMN, LAYOUT_CA
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
