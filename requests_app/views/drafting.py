"""The drafting half of a letter's life, for the agency clerk (and what the agency head sees
of it): the letters list, a new letter, the draft editor with inline row editing (htmx) and
pickers, the Excel import with its preview, and the Excel export.

Views stay thin: forms parse, `requests_app.services` write (checking rights and rules), the
templates render. Out of scope is 404 (`visible_to`), in scope but not allowed is 403
(`permissions.require`); a refused operation is an inline error or a message, never an error
page. The htmx endpoints also work as plain POSTs, so the basic editor works without JS.
"""

import copy
import functools
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from agencies.access import scope_for
from agencies.choices import Role
from agencies.models import Person
from certificates.choices import RevocationReason
from certificates.models import Certificate
from devices.choices import DeviceStatus
from devices.models import Device
from portal.errors import DomainError
from portal.lib.paging import paginate
from requests_app import excel, services
from requests_app.choices import FormKind, Status
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowInvalid, RowsInvalid
from requests_app.filters import CertRequestFilterSet
from requests_app.forms import (
    CertRequestCreateForm,
    ContactForm,
    ExcelConfirmForm,
    ExcelUploadForm,
    RowForm,
    clerk_agencies,
    contact_from_person,
    row_initial,
    row_initial_from_person,
    row_initial_from_query,
)
from requests_app.models import CertRequest, RequestRow
from requests_app.permissions import Overtaken, allowed_actions, require

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
IMPORT_SESSION_KEY = "requests_app.excel_import"
# Workflow actions that bring a letter back to its drafter with comments.
RETURN_ACTIONS = ("send_back", "return")


# --- helpers -------------------------------------------------------------------------------
class _NoLongerDraft(Exception):
    def __init__(self, cert_request):
        self.cert_request = cert_request


def _letter(request, pk: int, action: str | None = None) -> CertRequest:
    cert_request = get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related("agency", "agency__province"),
        pk=pk,
    )
    if action is not None:
        try:
            require(request.user, action, cert_request)
        except Overtaken:
            if action == "edit":
                raise _NoLongerDraft(cert_request) from None
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
    """Turn `_NoLongerDraft` into the redirect above."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _NoLongerDraft as exc:
            return _no_longer_draft(request, exc.cert_request)

    return wrapped


def _columns(form: str) -> list[tuple[str, str]]:
    labels = {"certificate": _("Chứng thư"), "device": _("Thiết bị")}
    return [
        (name, labels.get(name) or str(RequestRow._meta.get_field(name).verbose_name))
        for name in FORM_COLUMNS[form]
    ]


def _cell(row: RequestRow, name: str) -> dict:
    """One cell as the letter shows it (dates dd/mm/yyyy, labels, serials).

    Every key is always present: a missing key costs the template engine a slow failed
    lookup, which adds up over a 2,000-row letter.
    """
    text, sub, sub2, cls = "", "", "", ""
    if name == "certificate":
        certificate = row.certificate
        if certificate is None:
            text = "—"
        else:
            text, sub, sub2 = certificate.common_name, certificate.serial, certificate.email
    elif name == "device":
        device = row.device
        if device is None:
            text = "—"
        else:
            text, sub, cls = device.serial, device.get_kind_display(), "mono"
            sub2 = device.holder.full_name if device.holder_id else ""
    else:
        value = getattr(row, name)
        if name == "revoke_reason" and value:
            try:
                text = RevocationReason(value).label
            except ValueError:
                text = value
        elif isinstance(value, bool):
            text, cls = ("✓" if value else ""), "center"
        elif value is None or value == "":
            text = ""
        elif hasattr(value, "strftime"):
            text = value.strftime("%d/%m/%Y")
        else:
            display = getattr(row, f"get_{name}_display", None)
            text = display() if display else value
    return {"text": text, "sub": sub, "sub2": sub2, "cls": cls, "mono_sub": name == "certificate"}


def _rows(cert_request: CertRequest) -> list[RequestRow]:
    rows = list(
        cert_request.rows.select_related("certificate", "device", "device__holder").order_by(
            "position"
        )
    )
    for row in rows:
        row.cert_request = cert_request
    return rows


class _RowUrls:
    """Each row's edit / delete URLs, reversed once per letter rather than once per row."""

    MARK = "987654321"

    def __init__(self, cert_request: CertRequest):
        self.edit = reverse("requests_app:row_edit", args=[cert_request.pk, self.MARK])
        self.delete = reverse("requests_app:row_delete", args=[cert_request.pk, self.MARK])

    def of(self, row: RequestRow) -> tuple[str, str]:
        pk = str(row.pk)
        return self.edit.replace(self.MARK, pk), self.delete.replace(self.MARK, pk)


