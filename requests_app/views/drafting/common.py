"""What every drafting view shares: the letter as the user may act on it, the row table's
context, and the redirect when a letter is no longer a draft."""

import functools
from functools import partial

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from privacy.reveal import Revealer
from requests_app import cells
from requests_app.choices import FormKind
from requests_app.forms import (
    REMOTE_PERSON,
    ContactForm,
    RowForm,
)
from requests_app.models import CertRequest, RequestRow
from requests_app.permissions import Overtaken, allowed_actions, require
from requests_app.row_pages import row_page

PICK_LIMIT = 20
# What each form's picker looks for (Mẫu 02/03 have none).
PICK_KIND = {
    FormKind.ISSUE_PERSON: "person",
    FormKind.RENEW_CHANGE: "certificate",
    FormKind.REVOKE: "certificate",
    FormKind.RECOVER_DEVICE: "device",
}
FORM_HELP = {
    FormKind.ISSUE_PERSON: gettext_lazy(
        "Cấp chứng thư cho cán bộ, công chức của cơ quan (USB Token hoặc SIM PKI). "
        "Có thể nhập danh sách từ tệp Excel."
    ),
    REMOTE_PERSON: gettext_lazy(
        "Cấp chứng thư cho cán bộ, công chức ký số từ điện thoại hoặc trình duyệt: khóa bí mật "
        "nằm trong HSM của CA, không cấp thiết bị. Cần số điện thoại di động và thư công vụ."
    ),
    FormKind.ISSUE_ORGANIZATION: gettext_lazy(
        "Cấp chứng thư cho chính cơ quan, tổ chức (dùng để ký văn bản của cơ quan)."
    ),
    FormKind.ISSUE_DEVICE: gettext_lazy(
        "Cấp chứng thư cho thiết bị, dịch vụ, phần mềm (máy chủ, hệ thống thông tin…)."
    ),
    FormKind.RENEW_CHANGE: gettext_lazy(
        "Gia hạn, hoặc thay đổi thông tin của chứng thư còn hiệu lực ít nhất 30 ngày. "
        "Gửi Sở Khoa học và Công nghệ."
    ),
    FormKind.REVOKE: gettext_lazy(
        "Thu hồi chứng thư: nghỉ hưu, thôi việc, chuyển công tác, mất hoặc hỏng thiết bị…"
    ),
    FormKind.RECOVER_DEVICE: gettext_lazy(
        "Mở khóa thiết bị lưu khóa bí mật bị khóa do nhập sai mã PIN. "
        "Gửi Sở Khoa học và Công nghệ, xử lý trong 1 ngày làm việc."
    ),
}
# Workflow actions that bring a letter back to its drafter with comments.
RETURN_ACTIONS = ("send_back", "return")


class NoLongerDraft(Exception):
    def __init__(self, cert_request):
        self.cert_request = cert_request


def get_letter(request, pk: int, action: str | None = None) -> CertRequest:
    cert_request = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency", "agency__province"),
        pk=pk,
    )
    if action is not None:
        try:
            require(request.user, action, cert_request)
        except Overtaken:
            if action == "edit":
                raise NoLongerDraft(cert_request) from None
            raise
    return cert_request


