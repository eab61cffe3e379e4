from django.contrib import admin

from requests_app.models import CertRequest, RequestRow, Transition


class RowInline(admin.TabularInline):
    model = RequestRow
    extra = 0
    fields = ["position", "full_name", "organization_name", "certificate", "device", "outcome"]
    readonly_fields = fields
    can_delete = False


class TransitionInline(admin.TabularInline):
    model = Transition
    extra = 0
    readonly_fields = ["from_status", "to_status", "action", "by", "at", "note"]
    can_delete = False


@admin.register(CertRequest)
class CertRequestAdmin(admin.ModelAdmin):
    """Read-only: letters change only through the workflow services."""

    list_display = ["__str__", "agency", "status", "issued_on", "due_on"]
    list_filter = ["form", "status"]
    search_fields = ["number", "agency__name"]
    inlines = [RowInline, TransitionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
