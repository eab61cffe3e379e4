"""The organisations' codes in the Django admin, where organisations are managed
(docs/exchange.md, "Agency codes"): the code on the change form, written through
`organization_code_set` (checked and audited, the old code kept), its former codes listed,
the change list searched by code, and the official list imported from a spreadsheet (an
import job: upload, the worker's check, preview, confirm)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.code_imports import (
    ORGANIZATION_CODES,
    TEMPLATE_HEADERS,
    codes_import_confirm,
    codes_import_start,
    result_rows,
)
from agencies.codes import normalize_code
from agencies.models import FormerCode, Organization
from agencies.querysets import code_q
from agencies.services import organization_code_problems, organization_code_set
from portal.errors import DomainError
from portal.imports import STATE_MESSAGES, ImportJobNotReady, import_job_discard
from portal.lib.exports import blank_template
from portal.lib.xlsx import XlsxRefused
from portal.models import ImportJob

PREVIEW_ROWS = 500


class OrganizationAdminForm(forms.ModelForm):
    """The change form; the code is checked as `organization_code_set` will check it."""

    class Meta:
        model = Organization
        fields = [
            "kind",
            "name",
            "short_name",
            "parent",
            "province",
            "code",
            "tax_code",
            "budget_code",
            "official_email",
            "mail_domains",
            "address",
            "valid_from",
            "valid_to",
            "superseded_by",
        ]

    def clean_code(self):
        code = normalize_code(self.cleaned_data.get("code"))
        problems = organization_code_problems(
            organization=self.instance, code=code, parent=self.cleaned_data.get("parent")
        )
        if problems:
            raise forms.ValidationError(problems)
        return code or None


class FormerCodeInline(admin.TabularInline):
    model = FormerCode
    fields = ["code", "replaced_by", "retired_at", "retired_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("Mã định danh cũ (vẫn tra cứu được)")

    def has_add_permission(self, request, obj=None):
        return False


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class OrganizationCodesAdminMixin:
    form = OrganizationAdminForm
    inlines = [FormerCodeInline]
    change_list_template = "agencies/admin_organization_changelist.html"
    search_help_text = gettext_lazy(
        "Tìm theo tên, mã số thuế, mã quan hệ ngân sách, thư điện tử hoặc mã định danh: cả mã "
        "(000.00.05.H29), phần cuối (H29: cơ quan đó và mọi đơn vị dưới nó) hoặc phần đầu."
    )

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        by_code = code_q(search_term)
        if by_code is not None:
            found = found | queryset.filter(by_code)
        return found, may_have_duplicates

    def get_deleted_objects(self, objs, request):
        """An organisation that holds a code is never deleted (the single delete page and the
        "delete selected" action alike): its code must stay with it as history, or it could
        be given to another organisation. Retire it instead (`valid_to`, or a merger). Those
        that held one are protected by FormerCode's foreign key already."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        coded = [
            _("%(org)s (mã định danh %(code)s: thay vì xoá, hãy cho cơ quan thôi hoạt động)")
            % {"org": org.name, "code": org.code}
            for org in objs
            if org.code
        ]
        return deleted, model_count, perms_needed, [*coded, *protected]

    def save_model(self, request, obj, form, change):
        code = form.cleaned_data.get("code") or ""
        if change:
            obj.code = Organization.objects.values_list("code", flat=True).get(pk=obj.pk)
        else:
            obj.code = None
        super().save_model(request, obj, form, change)
        try:
            organization_code_set(organization=obj, code=code, by=request.user)
        except DomainError as exc:  # changed meanwhile: the form checked it a moment ago
            self.message_user(request, exc.message, messages.ERROR)

    # --- the official list ------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("ma-dinh-danh/nhap/", view(self.codes_import_view), name="agencies_codes_import"),
            path(
                "ma-dinh-danh/nhap/mau/",
                view(self.codes_template_view),
                name="agencies_codes_template",
            ),
            path(
                "ma-dinh-danh/nhap/<int:job_pk>/",
                view(self.codes_job_view),
                name="agencies_codes_job",
            ),
            *super().get_urls(),
        ]

    def _require(self, request) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied

    def _context(self, request, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Nhập mã định danh điện tử từ danh sách chính thức"),
            **extra,
        }

    def codes_template_view(self, request):
        self._require(request)
        return blank_template(
            filename="mau-nhap-ma-dinh-danh",
            headers=TEMPLATE_HEADERS,
            sheet_title=_("Mã định danh"),
        )

    def codes_import_view(self, request):
        """The upload: inspected here, read and checked by the worker (an import job)."""
        self._require(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = codes_import_start(upload=form.cleaned_data["file"], by=request.user)
            except XlsxRefused as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("admin:agencies_codes_job", job_pk=job.pk)
        return TemplateResponse(
            request, "agencies/admin_codes_import.html", self._context(request, form=form)
        )

    def codes_job_view(self, request, job_pk: int):
        """The job: progress while the worker reads, then the preview with every line's
        problems; POST confirms (every code or none) or discards it."""
        self._require(request)
        job = get_object_or_404(
            ImportJob.objects.owned_by(request.user).of(ORGANIZATION_CODES), pk=job_pk
        )
        if request.method == "POST":
            return self._codes_job_post(request, job)
        context = self._context(request, job=job, state_message=STATE_MESSAGES.get(job.status, ""))
        if job.status == ImportJob.Status.READY:
            context.update(preview_context(job.result))
        return TemplateResponse(request, "agencies/admin_codes_import_job.html", context)

    def _codes_job_post(self, request, job: ImportJob):
        upload_url = reverse("admin:agencies_codes_import")
        if "discard" in request.POST:
            import_job_discard(job=job, by=request.user)
            self.message_user(request, _("Đã huỷ lần nhập; chưa mã định danh nào được ghi."))
            return redirect(upload_url)
        try:
            codes_import_confirm(job=job, by=request.user)
        except ImportJobNotReady as exc:
            self.message_user(request, exc.message, messages.ERROR)
        except DomainError as exc:
            import_job_discard(job=job, by=request.user)
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(upload_url)
        else:
            self.message_user(
                request,
                _(
                    "Đã xác nhận: các mã định danh đang được ghi (tất cả hoặc không mã nào); "
                    "trang tự cập nhật."
                ),
                messages.SUCCESS,
            )
        return redirect("admin:agencies_codes_job", job_pk=job.pk)


def preview_context(result: dict) -> dict:
    """The preview of a ready job: the lines with problems first, then those written."""
    rows = result_rows(result)
    problems = {int(line): found for line, found in result.get("problems", {}).items()}
    plans = {int(line): old for line, old in result.get("plans", {}).items()}
    skipped, unchanged = set(result.get("skipped", [])), set(result.get("unchanged", []))
    names = {int(line): name for line, name in result.get("names", {}).items()}
    anywhere = set(result.get("anywhere", []))

    def outcome(line: int) -> str:
        if line in problems:
            return "problem"
        if line in plans:
            return "changed" if plans[line] else "new"
        return "skipped" if line in skipped else "unchanged" if line in unchanged else ""

    ordered = sorted(rows, key=lambda r: (r.line not in problems, r.line not in plans, r.line))
    return {
        "total": len(rows),
        "problem_count": len(problems),
        "new_count": sum(1 for old in plans.values() if not old),
        "changed_count": sum(1 for old in plans.values() if old),
        "unchanged_count": len(unchanged),
        "skipped_count": len(skipped),
        "anywhere_count": len(anywhere & set(plans)),
        "can_confirm": not problems and bool(plans),
        "preview_limit": PREVIEW_ROWS,
        "preview": [
            {
                "row": row,
                "outcome": outcome(row.line),
                "old": plans.get(row.line, ""),
                "problems": problems.get(row.line, []),
                "portal_name": names.get(row.line, ""),
                "anywhere": row.line in anywhere,
            }
            for row in ordered[:PREVIEW_ROWS]
        ],
    }
