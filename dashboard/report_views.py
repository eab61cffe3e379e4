"""The monthly report pages (docs/statistics.md §10, "Monthly report"): the province's
reports with the form that previews a draft, the page whose "Ký" signs it at the officer's desk
(two rounds through the signing client: their signature, then the Sở's seal) with its JSON
endpoints, and the signed PDF's download.

Who: a provincial officer for their own province (prepare, sign, download); the CA and
administrators read every province's signed reports. Anyone else: 403. A report outside the
user's scope: 404 (`visible_to`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.access import scope_for
from agencies.choices import Role
from dashboard import services
from dashboard.forms import ReportMonthForm
from dashboard.models import MonthlyReport
from dashboard.months import Month
from dashboard.reports import addressee, officer_provinces, report_pdf, reporting_office
from portal.documents import DocumentKind, pdf_download
from portal.errors import DomainError
from portal.lib.filenames import safe_file_name
from portal.lib.paging import paginate
from requests_app.views.desk import (
    completed_response,
    desk_urls,
    prepared_response,
    refused_response,
)


def may_read_reports(user) -> bool:
    scope = scope_for(user)
    return scope.sees_everything or Role.PROVINCIAL_OFFICER in scope.roles


def _reader(request) -> None:
    if not may_read_reports(request.user):
        raise PermissionDenied


def _province(request, source) -> tuple[list, object]:
    """The officer's provinces and the one asked for (`tinh`, default the first); a province
    that is not theirs is out of scope (404); a user who is no officer may not prepare (403)."""
    provinces = officer_provinces(request.user)
    if not provinces:
        raise PermissionDenied
    wanted = source.get("tinh")
    if not wanted:
        return provinces, provinces[0]
    chosen = next((p for p in provinces if str(p.pk) == wanted), None)
    if chosen is None:
        raise Http404
    return provinces, chosen


@login_required
@require_GET
def report_list(request):
    _reader(request)
    provinces = officer_provinces(request.user)
    province = provinces[0] if provinces else None
    if provinces and request.GET.get("tinh"):
        province = next((p for p in provinces if str(p.pk) == request.GET["tinh"]), province)
    reports = (
        MonthlyReport.objects.visible_to(request.user)
        .select_related("province", "signed_by__person")
        .order_by("-year", "-month", "province__name")
    )
    default_month = Month.previous(timezone.localdate())
    return render(
        request,
        "dashboard/monthly_reports.html",
        {
            "provinces": provinces,
            "province": province,
            "default_month": f"{default_month.year:04d}-{default_month.month:02d}",
            **paginate(request, reports),
        },
    )


@login_required
@require_GET
def report_preview(request):
    """The draft of a month's report as a PDF, unsigned and without a number."""
    _reader(request)
    _provinces, province = _province(request, request.GET)
    form = ReportMonthForm(request.GET)
    if not form.is_valid():
        for error in form.errors.get("thang", []):
            messages.error(request, error)
        return redirect("monthly_reports:list")
    month = form.cleaned_data["thang"]
    office = reporting_office(request.user, province)
    if office is None:
        raise PermissionDenied
    pdf = report_pdf(
        user=request.user, province=province, office=office, month=month, number="", day=None
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = safe_file_name(f"BaoCao_{month.month:02d}_{month.year}_du_thao", extension=".pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def report_sign(request):
    """ "Ký" for a month's report: the page whose button signs it at the officer's desk
    (static/js/desk-signing.js around the signing client; the endpoints below), or tells that
    it is signed already. Reading only: the draft is kept at the first round."""
    _reader(request)
    _provinces, province = _province(request, request.GET)
    form = ReportMonthForm(request.GET)
    if not form.is_valid():
        for error in form.errors.get("thang", []):
            messages.error(request, error)
        return redirect("monthly_reports:list")
    month = form.cleaned_data["thang"]
    if reporting_office(request.user, province) is None:
        raise PermissionDenied
    report = (
        MonthlyReport.objects.visible_to(request.user)
        .filter(province=province, year=month.year, month=month.month)
        .first()
    )
    signed = report is not None and report.is_signed
    args = [province.pk, month.year, month.month]
    return render(
        request,
        "dashboard/monthly_report_sign.html",
        {
            "province": province,
            "month": month,
            "report": report,
            "addressee": addressee(province),
            "desk_signing": None
            if signed
            else desk_urls(
                request, "monthly_reports:desk_prepare", "monthly_reports:desk_complete", args
            ),
        },
    )


def _desk_target(request, province: int, year: int, month: int):
    """The officer's province and the month the endpoints sign: 403 for a user who is no
    officer, 404 for a province outside their scope (as the pages)."""
    provinces = officer_provinces(request.user)
    if not provinces:
        raise PermissionDenied
    chosen = next((p for p in provinces if p.pk == province), None)
    if chosen is None or not (1 <= month <= 12 and 2000 <= year <= 9999):
        raise Http404
    return chosen, Month(year, month)


@login_required
@require_POST
def report_desk_prepare(request, province: int, year: int, month: int):
    target, period = _desk_target(request, province, year, month)
    try:
        desk = services.monthly_report_desk_prepare(province=target, month=period, by=request.user)
    except DomainError as exc:
        return refused_response(exc)
    return prepared_response(desk)


@login_required
@require_POST
def report_desk_complete(request, province: int, year: int, month: int):
    target, period = _desk_target(request, province, year, month)
    return completed_response(
        request,
        lambda answer: services.monthly_report_desk_complete(
            province=target, month=period, by=request.user, answer=answer
        ),
        redirect=reverse("monthly_reports:list"),
        success=_("Đã ký số, đóng dấu số báo cáo tháng %(period)s và gửi %(to)s.")
        % {"period": period.label, "to": addressee(target)},
    )


@login_required
@require_GET
def report_download(request, pk: int):
    _reader(request)
    report = get_object_or_404(MonthlyReport.objects.visible_to(request.user), pk=pk)
    document = report.documents.filter(kind=DocumentKind.SIGNED).first()
    if document is None:
        raise Http404
    return pdf_download(document, document.download_name)
