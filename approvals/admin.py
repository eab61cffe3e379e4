from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.models import Approval, ApprovalRule
from approvals.services import approval_rule_change_request, approval_rule_delete_request
from portal.errors import DomainError

DELETED_IN_ADMIN = "Xóa trong trang quản trị"


class ApprovalRuleForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Lý do thay đổi"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Thay đổi chờ một quản trị viên khác phê duyệt; lý do ghi vào đề nghị và nhật ký "
            "kiểm toán."
        ),
    )

    class Meta:
        model = ApprovalRule
        fields = ["action", "organization", "required", "above", "expires_hours"]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    """A rule decides when a second person is asked, so one administrator alone cannot change
    it: saving or deleting here records an approval request, and the rule changes only once
    another administrator approves (docs/approvals.md, "Rules"). A rule keeps its action and
    organisation (its request's object)."""

    form = ApprovalRuleForm
    list_display = ["action", "organization", "required", "above", "expires_hours"]
    list_filter = ["action", "required"]
    autocomplete_fields = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        return ["action", "organization"] if obj is not None else []

    def _requested(self, request, make) -> None:
        try:
            approval = make()
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        messages.success(
            request,
            gettext(
                "Đã lập đề nghị phê duyệt #%(pk)s: %(object)s. Quy tắc chỉ thay đổi khi một "
                "quản trị viên khác phê duyệt."
            )
            % {"pk": approval.pk, "object": approval.object_label},
        )

    def save_model(self, request, obj, form, change):
        request._portal_rule_requested = True
        reason = form.cleaned_data["change_reason"]
        self._requested(
            request, lambda: approval_rule_change_request(rule=obj, by=request.user, reason=reason)
        )

    def save_related(self, request, form, formsets, change):
        return None  # nothing saved yet: the request is

    def log_addition(self, request, obj, message):
        return None  # the request is audited; the change, once approved

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None

    def _back(self):
        return HttpResponseRedirect(reverse("admin:approvals_approvalrule_changelist"))

    def response_add(self, request, obj, post_url_continue=None):
        return self._back()

    def response_change(self, request, obj):
        return self._back()

    def response_delete(self, request, obj_display, obj_id):
        return self._back()

    def delete_model(self, request, obj):
        self._requested(
            request,
            lambda: approval_rule_delete_request(
                rule=obj, by=request.user, reason=DELETED_IN_ADMIN
            ),
        )

    def get_actions(self, request):
        # the list's "delete selected" would say the rules were deleted: one at a time, each
        # a request, from the rule's own page
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


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
