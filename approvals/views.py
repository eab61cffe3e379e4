"""The approvers' queue and a request's page (docs/approvals.md): approve or reject with the
password typed again, withdraw one's own; while the approved action is being carried out, the
page follows its state. A refusal (someone decided first, the request expired, one's own
request) is a message on the page, never a 500."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.accounts.reauth import ReauthFailed
from approvals import services
from approvals.choices import ApprovalStatus
from approvals.forms import ApproveForm, CancelForm, RejectForm
from approvals.models import Approval
from approvals.registry import approval_kind
from portal.errors import DomainError

PAGE_SIZE = 50  # the oldest first: the most urgent on the first page


@login_required
@require_GET
def queue(request):
    mine = (
        Approval.objects.requested_by(request.user)
        .select_related("organization", "decided_by__person")
        .order_by("-requested_at", "-pk")[:50]
    )
    awaiting = Paginator(services.approvals_awaiting(request.user), PAGE_SIZE)
    return render(
        request,
        "approvals/queue.html",
        {"awaiting": awaiting.get_page(request.GET.get("trang")), "mine": mine},
    )


def _approval(request, pk: int) -> Approval:
    return get_object_or_404(
        Approval.objects.visible_to(request.user).select_related(
            "organization", "requested_by__person", "decided_by__person"
        ),
        pk=pk,
    )


def _state(approval) -> dict:
    """What the state's fragment shows (approvals/partials/_status.html): polled while the
    approved action is being carried out."""
    return {"approval": approval, "running": approval.status == ApprovalStatus.APPROVED}


def _detail(request, approval, *, approve_form=None, reject_form=None, status=200):
    pending = approval.status == ApprovalStatus.PENDING
    may_decide = (
        pending
        and services.may_decide(request.user, approval)
        and not services.same_person(request.user, approval.requested_by)
    )
    return render(
        request,
        "approvals/detail.html",
        {
            **_state(approval),
            "object_url": approval_kind(approval.action, approval.object_key).url(approval),
            "transitions": approval.transitions.select_related("by__person"),
            "may_decide": may_decide,
            "may_cancel": pending and approval.requested_by_id == request.user.pk,
            "approve_form": approve_form or ApproveForm(),
            "reject_form": reject_form or RejectForm(),
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk: int):
    return _detail(request, _approval(request, pk))


@login_required
@require_GET
def status(request, pk: int):
    """The request's state, polled by its page while its action is being carried out; once
    it has ended under a polling page, the page reloads once to show its outcome and history."""
    context = _state(_approval(request, pk))
    response = render(request, "approvals/partials/_status.html", context)
    if request.htmx and not context["running"]:
        response["HX-Refresh"] = "true"
    return response


def _decide(request, pk: int, form_class, decide, done: str, form_name: str):
    approval = _approval(request, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail(request, approval, status=400, **{form_name: form})
    try:
        form.reauth_verify(request, purpose=f"approval.{form_name[:-5]}", obj=approval)
        decide(approval, form.cleaned_data)
    except ReauthFailed as exc:
        form.add_error(None, exc.message)
        return _detail(request, approval, status=400, **{form_name: form})
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("approvals:detail", pk=approval.pk)


@login_required
@require_POST
def approve(request, pk: int):
    return _decide(
        request, pk, ApproveForm,
        lambda approval, data: services.approval_approve(
            approval=approval, by=request.user, note=data["note"]
        ),
        _("Đã phê duyệt; thao tác đang được thực hiện."), "approve_form",
    )  # fmt: skip


@login_required
@require_POST
def reject(request, pk: int):
    return _decide(
        request, pk, RejectForm,
        lambda approval, data: services.approval_reject(
            approval=approval, by=request.user, reason=data["reason"]
        ),
        _("Đã từ chối đề nghị."), "reject_form",
    )  # fmt: skip


@login_required
@require_POST
def cancel(request, pk: int):
    approval = _approval(request, pk)
    form = CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.approval_cancel(approval=approval, by=request.user, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã hủy đề nghị."))
    return redirect("approvals:detail", pk=approval.pk)
