"""The monthly report pages (docs/architecture.md §10, "Monthly report"): the province's
reports with the form that previews a draft and signs it, and the signed PDF's download.

Who: a provincial officer for their own province (prepare, sign, download); the CA and
administrators read every province's signed reports. Anyone else: 403. A report outside the
user's scope: 404 (`visible_to`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.access import scope_for
from agencies.choices import Role
from dashboard import services
from dashboard.forms import ReportMonthForm, SignForm
from dashboard.models import MonthlyReport
from dashboard.months import Month
from dashboard.reports import addressee, officer_provinces, report_pdf, reporting_office
from portal.documents import DocumentKind, pdf_download
from portal.errors import DomainError
from portal.lib.filenames import safe_file_name
from portal.lib.paging import paginate


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
        .select_related("province", "signed_by")
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
            "sign_form": SignForm(),
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
@require_POST
def report_sign(request):
    """ "Ký số và gửi UBND tỉnh": the officer's password (and code) again, then the service;
    a refusal (a certificate missing, already signed) is a message on the page."""
    _reader(request)
    _provinces, province = _province(request, request.POST)
    form = SignForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("thang", []):
            messages.error(request, error)
        return redirect("monthly_reports:list")
    month = form.cleaned_data["thang"]
    try:
        form.reauth_verify(request, purpose="monthly_report.sign", obj=province)
        report = services.monthly_report_sign(province=province, month=month, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Đã ký số báo cáo tháng %(period)s (số %(number)s) và gửi %(to)s.")
            % {
                "period": report.period,
                "number": report.number,
                "to": addressee(province),
            },
        )
    return redirect("monthly_reports:list")


@login_required
@require_GET
def report_download(request, pk: int):
    _reader(request)
    report = get_object_or_404(MonthlyReport.objects.visible_to(request.user), pk=pk)
    document = report.documents.filter(kind=DocumentKind.SIGNED).first()
    if document is None:
        raise Http404
    return pdf_download(document, document.download_name)
