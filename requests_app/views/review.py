"""The review half of a letter's life: its read page for every role, the workflow actions
(submit, issue, review, forward, process…), per-row decisions, the processing progress bar,
the Sở KH&CN inbox, the CA queue and the notifications page.

Views stay thin: a form parses, a service in `requests_app.services` acts (checking the
actor's right itself), a template renders. Out of scope is 404 (`visible_to`), in scope but
not allowed is 403, and a refused operation (DomainError) is a message on the page.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.access import scope_for
from agencies.choices import Role
from portal import models as portal_models
from portal.errors import DomainError
from portal.lib.paging import paginate
from portal.notifications import notification_mark_read
from requests_app import cells, services
from requests_app.choices import FINAL_OUTCOMES, FormKind, Outcome, Status
from requests_app.columns import FORM_COLUMNS
from requests_app.exceptions import RowInvalid
from requests_app.filters_queue import QueueFilterSet
from requests_app.models import CertRequest, RequestRow
from requests_app.permissions import allowed_actions
from requests_app.workflow import MOVES


# --- forms ---------------------------------------------------------------------------------
class ActionForm(forms.Form):
    """What an action may carry: a reason (required by the services where the law wants
    one) and, for the agency head, the letter's number."""

    note = forms.CharField(required=False, max_length=2000, strip=True)
    number = forms.CharField(required=False, max_length=64, strip=True)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("refuse", "refuse")])
    note = forms.CharField(required=False, max_length=500, strip=True)


class BulkForm(forms.Form):
    bulk = forms.ChoiceField(choices=[("forward", "forward"), ("accept_valid", "accept_valid")])
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Which ids exist is the queue's business (it only acts on letters it holds).
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()


# --- the actions of the detail page ----------------------------------------------------------
# action name in the URL -> (right checked by `permissions`, service call, success message)
ACTIONS = {
    "submit": (
        "submit",
        lambda cr, by, d: services.cert_request_submit(cert_request=cr, by=by),
        gettext_lazy("Đã trình lãnh đạo ký văn bản."),
    ),
    "issue": (
        "issue",
        lambda cr, by, d: services.cert_request_issue(cert_request=cr, by=by, number=d["number"]),
        gettext_lazy("Đã ký, ban hành văn bản và gửi Sở Khoa học và Công nghệ."),
    ),
    "send_back": (
        "send_back",
        lambda cr, by, d: services.cert_request_send_back(cert_request=cr, by=by, note=d["note"]),
        gettext_lazy("Đã trả lại văn bản cho cán bộ soạn."),
    ),
    "return": (
        "return",
        lambda cr, by, d: services.cert_request_return(cert_request=cr, by=by, note=d["note"]),
        gettext_lazy("Đã trả lại văn bản để cơ quan sửa."),
    ),
    "refuse": (
        "refuse",
        lambda cr, by, d: services.cert_request_refuse(cert_request=cr, by=by, note=d["note"]),
        gettext_lazy("Đã từ chối văn bản."),
    ),
    "forward": (
        "forward",
        lambda cr, by, d: services.cert_request_forward(cert_request=cr, by=by),
        gettext_lazy("Đã chuyển văn bản đến Cục Chứng thực số và Bảo mật thông tin."),
    ),
    "process": (
        "process",
        lambda cr, by, d: services.cert_request_process(cert_request=cr, by=by),
        gettext_lazy("Đã bắt đầu xử lý các dòng được chấp nhận."),
    ),
    "cancel": (
        "cancel",
        lambda cr, by, d: services.cert_request_cancel(cert_request=cr, by=by, note=d["note"]),
        gettext_lazy("Đã hủy văn bản."),
    ),
    "accept_valid": ("decide_rows", None, None),  # answered with the counts, below
}


def _visible_letter(request, pk: int) -> CertRequest:
    return get_object_or_404(
        CertRequest.objects.visible_to(request.user).select_related(
            "agency", "agency__province", "created_by"
        ),
        pk=pk,
    )


