"""Second factor in the admin: see who has an authenticator, reset it (lost phone), and issue
enrolment codes.

django-otp's own admin pages are replaced: they can show TOTP secrets and recovery codes in
clear and delete devices without an audit event. Here the devices are read-only, and removing
one is the audited reset `two_factor_reset` (all of the user's devices and recovery codes),
followed by a new enrolment code for each user, shown once on the page that follows. An
enrolment code for a new officer: "Mã đăng ký xác thực hai lớp" → add (or `manage.py
enrolment_code_issue <username>`); the codes are listed without their value.
Unlocking a locked-out account is axes' "access attempts" page: delete the user's attempts.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts.tokens import api_token_revoke
from agencies.accounts.twofactor import enrolment_code_issue, two_factor_reset
from agencies.models import ApiToken, EnrolmentCode

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
        issued = []
        for user in sorted(users, key=lambda u: u.get_username()):
            two_factor_reset(user=user, by=request.user)
            issued.append((user, enrolment_code_issue(user=user, by=request.user)))
        self.message_user(
            request,
            gettext("Đã đặt lại xác thực hai lớp cho %(count)d người dùng.")
            % {"count": len(users)},
            messages.SUCCESS,
        )
        return enrolment_codes_page(request, issued)

    def delete_model(self, request, obj):
        two_factor_reset(user=obj.user, by=request.user)

    def delete_queryset(self, request, queryset):
        self.reset_two_factor(request, queryset)


def enrolment_codes_page(request, issued):
    """The enrolment codes just issued, shown this once (never stored in clear, never cached)."""
    response = TemplateResponse(
        request,
        "agencies/accounts/admin_enrolment_codes.html",
        {
            **admin.site.each_context(request),
            "title": gettext("Mã đăng ký xác thực hai lớp"),
            "issued": issued,
            "hours": settings.PORTAL_ENROLMENT_CODE_HOURS,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(EnrolmentCode)
class EnrolmentCodeAdmin(admin.ModelAdmin):
    """Enrolment codes, listed without their value. "Add" issues a code for the chosen user
    (`enrolment_code_issue`, audited, an older unused one withdrawn) and shows it once."""

    list_display = ["user", "issued_by", "created_at", "expires_at", "used_at", "withdrawn_at"]
    list_filter = ["used_at", "withdrawn_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    readonly_fields = ["issued_by", "created_at", "expires_at", "used_at", "withdrawn_at"]
    autocomplete_fields = ["user"]
    actions = ["issue_again"]

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else ["user", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        request._portal_enrolment_codes = [
            (obj.user, enrolment_code_issue(user=obj.user, by=request.user))
        ]
        issued = EnrolmentCode.objects.filter(user=obj.user).order_by("-pk").first()
        obj.pk, obj._state.adding = issued.pk, False

    def log_addition(self, request, obj, message):
        return None  # the service's audit event records the issue

    def response_add(self, request, obj, post_url_continue=None):
        return enrolment_codes_page(request, request._portal_enrolment_codes)

    @admin.action(description=_("Cấp mã đăng ký mới cho người dùng đã chọn"), permissions=["add"])
    def issue_again(self, request, queryset):
        users = {row.user for row in queryset.select_related("user")}
        issued = [
            (user, enrolment_code_issue(user=user, by=request.user))
            for user in sorted(users, key=lambda u: u.get_username())
        ]
        return enrolment_codes_page(request, issued)


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