def _row_item(row: RequestRow, urls: _RowUrls | None = None) -> dict:
    edit_url, delete_url = (urls or _RowUrls(row.cert_request)).of(row)
    return {
        "row": row,
        "cells": [_cell(row, name) for name in FORM_COLUMNS[row.cert_request.form]],
        "edit_url": edit_url,
        "delete_url": delete_url,
        "label": _("dòng %(n)d") % {"n": row.position},
        "confirm": _("Xóa dòng %(n)d khỏi văn bản?") % {"n": row.position},
    }


def _row_items(cert_request: CertRequest, rows) -> list[dict]:
    urls = _RowUrls(cert_request)
    return [_row_item(row, urls) for row in rows]


def _table_context(cert_request: CertRequest) -> dict:
    columns = _columns(cert_request.form)
    return {"cert_request": cert_request, "columns": columns, "colspan": len(columns) + 2}


def _row_form(request, cert_request, *, data=None, initial=None, chosen=None, row=None) -> RowForm:
    # Several row forms share the page (add + inline edits): give each its own element ids.
    return RowForm(
        data,
        initial=initial,
        cert_request=cert_request,
        user=request.user,
        chosen=chosen,
        auto_id=f"dong{row.pk}_%s" if row is not None else "them_%s",
    )


def _picked(request, cert_request: CertRequest) -> tuple[dict, object]:
    """What the row form should show after a pick: the values it held, plus the picked
    person's columns, or the picked certificate / device. Returns (initial, chosen object)."""
    columns = FORM_COLUMNS[cert_request.form]
    initial = row_initial_from_query(request.GET, columns)
    chosen = request.GET.get("chon", "")
    kind = PICK_KIND.get(cert_request.form)
    if not chosen.isdigit() or kind is None:
        return initial, None
    found = _pick_queryset(request, cert_request, kind).filter(pk=int(chosen)).first()
    if found is None:
        return initial, None
    if kind == "person":
        initial.update(row_initial_from_person(found))
        return initial, None
    initial[kind] = found.serial
    return initial, found


def _save_row(request, form: RowForm, cert_request, row=None) -> RequestRow | None:
    if not form.is_valid():
        return None
    try:
        return services.row_save(
            cert_request=cert_request, by=request.user, data=form.service_data(), row=row
        )
    except RowInvalid as exc:
        form.add_row_errors(exc.errors)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


def _saved_row(cert_request, pk: int) -> RequestRow:
    row = cert_request.rows.select_related("certificate", "device", "device__holder").get(pk=pk)
    row.cert_request = cert_request
    return row


def _get_row(cert_request, row_pk: int) -> RequestRow:
    row = get_object_or_404(
        cert_request.rows.select_related("certificate", "device", "device__holder"), pk=row_pk
    )
    row.cert_request = cert_request
    return row


