"""The merger pages: the list, the wizard (sources and case, target, date), the preview with
its counts, per-organisation breakdown and editable choices, the Excel of the plan, and the
discard and apply buttons. Out of scope is 404 (`visible_to`), in scope but not allowed 403
(`orgmerge.permissions`); a refused operation is a message on the page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.models import Approval
from orgmerge import services
from orgmerge.choices import ActionKind, MergerCase, PlanStatus
from orgmerge.excel import plan_workbook
from orgmerge.forms import ApplyForm, ChoicesForm, DiscardForm, PlanForm
from orgmerge.models import MergerPlan
from orgmerge.permissions import may_act, may_plan_any
from portal.errors import DomainError
from portal.lib.xlsx import XLSX_CONTENT_TYPE

KIND_ORDER = list(ActionKind)


def visible_plan(request, pk: int) -> MergerPlan:
    return get_object_or_404(
        MergerPlan.objects.visible_to(request.user).select_related(
            "province", "target", "created_by"
        ),
        pk=pk,
    )


def plan_actions(plan):
    return plan.actions.select_related(
        "source", "certificate", "person", "device", "letter"
    ).order_by("source__name", "kind", "pk")


@login_required
@require_GET
def plan_list(request):
    if not may_plan_any(request.user):
        raise PermissionDenied
    plans = MergerPlan.objects.visible_to(request.user).select_related("province", "target")
    return render(
        request,
        "orgmerge/list.html",
        {"plans": plans.prefetch_related("sources__organization")[:200]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    if not may_plan_any(request.user):
        raise PermissionDenied
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.merger_plan_create(
                sources=list(data["sources"]),
                case=data["case"],
                target=form.target(),
                target_name=data["target_name"],
                effective_on=data["effective_on"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã lập phương án; hãy xem lại trước khi thực hiện."))
            return redirect("orgmerge:detail", pk=plan.pk)
    return render(request, "orgmerge/create.html", {"form": form})


def _breakdown(actions) -> list[dict]:
    per: dict[int, dict] = {}
    for action in actions:
        entry = per.setdefault(
            action.source_id, {"source": action.source, "counts": dict.fromkeys(KIND_ORDER, 0)}
        )
        entry["counts"][action.kind] += 1
    return [
        {"source": e["source"], "counts": [e["counts"][k] for k in KIND_ORDER]}
        for e in per.values()
    ]


@login_required
@require_GET
def plan_detail(request, pk: int):
    plan = visible_plan(request, pk)
    actions = list(plan_actions(plan))
    source_ids = set(plan.sources.values_list("organization_id", flat=True))
    totals = dict.fromkeys(KIND_ORDER, 0)
    for action in actions:
        totals[action.kind] += 1
    # Which organisation certificate survives is a choice in (a) and (b) only.
    merging = plan.case in (MergerCase.NEW_NAME, MergerCase.KEEPS_NAME)
    org_certificates = [
        a
        for a in actions
        if merging
        and a.certificate is not None
        and a.certificate.subject_organization_id in source_ids
    ]
    people = {a.person_id: a.person for a in actions if a.certificate and a.person_id}
    # A pending request to apply it (docs/approvals.md): nothing more is changed meanwhile.
    approval = Approval.objects.open_for(services.plan_key(plan.pk)).first()
    context = {
        "plan": plan,
        "sources": [s.organization for s in plan.sources.select_related("organization")],
        "actions": actions,
        "kinds": [(k, k.label, totals[k]) for k in KIND_ORDER],
        "breakdown": _breakdown(actions),
        "org_certificates": org_certificates,
        "people": sorted(people.values(), key=lambda p: p.full_name),
        "leaving": set(plan.leaving_person_ids),
        "approval": approval,
        "can_act": may_act(request.user, plan)
        and plan.status == PlanStatus.DRAFT
        and approval is None,
        "application": getattr(plan, "application", None)
        if plan.status == PlanStatus.APPLIED
        else None,
        "transitions": plan.transitions.select_related("by"),
    }
    return render(request, "orgmerge/detail.html", context)


def _acting_plan(request, pk: int) -> MergerPlan:
    plan = visible_plan(request, pk)
    if not may_act(request.user, plan):
        raise PermissionDenied
    return plan


@login_required
@require_POST
def plan_choices(request, pk: int):
    plan = _acting_plan(request, pk)
    people = plan.actions.exclude(person=None).values_list("person_id", flat=True)
    form = ChoicesForm(request.POST, people=set(people))
    if not form.is_valid():
        messages.error(request, _("Lựa chọn không hợp lệ; phương án chưa thay đổi."))
        return redirect("orgmerge:detail", pk=plan.pk)
    try:
        services.merger_plan_replan(
            plan=plan,
            by=request.user,
            kept_certificate_id=form.cleaned_data["kept_certificate"],
            leaving_person_ids=form.cleaned_data["leaving"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã lập lại phương án theo lựa chọn."))
    return redirect("orgmerge:detail", pk=plan.pk)


@login_required
@require_POST
def plan_discard(request, pk: int):
    plan = _acting_plan(request, pk)
    form = DiscardForm(request.POST)
    form.is_valid()
    try:
        services.merger_plan_discard(
            plan=plan, by=request.user, note=form.cleaned_data.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã hủy phương án."))
    return redirect("orgmerge:detail", pk=plan.pk)


@login_required
@require_POST
def plan_apply(request, pk: int):
    plan = _acting_plan(request, pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    try:
        form.reauth_verify(request, purpose="merger_plan.apply", obj=plan)
        approval = services.merger_plan_apply_request(
            plan=plan, by=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Đã lập đề nghị phê duyệt #%(pk)s; phương án được thực hiện khi người thứ hai phê duyệt."
            )
            % {"pk": approval.pk}
            if approval is not None
            else _("Đã bắt đầu thực hiện phương án; kết quả hiện trên trang này khi xong."),
        )
    return redirect("orgmerge:detail", pk=plan.pk)


@login_required
@require_GET
def plan_excel(request, pk: int):
    plan = visible_plan(request, pk)
    response = HttpResponse(plan_workbook(plan, plan_actions(plan)), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="phuong-an-sap-nhap-{plan.pk}.xlsx"'
    return response
