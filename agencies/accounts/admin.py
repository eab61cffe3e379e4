"""Second factor in the admin: see who has an authenticator, and reset it (lost phone).

django-otp's own admin pages are replaced: they can show TOTP secrets and recovery codes in
clear and delete devices without an audit event. Here the devices are read-only, and removing
one is the audited reset `two_factor_reset` (all of the user's devices and recovery codes).
Unlocking a locked-out account is axes' "access attempts" page: delete the user's attempts.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts.tokens import api_token_revoke
from agencies.accounts.twofactor import two_factor_reset
from agencies.models import ApiToken

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

# django-axes ships no Vietnamese catalogue: its admin section and pages get Vietnamese names
# here (the column labels stay in English).
apps.get_app_config("axes").verbose_name = _("Khóa đăng nhập")
for _model, _name, _plural in (
    (AccessAttempt, _("lần đăng nhập sai"), _("Lần đăng nhập sai (xóa để mở khóa)")),
    (AccessLog, _("nhật ký đăng nhập"), _("Nhật ký đăng nhập")),
    (AccessFailureLog, _("lần đăng nhập thất bại"), _("Lịch sử đăng nhập thất bại")),
):
    _model._meta.verbose_name, _model._meta.verbose_name_plural = _name, _plural
apps.get_app_config("otp_totp").verbose_name = _("Xác thực hai lớp")
TOTPDevice._meta.verbose_name = _("ứng dụng xác thực")
TOTPDevice._meta.verbose_name_plural = _("Ứng dụng xác thực (xóa để đặt lại)")


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    # "account", not django-otp's `user` field: that one is labelled "User" in English.
    list_display = ["account", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    fields = ["account", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    @admin.display(description=_("tài khoản"), ordering="user__username")
    def account(self, device):
        return device.user

    actions = ["reset_two_factor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description=_("Đặt lại xác thực hai lớp của người dùng đã chọn"),
        permissions=["delete"],
    )
    def reset_two_factor(self, request, queryset):
        users = {device.user for device in queryset.select_related("user")}
        for user in users:
            two_factor_reset(user=user, by=request.user)
        self.message_user(
            request,
            gettext("Đã đặt lại xác thực hai lớp cho %(count)d người dùng.")
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def delete_model(self, request, obj):
        two_factor_reset(user=obj.user, by=request.user)

    def delete_queryset(self, request, queryset):
        self.reset_two_factor(request, queryset)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Personal API tokens, read-only (the hash is never shown); an administrator may revoke
    them (`api_token_revoke`, audited), e.g. when their owner leaves."""

    list_display = [
        "name",
        "owner",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "owner__username"]
    fields = ["name", "owner", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Thu hồi các khóa API đã chọn"), permissions=["view"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, by=request.user)
        self.message_user(
            request,
            gettext("Đã thu hồi %(count)d khóa API.") % {"count": queryset.count()},
            messages.SUCCESS,
        )