# --- the rows table ------------------------------------------------------------------------
# How a row's values are written lives in requests_app.cells (page, editor, export alike).
_columns = cells.columns
_cell = cells.page_cell


def _row_context(row: RequestRow, cert_request: CertRequest, actions: set[str]) -> dict:
    can_decide = "decide_rows" in actions
    return {
        "row": row,
        "cells": [_cell(row, name) for name in FORM_COLUMNS[cert_request.form]],
        "can_accept": can_decide and row.outcome == Outcome.PENDING,
        "can_refuse": can_decide and row.outcome not in FINAL_OUTCOMES,
    }


def _rows(cert_request: CertRequest):
    return cert_request.rows.select_related(
        "certificate",
        "device",
        "result_certificate",
        "result_device",
        "decided_by",
    ).order_by("position")


def _progress(cert_request: CertRequest) -> dict:
    total = cert_request.rows_to_process
    done = min(cert_request.rows_processed, total)
    return {
        "total": total,
        "done": done,
        "percent": int(done * 100 / total) if total else 0,
        "running": cert_request.status == Status.IN_PROCESS,
    }


def _actions_context(cert_request: CertRequest, actions: set[str], rows=None) -> dict:
    pending = None
    if rows is not None:
        pending = sum(1 for r in rows if r.outcome == Outcome.PENDING)
    return {
        "cert_request": cert_request,
        "actions": actions,
        "pending_rows": pending,
        "has_actions": bool(actions),
    }


# --- pages ---------------------------------------------------------------------------------
@login_required
@require_GET
def cert_request_detail(request, pk: int):
    cert_request = _visible_letter(request, pk)
    actions = allowed_actions(request.user, cert_request)
    rows = list(_rows(cert_request))
    for row in rows:
        row.cert_request = cert_request
    today = timezone.localdate()
    history = _history(cert_request)
    context = {
        "cert_request": cert_request,
        "last_reason": _last_reason(cert_request, history),
        "columns": _columns(cert_request.form),
        "rows": [_row_context(row, cert_request, actions) for row in rows],
        "row_count": len(rows),
        "outcome_counts": _outcome_counts(rows),
        "transitions": history,
        "progress": _progress(cert_request),
        "overdue": bool(
            cert_request.due_on
            and cert_request.due_on < today
            and cert_request.status not in (Status.DONE, Status.REFUSED, Status.CANCELLED)
        ),
        "is_recovery": cert_request.form == FormKind.RECOVER_DEVICE,
        "today": today,
        **_actions_context(cert_request, actions, rows),
    }
    return render(request, "requests_app/detail.html", context)


def _history(cert_request: CertRequest) -> list:
    transitions = list(cert_request.transitions.select_related("by").order_by("at", "pk"))
    for transition in transitions:
        move = MOVES.get(transition.action)
        transition.label = move.label if move else transition.action
    return transitions


REASONED_MOVES = {"send_back", "return", "refuse"}


def _last_reason(cert_request: CertRequest, history: list):
    """The comment that sent the letter back (or refused it), while it is still the news."""
    if not history or cert_request.status not in (Status.DRAFT, Status.REFUSED):
        return None
    last = history[-1]
    return last if last.action in REASONED_MOVES else None


def _outcome_counts(rows) -> list[tuple[str, str, int]]:
    counts = {value: 0 for value in Outcome.values}
    for row in rows:
        counts[row.outcome] += 1
    return [(value, label, counts[value]) for value, label in Outcome.choices if counts[value]]


@login_required
@require_POST
def cert_request_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    cert_request = _visible_letter(request, pk)
    right, call, success = ACTIONS[action]
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("requests_app:detail", pk=cert_request.pk)
    data = form.cleaned_data
    try:
        if action == "accept_valid":
            accepted, left = services.cert_request_accept_valid_rows(
                cert_request=cert_request, by=request.user
            )
            messages.success(request, _accept_summary(accepted, left))
        else:
            call(cert_request, request.user, data)
            messages.success(request, str(success))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("requests_app:detail", pk=cert_request.pk)


