from django.contrib import admin

from portal.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by `portal.audit.audit_record` and nothing else."""

    list_display = ("seq", "occurred_at", "actor_label", "action", "object_type", "object_repr")
    list_filter = ("action", "occurred_at", "object_type")
    search_fields = ("=object_id", "object_repr", "actor_label", "=request_id", "reason")
    ordering = ("-seq",)
    # Counting a large table twice per page is what makes audit changelists slow.
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
