from django.contrib import admin

from approvals.models import Approval, ApprovalRule


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ["action", "organization", "required", "above", "expires_hours"]
    list_filter = ["action", "required"]
    autocomplete_fields = ["organization"]


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
