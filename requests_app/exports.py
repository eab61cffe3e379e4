"""The letters list and the two work queues as Excel: each page's own filtered, scoped queryset
(docs/processing.md, "Exports"; a large list is built by the worker, §12.5). A letter's own
rows are `requests_app.excel.export_workbook`."""

from django.utils.translation import gettext as _

from portal.lib.exports import day, export_list, labels
from requests_app.choices import FormKind, Status


def _letter_head():
    """The first columns of a letter's line, with the labels translated once."""
    forms, statuses = labels(FormKind), labels(Status)

    def head(letter) -> list:
        agency = letter.agency
        return [
            letter.number or "",
            day(letter.issued_on),
            forms.get(letter.form, letter.form),
            letter.subject,
            agency.name,
            agency.code or "",
            agency.province.name if agency.province_id else "",
            statuses.get(letter.status, letter.status),
        ]

    return head


def _head_headers() -> list[str]:
    return [
        _("Số văn bản"),
        _("Ngày ban hành"),
        _("Mẫu"),
        _("Trích yếu"),
        _("Cơ quan"),
        _("Mã định danh cơ quan"),
        _("Tỉnh, thành phố"),
        _("Trạng thái"),
    ]


def export_letters(letters, *, request=None):
    """`letters`: the letters page's queryset (annotated with `row_count` and `is_overdue`)."""
    head, overdue = _letter_head(), _("Quá hạn")

    def line(letter):
        return [
            *head(letter),
            letter.row_count,
            day(letter.created_at),
            day(letter.due_on),
            overdue if letter.is_overdue else "",
        ]

    return export_list(
        request=request,
        filename="van-ban-de-nghi",
        title=_("Văn bản đề nghị"),
        headers=[*_head_headers(), _("Số dòng"), _("Ngày tạo"), _("Hạn xử lý"), _("Quá hạn")],
        rows=letters.select_related("agency__province"),
        line=line,
        text_columns=frozenset({0, 5}),
    )


def export_queue(letters, *, title: str, filename: str, request=None):
    """`letters`: a queue page's queryset, `with_queue_figures()`."""
    head = _letter_head()

    def line(letter):
        return [
            *head(letter),
            day(letter.received_on),
            day(letter.due_on),
            letter.rows_total,
            letter.rows_pending,
            letter.rows_accepted,
            letter.rows_refused,
        ]

    return export_list(
        request=request,
        filename=filename,
        title=str(title),
        headers=[
            *_head_headers(),
            _("Ngày tiếp nhận"),
            _("Hạn xử lý"),
            _("Số dòng"),
            _("Dòng chờ xử lý"),
            _("Dòng chấp nhận"),
            _("Dòng từ chối"),
        ],
        rows=letters,
        line=line,
        text_columns=frozenset({0, 5}),
    )