# --- the list ------------------------------------------------------------------------------
@login_required
@require_GET
def cert_request_list(request):
    user = request.user
    # Subqueries rather than a join + GROUP BY: they run for the page's letters only, and the
    # paginator's COUNT drops them.
    overdue = CertRequest.objects.overdue().filter(pk=OuterRef("pk"))
    row_count = (
        RequestRow.objects.filter(cert_request=OuterRef("pk"))
        .order_by()
        .values("cert_request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    base = (
        CertRequest.objects.visible_to(user)
        .select_related("agency")
        .annotate(row_count=Coalesce(Subquery(row_count), 0), is_overdue=Exists(overdue))
        .order_by("-created_at", "-pk")
    )
    filterset = CertRequestFilterSet(request.GET or None, queryset=base, request=request)
    paging = paginate(request, filterset.qs)
    letters = list(paging["page"].object_list)
    for letter in letters:
        letter.actions = allowed_actions(user, letter)
    scope = scope_for(user)
    context = {
        "filter": filterset,
        "letters": letters,
        **paging,
        "can_draft": Role.AGENCY_CLERK in scope.roles,
        "form_kinds": [(value, label, FORM_HELP[value]) for value, label in FormKind.choices],
        "awaiting_signature": _awaiting_signature(user, scope),
    }
    if request.htmx and request.htmx.target == "ket-qua":
        return render(request, "requests_app/drafting/_list_table.html", context)
    return render(request, "requests_app/list.html", context)


def _awaiting_signature(user, scope) -> int | None:
    """For an agency head: how many letters wait for their signature (None for others)."""
    paths = scope.role_paths.get(Role.AGENCY_HEAD, ())
    if not paths:
        return None
    return (
        CertRequest.objects.visible_to(user)
        .within(*paths)
        .filter(status=Status.AWAITING_HEAD)
        .exclude(created_by=user)
        .count()
    )


# --- a new letter --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def cert_request_create(request):
    agencies = list(clerk_agencies(request.user))
    if not agencies:
        raise PermissionDenied
    if request.method == "POST":
        form = CertRequestCreateForm(request.POST, user=request.user)
        if form.is_valid():
            kind = form.cleaned_data["form"]
            agency = form.cleaned_data["agency"]
            try:
                cert_request = services.cert_request_create(
                    agency=agency, form=kind, by=request.user, **_contact_prefill(request, kind)
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Đã tạo dự thảo %(form)s. Hãy điền mục 1 và thêm các dòng.")
                    % {"form": cert_request.get_form_display()},
                )
                return redirect("requests_app:edit", pk=cert_request.pk)
    else:
        kind = request.GET.get("mau", "")
        form = CertRequestCreateForm(
            initial={
                "form": kind if kind in FormKind.values else None,
                "agency": agencies[0],
            },
            user=request.user,
        )
    return render(
        request,
        "requests_app/drafting/create.html",
        {
            "form": form,
            "agencies": agencies,
            "form_help": {value: FORM_HELP[value] for value in FormKind.values},
        },
    )


def _contact_prefill(request, kind: str) -> dict:
    """Section 1 from the clerk's own Person record, keeping only values that pass its checks."""
    person = Person.objects.filter(user=request.user).select_related("organization").first()
    if person is None:
        return {}
    data = contact_from_person(person, kind)
    probe = ContactForm(
        {**data, "contact_id_issue_date": _date_text(data.get("contact_id_issue_date"))},
        instance=CertRequest(form=kind),
    )
    probe.is_valid()
    return {name: value for name, value in data.items() if name not in probe.errors}


def _date_text(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


# --- the editor ----------------------------------------------------------------------------
def _editor_context(request, cert_request, *, contact_form=None, add_form=None) -> dict:
    rows = _rows(cert_request)
    return {
        **_table_context(cert_request),
        "row_items": _row_items(cert_request, rows),
        "row_count": len(rows),
        "contact_form": contact_form or ContactForm(instance=cert_request),
        "add_form": add_form or _row_form(request, cert_request),
        "pick_kind": PICK_KIND.get(cert_request.form),
        "can_import": cert_request.form == FormKind.ISSUE_PERSON,
        "actions": allowed_actions(request.user, cert_request),
        "is_recovery": cert_request.form == FormKind.RECOVER_DEVICE,
        "form_help": FORM_HELP[cert_request.form],
        "returned": _returned_with(cert_request),
    }


def _returned_with(cert_request: CertRequest):
    """The comments the draft came back with (from the head or a reviewer), if it did."""
    last = cert_request.transitions.select_related("by").order_by("-at", "-pk").first()
    return last if last is not None and last.action in RETURN_ACTIONS else None


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def cert_request_edit(request, pk: int):
    """The draft editor. POST saves section 1 ("Lưu nháp") and, with the "Trình lãnh đạo ký"
    button, submits right after: the clerk's last edits to section 1 are never lost."""
    cert_request = _letter(request, pk, "edit")
    if request.method == "GET":
        return render(
            request, "requests_app/drafting/edit.html", _editor_context(request, cert_request)
        )

    form = ContactForm(request.POST, instance=copy.copy(cert_request))
    submit = request.POST.get("_action") == "submit"
    if not form.is_valid():
        messages.error(request, _("Mục 1 có thông tin chưa hợp lệ: xem các ô được đánh dấu."))
        context = _editor_context(request, cert_request, contact_form=form)
        return render(request, "requests_app/drafting/edit.html", context)
    changed = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        if changed:
            services.cert_request_update(cert_request=cert_request, by=request.user, data=changed)
    except ValidationError as exc:
        form.add_error(None, exc)
        context = _editor_context(request, cert_request, contact_form=form)
        return render(request, "requests_app/drafting/edit.html", context)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("requests_app:edit", pk=cert_request.pk)
    if not submit:
        messages.success(
            request, _("Đã lưu dự thảo. Bạn có thể quay lại soạn tiếp bất cứ lúc nào.")
        )
        return redirect("requests_app:edit", pk=cert_request.pk)
    try:
        services.cert_request_submit(cert_request=cert_request, by=request.user)
    except DomainError as exc:
        messages.error(request, _("Chưa trình được: %(why)s") % {"why": exc.message})
        return redirect("requests_app:edit", pk=cert_request.pk)
    messages.success(request, _("Đã trình lãnh đạo ký văn bản."))
    return redirect("requests_app:detail", pk=cert_request.pk)


# --- rows (htmx, with plain-POST fallbacks) ------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def row_add(request, pk: int):
    cert_request = _letter(request, pk, "edit")
    edit_url = reverse("requests_app:edit", args=[cert_request.pk])
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{edit_url}#them-dong")
        initial, chosen = _picked(request, cert_request)
        form = _row_form(request, cert_request, initial=initial, chosen=chosen)
        return render(
            request,
            "requests_app/partials/_row_add.html",
            {
                **_table_context(cert_request),
                "form": form,
                "pick_kind": PICK_KIND.get(cert_request.form),
            },
        )

    form = _row_form(request, cert_request, data=request.POST)
    row = _save_row(request, form, cert_request)
    if row is None:
        if request.htmx:
            response = render(
                request,
                "requests_app/partials/_row_add.html",
                {
                    **_table_context(cert_request),
                    "form": form,
                    "pick_kind": PICK_KIND.get(cert_request.form),
                },
            )
            return reswap(retarget(response, "#row-add"), "outerHTML")
        context = _editor_context(request, cert_request, add_form=form)
        return render(request, "requests_app/drafting/edit.html", context)
    if not request.htmx:
        messages.success(request, _("Đã thêm dòng %(n)d.") % {"n": row.position})
        return redirect(f"{edit_url}#dong-{row.pk}")
    row = _saved_row(cert_request, row.pk)
    return render(
        request,
        "requests_app/partials/_row_added.html",
        {
            **_table_context(cert_request),
            "item": _row_item(row),
            "form": _row_form(request, cert_request),
            "pick_kind": PICK_KIND.get(cert_request.form),
            "row_count": cert_request.rows.count(),
            "status_message": _("Đã thêm dòng %(n)d.") % {"n": row.position},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def row_edit(request, pk: int, row_pk: int):
    cert_request = _letter(request, pk, "edit")
    row = _get_row(cert_request, row_pk)
    if request.method == "GET":
        initial, chosen = _picked(request, cert_request)
        form = _row_form(
            request,
            cert_request,
            initial={**row_initial(row), **initial},
            chosen=chosen or row.certificate or row.device,
            row=row,
        )
    else:
        form = _row_form(
            request, cert_request, data=request.POST, chosen=row.certificate or row.device, row=row
        )
        saved = _save_row(request, form, cert_request, row=row)
        if saved is not None:
            if not request.htmx:
                messages.success(request, _("Đã lưu dòng %(n)d.") % {"n": saved.position})
                edit_url = reverse("requests_app:edit", args=[cert_request.pk])
                return redirect(f"{edit_url}#dong-{saved.pk}")
            return render(
                request,
                "requests_app/partials/_row_saved.html",
                {
                    **_table_context(cert_request),
                    "item": _row_item(_saved_row(cert_request, row.pk)),
                    "row_count": cert_request.rows.count(),
                    "status_message": _("Đã lưu dòng %(n)d.") % {"n": saved.position},
                },
            )
        row = _get_row(cert_request, row_pk)  # row_save set the refused values on it
    context = {
        **_table_context(cert_request),
        "row": row,
        "form": form,
        "pick_kind": PICK_KIND.get(cert_request.form),
    }
    if request.htmx:
        return render(request, "requests_app/partials/_row_edit.html", context)
    return render(request, "requests_app/drafting/row_edit.html", context)


@login_required
@require_GET
@drafting_view
def row_show(request, pk: int, row_pk: int):
    """One row as displayed: what "Hủy" in the inline edit form brings back."""
    cert_request = _letter(request, pk, "edit")
    row = _get_row(cert_request, row_pk)
    if not request.htmx:
        edit_url = reverse("requests_app:edit", args=[cert_request.pk])
        return redirect(f"{edit_url}#dong-{row.pk}")
    return render(
        request,
        "requests_app/partials/_row.html",
        {**_table_context(cert_request), "item": _row_item(row)},
    )


@login_required
@require_POST
@drafting_view
def row_delete(request, pk: int, row_pk: int):
    cert_request = _letter(request, pk, "edit")
    row = _get_row(cert_request, row_pk)
    position = row.position
    services.row_delete(row=row, by=request.user)
    if not request.htmx:
        messages.success(request, _("Đã xóa dòng %(n)d.") % {"n": position})
        return redirect("requests_app:edit", pk=cert_request.pk)
    rows = _rows(cert_request)
    return render(
        request,
        "requests_app/partials/_rows_body.html",
        {
            **_table_context(cert_request),
            "row_items": _row_items(cert_request, rows),
            "row_count": len(rows),
            "oob_count": True,
            "status_message": _("Đã xóa dòng %(n)d.") % {"n": position},
        },
    )


# --- pickers -------------------------------------------------------------------------------
def _pick_queryset(request, cert_request: CertRequest, kind: str):
    """What a clerk may pick for this letter: the agency's people; its valid certificates
    (Mẫu 04/05); its locked devices (Mẫu 06). Always within what the user may see."""
    user, path = request.user, cert_request.agency.path
    if kind == "person":
        return (
            Person.objects.visible_to(user)
            .within(path)
            .select_related("organization", "organization__province")
            .order_by("full_name", "pk")
        )
    if kind == "certificate":
        return (
            Certificate.objects.visible_to(user)
            .valid()
            .within(path)
            .select_related("agency")
            .defer("der")
            .annotate(
                has_open_request=Exists(
                    RequestRow.objects.open().filter(certificate=OuterRef("pk"))
                )
            )
            .order_by("common_name", "pk")
        )
    return (
        Device.objects.visible_to(user)
        .within(path)
        .filter(status=DeviceStatus.LOCKED)
        .select_related("holder", "agency")
        .order_by("serial", "pk")
    )


def _search(queryset, kind: str, q: str):
    if not q:
        return queryset
    if kind == "person":
        return queryset.filter(
            Q(full_name__icontains=q)
            | Q(national_id__startswith=q)
            | Q(official_email__icontains=q)
        )
    if kind == "certificate":
        return queryset.filter(
            Q(common_name__icontains=q) | Q(serial__istartswith=q) | Q(email__icontains=q)
        )
    return queryset.filter(
        Q(serial__icontains=q) | Q(phone__startswith=q) | Q(holder__full_name__icontains=q)
    )


@login_required
@require_GET
@drafting_view
def pick(request, pk: int, kind: str):
    """Search fragment of a picker: up to 20 matches, each a button that refills the row form."""
    cert_request = _letter(request, pk, "edit")
    if PICK_KIND.get(cert_request.form) != kind:
        raise Http404
    q = request.GET.get("q", "").strip()[:100]
    results = list(_search(_pick_queryset(request, cert_request, kind), kind, q)[:PICK_LIMIT])
    row_pk = request.GET.get("dong", "")
    if row_pk.isdigit():
        form_url = reverse("requests_app:row_edit", args=[cert_request.pk, int(row_pk)])
    else:
        form_url = reverse("requests_app:row_add", args=[cert_request.pk])
    return render(
        request,
        "requests_app/partials/_pick_results.html",
        {
            "kind": kind,
            "results": results,
            "q": q,
            "form_url": form_url,
            "limit": PICK_LIMIT,
            "now": timezone.now(),
        },
    )


# --- Excel ---------------------------------------------------------------------------------
def _stage(request, cert_request, sheet: excel.ParsedSheet) -> str:
    """Keep the good rows server-side until the clerk confirms (one import per session)."""
    token = secrets.token_urlsafe(16)
    request.session[IMPORT_SESSION_KEY] = {
        "token": token,
        "letter": cert_request.pk,
        "payload": excel.to_payload(sheet.layout, sheet.good_rows),
    }
    return token


def _preview(request, cert_request, sheet, *, status=200) -> HttpResponse:
    token = _stage(request, cert_request, sheet) if sheet.good_rows else ""
    problems = [
        (row.line, column, message) for row in sheet.bad_rows for column, message in row.problems
    ]
    return render(
        request,
        "requests_app/drafting/import_preview.html",
        {
            **_table_context(cert_request),
            "sheet": sheet,
            "problems": problems,
            "good": [
                {
                    "line": r.line,
                    "cells": [
                        _cell(RequestRow(**r.data), n) for n in FORM_COLUMNS[FormKind.ISSUE_PERSON]
                    ],
                }
                for r in sheet.good_rows[:200]
            ],
            "good_count": len(sheet.good_rows),
            "bad_count": len(sheet.bad_rows),
            "token": token,
        },
        status=status,
    )


def _importable(request, pk: int) -> CertRequest:
    cert_request = _letter(request, pk, "edit")
    if cert_request.form != FormKind.ISSUE_PERSON:
        raise Http404
    return cert_request


@login_required
@require_http_methods(["GET", "POST"])
@drafting_view
def excel_import(request, pk: int):
    cert_request = _importable(request, pk)
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            sheet = excel.read_workbook(form.cleaned_data["file"])
        except excel.ImportRefused as exc:
            form.add_error("file", exc.message)
        else:
            if not sheet.rows:
                form.add_error("file", _("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."))
            else:
                excel.check_rows(cert_request, sheet.layout, sheet.rows)
                return _preview(request, cert_request, sheet)
    return render(
        request,
        "requests_app/drafting/import.html",
        {
            "cert_request": cert_request,
            "form": form,
            "max_rows": excel.MAX_ROWS,
            "max_mb": excel.MAX_BYTES // 1024 // 1024,
        },
    )


@login_required
@require_POST
@drafting_view
def excel_import_confirm(request, pk: int):
    cert_request = _importable(request, pk)
    form = ExcelConfirmForm(request.POST)
    staged = request.session.get(IMPORT_SESSION_KEY) or {}
    if (
        not form.is_valid()
        or staged.get("token") != form.cleaned_data["token"]
        or staged.get("letter") != cert_request.pk
    ):
        messages.error(
            request,
            _("Dữ liệu xem trước đã hết hạn hoặc đã được thêm. Hãy tải tệp lên lại."),
        )
        return redirect("requests_app:import", pk=cert_request.pk)
    sheet = excel.from_payload(staged["payload"])
    excel.check_rows(cert_request, sheet.layout, sheet.rows)
    if sheet.bad_rows:
        messages.warning(request, _CHANGED_MESSAGE)
        return _preview(request, cert_request, sheet)
    try:
        count = excel.save_rows(
            cert_request=cert_request, by=request.user, layout=sheet.layout, rows=sheet.rows
        )
    except RowsInvalid:
        messages.warning(request, _CHANGED_MESSAGE)
        return _preview(request, cert_request, sheet)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("requests_app:import", pk=cert_request.pk)
    del request.session[IMPORT_SESSION_KEY]
    messages.success(request, _("Đã thêm %(n)d dòng từ tệp Excel.") % {"n": count})
    return redirect("requests_app:edit", pk=cert_request.pk)


_CHANGED_MESSAGE = gettext_lazy(
    "Văn bản đã thay đổi từ lúc xem trước: một số dòng không còn hợp lệ. Chưa dòng nào được thêm; "
    "hãy xem lại danh sách dưới đây."
)


@login_required
@require_GET
def excel_export(request, pk: int):
    cert_request = _letter(request, pk)
    rows = cert_request.rows.select_related("certificate", "device").order_by("position")
    body = excel.export_workbook(cert_request, rows)
    response = HttpResponse(body, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="van-ban-{cert_request.pk}-mau-{cert_request.form}.xlsx"'
    )
    return response
