"""The bulk pages (docs/bulk.md): the preview of what a register's filter finds (its count
and first rows) with the actions the user may take, the confirmation (a CSRF POST) that
creates the job, and the job's page with its progress (htmx polling) and each item's
outcome. A refusal is a message on the page, never a 500; a job out of scope is 404."""

from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bulk import selection, services
from bulk.actions import actions_for, letters_of, revocation_waits_for
from bulk.choices import TERMINAL_STATUSES, Register
from bulk.forms import REAUTH_ACTIONS, BulkConfirmForm
from bulk.models import BulkItem, BulkJob
from bulk.registers import BY_SLUG, REGISTERS
from portal.errors import DomainError

ITEMS_PER_PAGE = 50
# What of the register's page is no filter: where it was in the list, its export.
NOT_FILTERS = ("page", "cursor", "den", "xuat", "page_size")


def _query_of(request) -> str:
    query = request.GET.copy()
    for name in NOT_FILTERS:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def new(request, slug: str = ""):
    """The bulk page of a register: /hang-loat/moi/ is the certificates', /hang-loat/moi/<slug>/
    another's (`bulk.registers`)."""
    spec = BY_SLUG.get(slug) if slug else REGISTERS[Register.CERTIFICATES]
    if spec is None:
        raise Http404
    actions = actions_for(request.user, spec.register)
    if not actions:
        raise PermissionDenied
    query = request.POST.get("query", "") if request.method == "POST" else _query_of(request)
    try:
        preview = selection.preview(register=spec.register, query=query, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(spec.list_url)
    form = BulkConfirmForm(
        request.POST if request.method == "POST" else None,
        initial={"query": preview.query},
        actions=actions,
        reasons=preview.reasons,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["action"] in REAUTH_ACTIONS:
                    form.reauth_verify(request, purpose="bulk_job.create")
                job = services.bulk_job_create(
                    register=spec.register,
                    query=form.cleaned_data["query"],
                    action=form.cleaned_data["action"],
                    params={"reason": form.cleaned_data["revocation_reason"]},
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Đã lập việc hàng loạt #%(pk)s; đang chờ phê duyệt.") % {"pk": job.pk}
                    if job.approval_id
                    else _("Đã lập việc hàng loạt #%(pk)s; đang thực hiện.") % {"pk": job.pk},
                )
                return redirect("bulk:detail", pk=job.pk)
        status = 400
    revoking = "revoke" in actions and preview.count and not preview.too_many
    rows = (
        selection.register_rows(register=spec.register, query=query, user=request.user)[0]
        if revoking
        else None
    )
    context = {
        "spec": spec,
        "preview": preview,
        # what a revocation of this selection would wait for, by the approval rules
        "revocation_waits": revoking and revocation_waits_for(rows, request.user, preview.count),
        # a revocation is confirmed with the password (the fields are drawn when it is offered)
        "asks_password": any(action in REAUTH_ACTIONS for action in actions),
        "form": form,
        "too_many": selection.too_many_message(preview.cap) if preview.too_many else "",
        "register_url": f"?{preview.query}" if preview.query else "",
    }
    return render(request, "bulk/new.html", context, status=status)


def _job(request, pk: int) -> BulkJob:
    return get_object_or_404(
        BulkJob.objects.visible_to(request.user).select_related("requested_by__person", "approval"),
        pk=pk,
    )


def _context(job: BulkJob) -> dict:
    return {"job": job, "running": job.status not in TERMINAL_STATUSES}


class ItemRow(NamedTuple):
    item: BulkItem
    key: str  # the object's short name, or the placeholder
    name: str
    url: str
    note: str  # the item's message, shown only with its object
    object_id: int | None


def _item_rows(spec, items, user) -> list[ItemRow]:
    """A page of a job's items with their objects read from the job's register, named and
    linked only when `user` may see them (`visible_to`, decided for the page at once: a CA
    operator reads every job, not every register's objects). Any other is a neutral
    placeholder with the item's outcome, without its message (which may name the object's
    agency)."""
    seen = spec.visible_ids(user, [item.object_id for item in items])
    found = {obj.pk: obj for obj in spec.items(sorted(seen))}
    rows = []
    for item in items:
        obj = found.get(item.object_id)
        if obj is None:
            rows.append(ItemRow(item, _("ngoài phạm vi của bạn"), "", "", "", None))
        else:
            rows.append(
                ItemRow(item, spec.key(obj), spec.name(obj), spec.object_url(obj), item.message,
                        item.object_id)
            )  # fmt: skip
    return rows


@login_required
@require_GET
def detail(request, pk: int):
    job = _job(request, pk)
    spec = REGISTERS[job.register]
    page = Paginator(job.items.order_by("object_id"), ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        **_context(job),
        "spec": spec,
        "page": page,
        "rows": _item_rows(spec, list(page.object_list), request.user),
        "letters": letters_of(job, request.user),
        "filter_terms": selection.filter_terms(job.register, job.query, request.user),
    }
    return render(request, "bulk/detail.html", context)


@login_required
@require_GET
def progress(request, pk: int):
    context = _context(_job(request, pk))
    response = render(request, "bulk/partials/_progress.html", context)
    if request.htmx and not context["running"]:
        # The job has just ended under a polling page: reload it once, so that its list of
        # items shows each outcome rather than "waiting".
        response["HX-Refresh"] = "true"
    return response
