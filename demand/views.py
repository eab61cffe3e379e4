"""The demand registration pages (docs/domain.md §11): the campaigns, opening one, a campaign's
follow-up (who answered, the totals, reminders, the Excel, the province's signed summary), and
an agency's table (fill, submit, send back, sign and send). Out of scope is 404
(`visible_to`), in scope but not allowed 403 (`demand.permissions`); a refused action is a
message on the page and changes nothing. The head's and the officer's "Ký" happen at their own
desk: JSON endpoints the page (static/js/desk-signing.js) calls around the signing client, as
for a letter (requests_app/views/desk.py)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.models import Organization
from demand import figures, permissions, services
from demand.documents import registration_pdf as registration_draft
from demand.excel import campaign_workbook
from demand.forms import CampaignForm, SendBackForm, TableForm
from demand.models import Campaign, DemandDocument, ProvinceSummary, Registration
from demand.services.campaigns import may_close, opener_provinces
from demand.targets import with_answers
from portal.documents import pdf_download, pdf_response
from portal.errors import DomainError
from portal.lib.paging import paginate
from portal.lib.xlsx import XLSX_CONTENT_TYPE
from requests_app.views.desk import (
    completed_response,
    desk_urls,
    prepared_response,
    refused_response,
)


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.visible_to(request.user).select_related("province", "owner"), pk=pk
    )


@login_required
@require_GET
def campaign_list(request):
    campaigns = list(
        Campaign.objects.visible_to(request.user).select_related("province", "owner")[:200]
    )
    agencies = _my_agencies(request)
    mine = {
        (r.campaign_id, r.agency_id): r
        for r in Registration.objects.filter(agency__in=agencies, campaign__in=campaigns)
    }
    rows = [(c, [(a, mine.get((c.pk, a.pk))) for a in agencies if _asks(c, a)]) for c in campaigns]
    return render(
        request,
        "demand/list.html",
        {"rows": rows, "may_open": permissions.may_open(request.user)},
    )


def _asks(campaign, agency) -> bool:
    """Whether `campaign` asks `agency` (without a query: the list shows a few agencies)."""
    if campaign.province_id is None:
        return True
    return agency.province_id == campaign.province_id


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    permissions.require(permissions.may_open(request.user))
    nationwide = permissions.may_open_nationwide(request.user)
    form = CampaignForm(
        request.POST or None, nationwide=nationwide, provinces=opener_provinces(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_open(
                by=request.user,
                province=form.province(),
                start_year=data["start_year"],
                end_year=data["end_year"],
                due_on=data["due_on"],
                reference=data["reference"],
                note=data["note"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã mở đợt đăng ký; các cơ quan đã được thông báo."))
            return redirect("demand:campaign", pk=campaign.pk)
    return render(request, "demand/create.html", {"form": form})


def _province_sections(request, campaign):
    """For each province the user follows: its summary if sent, whether they may send it."""
    provinces = permissions.followed_provinces(request.user, campaign)
    summaries = {
        s.province_id: s
        for s in ProvinceSummary.objects.visible_to(request.user)
        .filter(campaign=campaign)
        .select_related("province", "sent_by")
    }
    if provinces is None:
        return list(summaries.values()), []
    sendable = [
        p
        for p in Organization.objects.filter(pk__in=provinces).order_by("name")
        if p.pk not in summaries and permissions.may_send_summary(request.user, p)
    ]
    return list(summaries.values()), sendable


@login_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    if not permissions.follows(request.user, campaign):
        # whoever only fills a table is taken to it, with the agency the link named
        query = request.GET.urlencode()
        target = reverse("demand:register", args=[campaign.pk])
        return redirect(f"{target}?{query}" if query else target)
    provinces = permissions.followed_provinces(request.user, campaign)
    agencies = with_answers(campaign, provinces)
    sent = Registration.objects.sent().filter(campaign=campaign)
    if provinces is not None:
        sent = sent.filter(agency__province_id__in=provinces)
    paged = paginate(request, agencies)
    shown = list(paged["page"].object_list)
    registrations = {
        r.agency_id: r
        for r in Registration.objects.filter(campaign=campaign, agency_id__in=[a.pk for a in shown])
    }
    summaries, sendable = _province_sections(request, campaign)
    return render(
        request,
        "demand/detail.html",
        {
            "campaign": campaign,
            **paged,
            "agencies": [(a, registrations.get(a.pk)) for a in shown],
            "asked": paged["page"].paginator.count,
            "answered": sent.count(),
            "rows": figures.table_rows(figures.totals(sent, campaign.years), campaign.years),
            "summaries": summaries,
            "sendable": [(p, summary_desk(request, campaign, p)) for p in sendable],
            "may_close": may_close(request.user, campaign) and campaign.closed_at is None,
        },
    )


@login_required
@require_GET
def campaign_export(request, pk: int):
    campaign = _campaign(request, pk)
    permissions.require(permissions.follows(request.user, campaign))
    content = campaign_workbook(campaign, permissions.followed_provinces(request.user, campaign))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="dang-ky-nhu-cau-{campaign.period}-dot-{campaign.pk}.xlsx"'
    )
    return response


@login_required
@require_POST
def campaign_remind(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        count = services.campaign_remind(campaign=campaign, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Đã nhắc %(n)s người của các cơ quan chưa gửi đăng ký.") % {"n": count}
        )
    return redirect("demand:campaign", pk=campaign.pk)


@login_required
@require_POST
def campaign_close(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        services.campaign_close(campaign=campaign, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã kết thúc đợt đăng ký."))
    return redirect("demand:campaign", pk=campaign.pk)


def _my_agencies(request) -> list[Organization]:
    """The agencies whose table the user fills (a clerk or head of several: each)."""
    ids = scope_for(request.user).agency_ids
    return list(Organization.objects.filter(pk__in=ids).order_by("name")) if ids else []


def _my_agency(request, agencies) -> Organization:
    """The agency the request names (`co_quan`), or the user's only or first one. A value
    that is not one of the user's agencies is a 404, never another agency's table."""
    wanted = request.GET.get("co_quan") or request.POST.get("co_quan")
    if wanted:
        chosen = [a for a in agencies if str(a.pk) == wanted]
        if not chosen:
            raise Http404
        return chosen[0]
    if not agencies:
        raise Http404
    return agencies[0]


@login_required
@require_http_methods(["GET", "POST"])
def register(request, pk: int):
    campaign = _campaign(request, pk)
    agencies = _my_agencies(request)
    agency = _my_agency(request, agencies)
    permissions.require(permissions.may_fill(request.user, agency))
    registration = Registration.objects.filter(campaign=campaign, agency=agency).first()
    if registration is None and request.method == "GET":
        table, notes = figures.prefill(agency, campaign.years)
        revision = 0
    else:
        try:
            registration = registration or services.registration_start(
                campaign=campaign, agency=agency, by=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("demand:list")
        table = figures.totals([registration.pk], campaign.years)
        notes, revision = registration.notes, registration.revision
    form = TableForm(
        request.POST if request.POST.get("action") == "save" else None,
        years=campaign.years,
        table=table,
        notes=notes,
        initial={"revision": revision},
    )
    send_back_form = SendBackForm(
        request.POST if request.POST.get("action") == "send_back" else None
    )
    if request.method == "POST" and _act(request, registration, form, send_back_form):
        return redirect(f"{request.path}?co_quan={agency.pk}")
    held, _expiring = figures.held_by(agency)
    return render(
        request,
        "demand/register.html",
        {
            "campaign": campaign,
            "agency": agency,
            "agencies": agencies if len(agencies) > 1 else [],
            "registration": registration,
            "form": form,
            "years": campaign.years,
            "held_total": sum(held.values()),
            "may_sign": permissions.may_sign(request.user, agency),
            "editable": registration is None or registration.status != "sent",
            "desk_signing": _registration_desk(request, registration, campaign, agency),
            "send_back_form": send_back_form,
            "rows": figures.table_rows(table, campaign.years, notes),
        },
    )


def _act(request, registration, form, send_back_form) -> bool:
    """Carry out the button pressed; True when done (the page is then drawn afresh)."""
    action = request.POST.get("action")
    try:
        if action == "save":
            if not form.is_valid():
                messages.error(request, _("Có ô chưa hợp lệ; hãy sửa các ô được đánh dấu."))
                return False
            services.registration_save(
                registration=registration,
                table=form.table(),
                notes=form.notes(),
                by=request.user,
                revision=form.cleaned_data["revision"] or 0,
            )
            messages.success(request, _("Đã lưu bản đăng ký."))
        elif action == "submit":
            services.registration_submit(registration=registration, by=request.user)
            messages.success(request, _("Đã trình lãnh đạo ký."))
        elif action == "send_back":
            if not send_back_form.is_valid():
                return False  # the reason's own message is shown beside it
            services.registration_send_back(
                registration=registration,
                by=request.user,
                reason=send_back_form.cleaned_data["reason"],
            )
            messages.success(request, _("Đã trả lại bản đăng ký."))
        else:
            raise DomainError(_("Yêu cầu không hợp lệ; hãy tải lại trang."), code="bad_action")
    except DomainError as exc:
        messages.error(request, exc.message)
        return action not in ("save", "send_back")
    return True


@login_required
@require_GET
def registration_pdf(request, pk: int):
    """The signed PDF of a registration, or (before it is sent) a draft to read."""
    registration = get_object_or_404(
        Registration.objects.visible_to(request.user).select_related("campaign", "agency"),
        pk=pk,
    )
    agency = registration.agency
    stem = f"DangKyNhuCau_{registration.campaign.period}_{agency.short_name or agency.pk}"
    document = DemandDocument.objects.filter(registration=registration).first()
    if document is not None:
        return pdf_download(document, document.file_name(stem))
    return pdf_response(registration_draft(registration, by=None), f"{stem}_ban_nhap")


def _province(request, province_id: int) -> Organization:
    """A province the user sees (out of scope: 404)."""
    return get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.PROVINCE),
        pk=province_id,
    )


@login_required
@require_GET
def summary_pdf(request, pk: int, province_id: int):
    """The province's signed summary, or its draft as it would be sent now."""
    campaign = _campaign(request, pk)
    province = _province(request, province_id)
    stem = f"TongHopNhuCau_{campaign.period}_{province.name}"
    summary = (
        ProvinceSummary.objects.visible_to(request.user)
        .filter(campaign=campaign, province=province)
        .first()
    )
    if summary is not None:
        document = DemandDocument.objects.get(summary=summary)
        return pdf_download(document, document.file_name(stem))
    try:
        pdf = services.summary_pdf(campaign, province, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("demand:campaign", pk=campaign.pk)
    return pdf_response(pdf, f"{stem}_ban_nhap")


def _registration_desk(request, registration, campaign, agency) -> dict | None:
    """The head's "Ký" at their desk, for a registration they may still sign (the service
    decides again at each step); the table as shown (its revision) is what they sign."""
    if (
        registration is None
        or registration.status == "sent"
        or campaign.closed_at is not None
        or not permissions.may_sign(request.user, agency)
    ):
        return None
    return desk_urls(
        request,
        "demand:registration_desk_prepare",
        "demand:registration_desk_complete",
        [registration.pk],
        prepare_args=[registration.pk, registration.revision],
    )


def _registration(request, pk: int) -> Registration:
    return get_object_or_404(
        Registration.objects.visible_to(request.user).select_related("campaign", "agency"),
        pk=pk,
    )


@login_required
@require_POST
def registration_desk_prepare(request, pk: int, revision: int):
    registration = _registration(request, pk)
    try:
        desk = services.registration_desk_prepare(
            registration=registration, by=request.user, revision=revision
        )
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(desk)


@login_required
@require_POST
def registration_desk_complete(request, pk: int):
    registration = _registration(request, pk)
    target = reverse("demand:register", args=[registration.campaign_id])
    return completed_response(
        request,
        partial(services.registration_desk_complete, registration=registration, by=request.user),
        redirect=f"{target}?co_quan={registration.agency_id}",
        success=_("Đã ký số, đóng dấu số và gửi bản đăng ký."),
    )


def summary_desk(request, campaign, province) -> dict:
    """The officer's "Ký" at their desk for the province's summary (shown when they may
    send it; the service decides again at each step)."""
    return desk_urls(
        request,
        "demand:summary_desk_prepare",
        "demand:summary_desk_complete",
        [campaign.pk, province.pk],
    ) | {"anchor": f"ky-tai-may-{province.pk}"}  # one block per province on the page


@login_required
@require_POST
def summary_desk_prepare(request, pk: int, province_id: int):
    campaign = _campaign(request, pk)
    province = _province(request, province_id)
    try:
        desk = services.summary_desk_prepare(campaign=campaign, province=province, by=request.user)
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(desk)


@login_required
@require_POST
def summary_desk_complete(request, pk: int, province_id: int):
    campaign = _campaign(request, pk)
    province = _province(request, province_id)
    return completed_response(
        request,
        partial(
            services.summary_desk_complete, campaign=campaign, province=province, by=request.user
        ),
        redirect=reverse("demand:campaign", args=[campaign.pk]),
        success=_("Đã ký số và gửi báo cáo tổng hợp của tỉnh."),
    )