def _no_longer_draft(request, cert_request: CertRequest) -> HttpResponse:
    """The clerk's own letter has left the draft stage (submitted, or a stale tab): say so on
    its read page rather than with a 403."""
    messages.warning(
        request,
        _("Văn bản không còn là dự thảo (đang ở trạng thái “%(status)s”) nên không sửa được.")
        % {"status": cert_request.get_status_display()},
    )
    url = reverse("requests_app:detail", args=[cert_request.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def drafting_view(view):
    """Turn `NoLongerDraft` (or the service's `Overtaken`, decided under the lock) into the
    redirect above."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NoLongerDraft as exc:
            return _no_longer_draft(request, exc.cert_request)
        except Overtaken:
            # Submitted by someone else between the page's check and the service's lock.
            letter = CertRequest.objects.get(pk=kwargs["pk"])
            return _no_longer_draft(request, letter)

    return wrapped


class RowUrls:
    """Each row's edit / delete URLs, reversed once per letter rather than once per row."""

    MARK = "987654321"

    def __init__(self, cert_request: CertRequest):
        self.edit = reverse("requests_app:row_edit", args=[cert_request.pk, self.MARK])
        self.delete = reverse("requests_app:row_delete", args=[cert_request.pk, self.MARK])

    def of(self, row: RequestRow) -> tuple[str, str]:
        pk = str(row.pk)
        return self.edit.replace(self.MARK, pk), self.delete.replace(self.MARK, pk)


def editor_revealer(request, cert_request: CertRequest) -> Revealer:
    """The editor's masked values and their reveal controls (a reveal without JavaScript
    returns to the editor)."""
    return Revealer(request.user, back=reverse("requests_app:edit", args=[cert_request.pk]))


def row_item(
    row: RequestRow, urls: RowUrls | None = None, columns=None, revealer: Revealer | None = None
) -> dict:
    edit_url, delete_url = (urls or RowUrls(row.cert_request)).of(row)
    columns = columns or cells.columns(row.cert_request)
    return {
        "row": row,
        "cells": cells.row_cells(row, columns, partial(cells.editor_cell, revealer=revealer)),
        "edit_url": edit_url,
        "delete_url": delete_url,
        "label": _("dòng %(n)d") % {"n": row.position},
        "confirm": _("Xóa dòng %(n)d khỏi văn bản?") % {"n": row.position},
    }


def row_items(cert_request: CertRequest, rows, revealer: Revealer | None = None) -> list[dict]:
    urls, columns = RowUrls(cert_request), cells.columns(cert_request)
    return [row_item(row, urls, columns, revealer) for row in rows]


def table_context(cert_request: CertRequest) -> dict:
    columns = cells.columns(cert_request)
    return {"cert_request": cert_request, "columns": columns, "colspan": len(columns) + 2}


def row_form(
    request, cert_request, *, data=None, initial=None, chosen=None, row=None, kept_from=None
) -> RowForm:
    """`kept_from`: where a masked column left blank takes its value (the saved row, or the
    person picked), `RowForm`."""
    # Several row forms share the page (add + inline edits): give each its own element ids.
    return RowForm(
        data,
        initial=initial,
        cert_request=cert_request,
        user=request.user,
        chosen=chosen,
        kept_from=kept_from,
        auto_id=f"dong{row.pk}_%s" if row is not None else "them_%s",
    )


def saved_row(cert_request, pk: int) -> RequestRow:
    row = cert_request.rows.with_registry().get(pk=pk)
    row.cert_request = cert_request
    return row


def get_row(cert_request, row_pk: int) -> RequestRow:
    row = get_object_or_404(cert_request.rows.with_registry(), pk=row_pk)
    row.cert_request = cert_request
    return row


def letter_rows_page(request, cert_request: CertRequest) -> tuple[dict, list[RequestRow]]:
    """The page of the draft's rows the editor shows (docs/scale.md §12.6), and its
    rows ready for `row_items`."""
    paging = row_page(request, cert_request.rows.with_registry().order_by("position"))
    rows = list(paging["row_page"].object_list)
    for row in rows:
        row.cert_request = cert_request
    return paging, rows


def editor_context(request, cert_request, *, contact_form=None, add_form=None) -> dict:
    paging, rows = letter_rows_page(request, cert_request)
    contact_form = contact_form or ContactForm(instance=cert_request, user=request.user)
    return {
        **table_context(cert_request),
        # Section 1 folds to one line once complete, so the list comes first on a phone.
        "contact_open": bool(contact_form.errors) or bool(cert_request.contact_missing()),
        "row_items": row_items(cert_request, rows, editor_revealer(request, cert_request)),
        **paging,
        "row_count": paging["row_page"].paginator.count,
        "contact_form": contact_form,
        "add_form": add_form or row_form(request, cert_request),
        "pick_kind": PICK_KIND.get(cert_request.form),
        "can_import": cert_request.form == FormKind.ISSUE_PERSON,
        "actions": allowed_actions(request.user, cert_request),
        "is_recovery": cert_request.form == FormKind.RECOVER_DEVICE,
        "form_help": FORM_HELP[REMOTE_PERSON if cert_request.remote_signing else cert_request.form],
        "returned": _returned_with(cert_request),
    }


def _returned_with(cert_request: CertRequest):
    """The comments the draft came back with (from the head or a reviewer), if it did."""
    last = cert_request.transitions.select_related("by").order_by("-at", "-pk").first()
    return last if last is not None and last.action in RETURN_ACTIONS else None
