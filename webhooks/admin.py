"""The administrator's view of the signed webhooks (docs/webhooks.md): subscriptions (audited,
the secret shown to hand over, never written to the audit trail), the outbox's events, the
deliveries with their attempts, the dead letters and their replay (audited)."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from webhooks.choices import DeliveryStatus
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, DeliveryAttempt, Event, Subscription
from webhooks.services import (
    subscription_summary,
    webhook_deliveries_replay,
    webhook_subscription_save,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "url", "organization", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    autocomplete_fields = ("organization",)
    readonly_fields = ("secret", "created_at")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: its deliveries and their history stay

    def save_model(self, request, obj, form, change):
        before = subscription_summary(Subscription.objects.get(pk=obj.pk)) if change else None
        webhook_subscription_save(subscription=obj, by=request.user, before=before)


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ("occurred_at", "type", "key", "organization_id", "fanned_out_at")
    list_filter = ("type",)
    search_fields = ("=key", "=uid")
    ordering = ("-pk",)
    show_full_result_count = False


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "duration_ms", "status_code", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DeadLetterFilter(admin.SimpleListFilter):
    title = _("danh sách hỏng")
    parameter_name = "dead"

    def lookups(self, request, model_admin):
        return [("1", _("Chỉ các lượt gửi thất bại"))]

    def queryset(self, request, queryset):
        return queryset.dead() if self.value() == "1" else queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = (
        "pk", "event", "subscription", "status", "attempts", "next_attempt_at",
        "last_status_code", "last_error",
    )  # fmt: skip
    list_filter = (DeadLetterFilter, "status", "subscription")
    list_select_related = ("event", "subscription")
    ordering = ("-pk",)
    show_full_result_count = False
    inlines = [AttemptInline]
    actions = ["replay"]

    def has_change_permission(self, request, obj=None):
        # The list's replay action needs it; a delivery's own page stays read-only.
        return obj is None and request.user.has_perm("webhooks.change_delivery")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Gửi lại các lượt gửi thất bại đã chọn"), permissions=["change"])
    def replay(self, request, queryset):
        count = webhook_deliveries_replay(
            deliveries=queryset.filter(status=DeliveryStatus.DEAD), by=request.user
        )
        self.message_user(
            request,
            gettext("Đã đưa %(count)d lượt gửi vào hàng đợi gửi lại.") % {"count": count},
            messages.SUCCESS,
        )
