"""The administrator's view of the outgoing mail (docs/mail.md): every mail with its attempts,
a resend, and marking a sent mail bounced when its delivery status notification arrives later
(both audited, through the services)."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mailing.models import MailAttempt, OutgoingMail
from mailing.services import mail_mark_bounced, mail_resend


class AttemptInline(admin.TabularInline):
    model = MailAttempt
    fields = ("number", "started_at", "duration_ms", "smtp_code", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "about", "recipient", "status", "attempts", "sent_at",
                    "last_error")  # fmt: skip
    list_filter = ("status", "purpose")
    search_fields = ("=about", "=message_id", "recipient")
    ordering = ("-pk",)
    inlines = [AttemptInline]
    actions = ["resend", "mark_bounced"]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        """The actions change mails: they need the change permission, though the admin shows
        the mails read-only (has_change_permission above)."""
        return request.user.has_perm("mailing.change_outgoingmail")

    @admin.action(description=_("Gửi lại các thư đã chọn"), permissions=["resend"])
    def resend(self, request, queryset):
        done = sum(mail_resend(mail=mail, by=request.user) for mail in queryset)
        self.message_user(request, gettext("Đã đưa %(n)d thư vào hàng đợi gửi lại.") % {"n": done})

    @admin.action(
        description=_("Đánh dấu bị trả lại (thư báo lỗi đến sau)"), permissions=["resend"]
    )
    def mark_bounced(self, request, queryset):
        reason = gettext("Đánh dấu bị trả lại bởi quản trị viên")
        done = sum(
            mail_mark_bounced(mail=mail, reason=reason, by=request.user) for mail in queryset
        )
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(
            request, gettext("Đã đánh dấu %(n)d thư bị trả lại.") % {"n": done}, level=level
        )
