from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from approvals.models import Approval, ApprovalRule
from approvals.services import approval_rule_delete, approval_rule_save

DELETED_IN_ADMIN = "Xóa trong trang quản trị"


class ApprovalRuleForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Lý do thay đổi"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ghi vào nhật ký kiểm toán và gửi tới các quản trị viên khác."),
    )

    class Meta:
        model = ApprovalRule
        fields = ["action", "organization", "required", "above", "expires_hours"]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    """A rule decides when a second person is asked: every change is audited with its reason
    and told to the other administrators (docs/approvals.md, "Rules")."""

    form = ApprovalRuleForm
    list_display = ["action", "organization", "required", "above", "expires_hours"]
    list_filter = ["action", "required"]
    autocomplete_fields = ["organization"]

    def save_model(self, request, obj, form, change):
        approval_rule_save(rule=obj, by=request.user, reason=form.cleaned_data["change_reason"])

    def delete_model(self, request, obj):
        approval_rule_delete(rule=obj, by=request.user, reason=DELETED_IN_ADMIN)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            approval_rule_delete(rule=rule, by=request.user, reason=DELETED_IN_ADMIN)


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read only: a request moves through its pages and services, never by hand."""

    list_display = ["pk", "action", "object_label", "status", "requested_by", "decided_by"]
    list_filter = ["action", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The accounts' second-factor reset and privileged roles, as requests (approvals/account_admin.py).
import approvals.account_admin  # noqa: E402, F401
