"""A letter's row on its page as HTML written in Python (docs/scale.md §12.6): a page of
50 rows through a template include each, with two forms, four URL reversals and a dozen
translations a row, was most of a 1,000-row letter's page time. One `RowPrinter` per page
computes what its rows share (labels, the CSRF field, which columns show) once; the letter's
page and the htmx answer to a row decision both print with it, so a row reads the same in both.

Every value goes through `format_html` or `conditional_escape`.
"""

from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from agencies.templatetags.people import full_name
from privacy.reveal import Revealer


class RowPrinter:
    """Prints the rows of one letter's page for one request. `decide_column`: whether the
    page has the "Quyết định" column (the user may decide rows, or an htmx answer)."""

    def __init__(self, request, cert_request, *, decide_column: bool):
        self.cert_request = cert_request
        self.decide_column = decide_column
        self.csrf = csrf_input(request)  # what {% csrf_token %} writes
        # masked values and their reveal controls; without JavaScript a reveal returns here
        self.revealer = Revealer(
            request.user, back=reverse("requests_app:detail", args=[cert_request.pk])
        )
        self.labels = {
            "position": _("STT"),
            "outcome": _("Kết quả"),
            "result": _("Chứng thư, thiết bị kết quả"),
            "decide": _("Quyết định"),
            "certificate": _("Chứng thư kết quả"),
            "accept": _("Chấp nhận"),
            "refuse": _("Từ chối…"),
            "reason": _("Lý do từ chối"),
        }

    def row(self, row, cells, *, can_accept: bool, can_refuse: bool, error: str = "") -> str:
        decision = row.decision
        parts = [
            format_html(
                '<tr id="dong-{}" data-row="{}" data-outcome="{}" data-decision="{}">'
                '<td class="num" data-label="{}">{}</td>',
                row.pk,
                row.position,
                row.outcome,
                decision[0],
                self.labels["position"],
                row.position,
            ),
            self._outcome(row, decision),
            self._result(row),
        ]
        if self.decide_column:
            parts.append(self._decide(row, can_accept, can_refuse, error))
        parts.extend(self._cell(cell) for cell in cells)
        parts.append("</tr>")
        return mark_safe("".join(parts))  # noqa: S308 - every part went through format_html

    def _outcome(self, row, decision) -> SafeString:
        note = (
            format_html('<br><span class="small">{}</span>', row.outcome_note)
            if row.outcome_note
            else ""
        )
        decided = ""
        if row.decided_by:
            at = timezone.localtime(row.decided_at) if row.decided_at else None
            decided = format_html(
                '<br><span class="muted small">{}, {}</span>',
                full_name(row.decided_by),
                dateformat.format(at, "d/m/Y H:i") if at else "",
            )
        return format_html(
            '<td class="outcome" data-label="{}"><span class="badge badge-outcome-{}'
            ' badge-decision-{}">{}</span>{}{}</td>',
            self.labels["outcome"],
            row.outcome,
            decision[0],
            decision[1],
            note,
            decided,
        )

    def _result(self, row) -> SafeString:
        certificate, device = row.result_certificate, row.result_device
        parts = []
        if certificate:
            parts.append(
                format_html(
                    '<a class="mono small" href="{}" title="{}">{}</a>',
                    reverse("certificates:detail", args=[certificate.serial]),
                    self.labels["certificate"],
                    certificate.serial,
                )
            )
        if device:
            parts.append(
                format_html(
                    '{}<span class="small">{}</span> <span class="mono small">{}</span>',
                    mark_safe("<br>") if certificate else "",
                    device.get_kind_display(),
                    device.serial,
                )
            )
        return _cell_of("result", self.labels["result"], parts)

    def _decide(self, row, can_accept: bool, can_refuse: bool, error: str) -> SafeString:
        url = reverse("requests_app:row_decide", args=[self.cert_request.pk, row.pk])
        parts = []
        if can_accept:
            parts.append(
                self._decision_form(
                    url,
                    row,
                    "accept",
                    format_html(
                        '<button type="submit" class="btn btn-small" aria-label="{}">{}</button>',
                        _("Chấp nhận dòng %(n)s") % {"n": row.position},
                        self.labels["accept"],
                    ),
                )
            )
        if can_refuse:
            reason = format_html(
                '<label class="visually-hidden" for="ly-do-{pk}">{label}</label>'
                '<input type="text" id="ly-do-{pk}" name="note" required maxlength="500"'
                ' placeholder="{placeholder}">'
                '<button type="submit" class="btn btn-small btn-danger">{button}</button>',
                pk=row.pk,
                label=_("Lý do từ chối dòng %(n)s") % {"n": row.position},
                placeholder=self.labels["reason"],
                button=_("Từ chối dòng %(n)s") % {"n": row.position},
            )
            parts.append(
                format_html(
                    '<details class="refuse-row"><summary>{}</summary>{}</details>',
                    self.labels["refuse"],
                    self._decision_form(url, row, "refuse", reason),
                )
            )
        if error:
            parts.append(format_html('<p class="field-error" role="alert">{}</p>', error))
        return _cell_of("decide", self.labels["decide"], parts)

    def _decision_form(self, url: str, row, decision: str, controls: SafeString) -> SafeString:
        """A row decision's form: posted by htmx, which swaps the row it answers; `expected`
        is the outcome the decider saw (requests_app/views/detail.py, DecideForm)."""
        return format_html(
            '<form method="post" action="{url}" hx-post="{url}" hx-target="closest tr"'
            ' hx-swap="outerHTML">{csrf}<input type="hidden" name="decision" value="{decision}">'
            '<input type="hidden" name="expected" value="{outcome}">{controls}</form>',
            url=url,
            csrf=self.csrf,
            decision=decision,
            outcome=row.outcome,
            controls=controls,
        )

    @staticmethod
    def _cell(cell: dict) -> SafeString:
        text = cell["text"]
        if cell.get("html"):
            value = cell["html"]
        elif cell.get("url"):
            value = format_html(
                '<a class="{}" href="{}">{}</a>',
                "mono small" if cell.get("mono") else "",
                cell["url"],
                text,
            )
        elif cell.get("mono"):
            value = format_html('<span class="mono small">{}</span>', text)
        else:
            value = conditional_escape(text)
        if cell.get("sub"):
            value = format_html('{}<br><span class="muted small">{}</span>', value, cell["sub"])
        if cell.get("at_risk"):
            value = format_html(
                '{}<br><span class="badge badge-key-at-risk" data-key-at-risk title="{}">{}</span>',
                value,
                _(
                    "Thiết bị lưu khóa bí mật đã báo mất (Mẫu 09) và việc thu hồi chứng thư chưa "
                    "được công bố trên CRL: không dùng, không tin chữ ký của chứng thư này."
                ),
                _("Thiết bị đã báo mất – có nguy cơ lộ khóa"),
            )
        return format_html(
            '<td{} data-column="{}" data-label="{}">{}</td>',
            mark_safe(' class="center"') if cell.get("center") else "",
            cell["name"],
            capfirst(cell["label"]),
            value,
        )


def _cell_of(css: str, label: str, parts: list[SafeString]) -> SafeString:
    """A cell of the row's own columns: its parts, or a dash when it has none."""
    body = "".join(parts) or '<span class="muted">—</span>'
    return format_html(
        '<td class="{}" data-label="{}">{}</td>',
        css,
        label,
        mark_safe(body),  # noqa: S308 - every part went through format_html
    )