def _accept_summary(accepted: int, left: int) -> str:
    message = _("Đã chấp nhận %(n)d dòng hợp lệ.") % {"n": accepted}
    if left:
        message += " " + _("%(n)d dòng chưa hợp lệ vẫn chờ xem xét.") % {"n": left}
    return message


@login_required
@require_POST
def row_decide(request, pk: int, row_pk: int):
    cert_request = _visible_letter(request, pk)
    row = get_object_or_404(RequestRow.objects.select_related("certificate", "device"), pk=row_pk)
    if row.cert_request_id != cert_request.pk:
        raise Http404
    row.cert_request = cert_request
    form = DecideForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Thao tác không hợp lệ.")
    else:
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.row_decide(
                row=row, by=request.user, accept=accept, note=form.cleaned_data["note"]
            )
        except RowInvalid as exc:
            error = _("Dòng %(n)d chưa hợp lệ: %(msg)s") % {
                "n": row.position,
                "msg": " ".join(m for msgs in exc.errors.values() for m in msgs),
            }
        except DomainError as exc:
            error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('requests_app:detail', args=[cert_request.pk])}#dong-{row.pk}")

    cert_request.refresh_from_db()
    actions = allowed_actions(request.user, cert_request)
    row = _rows(cert_request).get(pk=row.pk)
    row.cert_request = cert_request
    pending = cert_request.rows.filter(outcome=Outcome.PENDING).count()
    context = {
        **_row_context(row, cert_request, actions),
        "cert_request": cert_request,
        "error": error,
        "oob_actions": True,
        "actions": actions,
        "pending_rows": pending,
        "has_actions": True,
    }
    return render(request, "requests_app/partials/_decide_row.html", context)


@login_required
@require_GET
def cert_request_progress(request, pk: int):
    cert_request = _visible_letter(request, pk)
    response = render(
        request,
        "requests_app/partials/_progress.html",
        {"cert_request": cert_request, "progress": _progress(cert_request)},
    )
    if request.htmx and cert_request.status != Status.IN_PROCESS:
        # Processing ended: reload the page once to show every row's outcome.
        response["HX-Refresh"] = "true"
    return response


# --- queues --------------------------------------------------------------------------------
QUEUES = {
    "province": {
        "role": Role.PROVINCIAL_OFFICER,
        "queryset": lambda user: CertRequest.objects.province_inbox(user),
        "statuses": (Status.PROVINCE_REVIEW, Status.IN_PROCESS),
        "bulk": ("accept_valid", "forward"),
        "url": "requests_app:province_inbox",
        "title": gettext_lazy("Hộp thư Sở Khoa học và Công nghệ"),
        "lead": gettext_lazy(
            "Văn bản của các cơ quan trong tỉnh chờ Sở xem xét, chuyển Cục CTS&BMTT hoặc xử lý "
            "(Mẫu 04, 06); hạn xử lý tính theo ngày làm việc."
        ),
    },
    "ca": {
        "role": Role.CA_OPERATOR,
        "queryset": lambda user: CertRequest.objects.ca_queue(user),
        "statuses": (Status.FORWARDED, Status.IN_PROCESS),
        "bulk": ("accept_valid",),
        "url": "requests_app:ca_queue",
        "title": gettext_lazy("Hàng đợi xử lý của Cục CTS&BMTT"),
        "lead": gettext_lazy(
            "Văn bản được các Sở KH&CN chuyển đến, chờ cấp hoặc thu hồi chứng thư; hạn xử lý "
            "tính theo ngày làm việc kể từ ngày nhận hồ sơ hợp lệ."
        ),
    },
}


