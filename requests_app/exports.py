"""The letters list and the two work queues as Excel: each page's own filtered, scoped queryset
(docs/architecture.md, "Exports"). A letter's own rows are `requests_app.excel.export_workbook`."""

from django.utils.translation import gettext as _

from portal.lib.exports import day, export_list


def _letter_head(letter) -> list:
    agency = letter.agency
    return [
        letter.number or "",
        day(letter.issued_on),
        letter.get_form_display(),
        letter.subject,
        agency.name,
        agency.province.name if agency.province_id else "",
        letter.get_status_display(),
    ]


def _head_headers() -> list[str]:
    return [
        _("Số văn bản"),
        _("Ngày ban hành"),
        _("Mẫu"),
        _("Trích yếu"),
        _("Cơ quan"),
        _("Tỉnh, thành phố"),
        _("Trạng thái"),
    ]


def export_letters(letters):
    """`letters`: the letters page's queryset (annotated with `row_count` and `is_overdue`)."""

    def line(letter):
        return [
            *_letter_head(letter),
            letter.row_count,
            day(letter.created_at),
            day(letter.due_on),
            _("Quá hạn") if letter.is_overdue else "",
        ]

    return export_list(
        filename="van-ban-de-nghi",
        title=_("Văn bản đề nghị"),
        headers=[*_head_headers(), _("Số dòng"), _("Ngày tạo"), _("Hạn xử lý"), _("Quá hạn")],
        rows=letters.select_related("agency__province"),
        line=line,
        text_columns=frozenset({0}),
    )


def export_queue(letters, *, title: str, filename: str):
    """`letters`: a queue page's queryset, `with_queue_figures()`."""

    def line(letter):
        return [
            *_letter_head(letter),
            day(letter.received_on),
            day(letter.due_on),
            letter.rows_total,
            letter.rows_pending,
            letter.rows_accepted,
            letter.rows_refused,
        ]

    return export_list(
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
        text_columns=frozenset({0}),
    )
