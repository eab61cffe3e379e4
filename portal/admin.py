from django.contrib import admin
from django.db import transaction

from portal.audit import audit_record
from portal.models import AuditEvent, CalendarOverride, Deadline


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


def _override_summary(override: CalendarOverride) -> dict:
    return {
        "date": override.date,
        "is_working_day": override.is_working_day,
        "note": override.note,
    }


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Each year's official decisions on days off and Saturdays worked; changes move deadlines,
    so every change is audited."""

    list_display = ("date", "is_working_day", "note")
    list_filter = ("is_working_day",)
    search_fields = ("note",)
    date_hierarchy = "date"
    ordering = ("-date",)

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = _override_summary(CalendarOverride.objects.get(pk=obj.pk))
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="calendar_override.update" if change else "calendar_override.create",
                obj=obj,
                before=before,
                after=_override_summary(obj),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_delete(self, request, obj):
        audit_record(
            actor=request.user,
            action="calendar_override.delete",
            obj=obj,
            before=_override_summary(obj),
        )


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    """Read-only: deadlines are opened, closed and escalated by the beat sweeps only."""

    list_display = ["label", "kind", "due_on", "state", "actor", "level", "closed_at"]
    list_filter = ["kind", "state", "actor"]
    search_fields = ["label", "subject"]
    date_hierarchy = "due_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