def _queue(request, kind: str):
    queue = QUEUES[kind]
    if not scope_for(request.user).has_role(queue["role"]):
        raise PermissionDenied
    base = queue["queryset"](request.user)
    if request.method == "POST":
        return _bulk(request, base, queue)

    filterset = QueueFilterSet(request.GET or None, queryset=base, statuses=queue["statuses"])
    letters = filterset.qs.with_queue_figures()
    paging = paginate(request, letters)
    context = {
        "queue": queue,
        "kind": kind,
        "filter": filterset,
        "letters": paging["page"].object_list,
        **paging,
        "today": timezone.localdate(),
    }
    if request.htmx:
        return render(request, "requests_app/review/_queue_table.html", context)
    return render(request, "requests_app/review/queue.html", context)


def _bulk(request, base, queue):
    form = BulkForm(request.POST)
    back = request.get_full_path()
    if not form.is_valid() or form.cleaned_data["bulk"] not in queue["bulk"]:
        messages.error(request, _("Thao tác hàng loạt không hợp lệ."))
        return redirect(back)
    action = form.cleaned_data["bulk"]
    ids = form.cleaned_data["ids"]
    if not ids:
        messages.warning(request, _("Hãy chọn ít nhất một văn bản."))
        return redirect(back)
    done: list[str] = []
    failed: list[str] = []
    accepted_total = left_total = 0
    letters = base.filter(pk__in=ids).select_related("agency").order_by("due_on", "pk")
    for cert_request in letters:
        label = cert_request.number or f"#{cert_request.pk}"
        try:
            if action == "forward":
                services.cert_request_forward(cert_request=cert_request, by=request.user)
            else:
                accepted, left = services.cert_request_accept_valid_rows(
                    cert_request=cert_request, by=request.user
                )
                accepted_total += accepted
                left_total += left
            done.append(label)
        except PermissionDenied:
            failed.append(f"{label}: {_('bạn không có quyền thực hiện thao tác này.')}")
        except DomainError as exc:
            failed.append(f"{label}: {exc.message}")
    missing = len(set(ids)) - len(done) - len(failed)
    if action == "forward":
        summary = _("Đã chuyển Cục CTS&BMTT %(n)d văn bản.") % {"n": len(done)}
    else:
        summary = _(
            "Đã xem xét %(n)d văn bản: chấp nhận %(accepted)d dòng hợp lệ, "
            "%(left)d dòng chưa hợp lệ vẫn chờ."
        ) % {"n": len(done), "accepted": accepted_total, "left": left_total}
    (messages.success if done else messages.warning)(request, summary)
    if failed:
        messages.error(
            request,
            _("Không thực hiện được với %(n)d văn bản: %(list)s")
            % {"n": len(failed), "list": "; ".join(failed)},
        )
    if missing > 0:
        messages.warning(
            request,
            _("%(n)d văn bản không còn trong hàng đợi này.") % {"n": missing},
        )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def province_inbox(request):
    return _queue(request, "province")


@login_required
@require_http_methods(["GET", "POST"])
def ca_queue(request):
    return _queue(request, "ca")


# --- notifications -------------------------------------------------------------------------
@login_required
@require_GET
def notification_list(request):
    Notification = portal_models.Notification
    mine = Notification.objects.filter(user=request.user)
    ordered = mine.order_by(F("read_at").asc(nulls_first=True), "-created_at", "-pk")
    paging = paginate(request, ordered)
    return render(
        request,
        "requests_app/notifications.html",
        {
            **paging,
            "notifications": paging["page"].object_list,
            "unread": mine.filter(read_at__isnull=True).count(),
        },
    )


@login_required
@require_POST
def notification_read(request, pk: int | None = None):
    """Mark one notification read (and follow its link), or all of them."""
    if pk is None:
        count = notification_mark_read(user=request.user)
        messages.success(request, _("Đã đánh dấu %(n)d thông báo là đã đọc.") % {"n": count})
        return redirect("requests_app:notifications")
    notification = get_object_or_404(
        portal_models.Notification.objects.filter(user=request.user), pk=pk
    )
    notification_mark_read(user=request.user, notification_id=notification.pk)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("requests_app:notifications")
