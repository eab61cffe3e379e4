"""The accounts' irreversible admin actions, as approval requests (docs/approvals.md): resetting
a second factor, granting a privileged role, and ticking a user's "superuser status" (which
makes an administrator too). The admin classes are the accounts' own (agencies/accounts/
admin.py, agencies/admin.py, and Django's user admin), registered again here with the request
in place of the direct call: `approvals` sits above `agencies`, which cannot ask for an
approval itself. Django's admin loads this app's admin after the accounts' and Django's
(INSTALLED_APPS order).

When a rule (`ApprovalRule`) says no second person is needed, the admin acts at once as before.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.accounts.admin import TOTPDeviceAdmin
from agencies.admin import MembershipAdmin
from agencies.choices import PRIVILEGED_ROLES
from agencies.models import Membership
from approvals.choices import ApprovalAction
from approvals.kinds import membership_key, superuser_key
from approvals.services import approval_needed, approval_refuse_open, approval_request
from portal.errors import DomainError

# The reason of a request made by the admin's own delete button, which asks for none.
DELETE_REASON = _("Xóa ứng dụng xác thực trong trang quản trị (mất điện thoại).")


def _requested_message(request, approvals, refused) -> None:
    for approval in approvals:
        messages.success(
            request,
            gettext(
                "Đã lập đề nghị phê duyệt #%(pk)s: %(object)s. Thao tác được thực hiện khi một "
                "quản trị viên khác phê duyệt."
            )
            % {"pk": approval.pk, "object": approval.object_label},
        )
    for message in refused:
        messages.error(request, message)


class ResetReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do đặt lại"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Hãy nêu lý do đặt lại.")},
    )  # fmt: skip


class TwoFactorResetAdmin(TOTPDeviceAdmin):
    """Resetting a second factor records one approval request per user; once approved, the
    reset runs (approvals/kinds.py) and the requester issues the enrolment code as before
    ("Mã đăng ký xác thực hai lớp" → add)."""

    @admin.action(
        description=_("Đặt lại xác thực hai lớp của người dùng đã chọn"),
        permissions=["delete"],
    )
    def reset_two_factor(self, request, queryset):
        users = sorted(
            {device.user for device in queryset.select_related("user")},
            key=lambda u: u.get_username(),
        )
        if not approval_needed(action=ApprovalAction.TWO_FACTOR_RESET):
            held = self._refuse_held(request, users)
            if held and not queryset.exclude(user__in=held).exists():
                return None  # back to the list, with the refusals
            return super().reset_two_factor(request, queryset.exclude(user__in=held))
        form = ResetReasonForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "approvals/admin_reset_reason.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Lý do đặt lại xác thực hai lớp"),
                    "form": form,
                    "users": users,
                    "devices": queryset,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        self._request_resets(request, users, form.cleaned_data["reason"])
        return None  # back to the list, with the messages

    def _request_resets(self, request, users, reason) -> None:
        approvals, refused = [], []
        for user in users:
            try:
                approvals.append(
                    approval_request(
                        action=ApprovalAction.TWO_FACTOR_RESET,
                        object_key=f"user:{user.pk}",
                        object_label=gettext("Xác thực hai lớp của %(user)s")
                        % {"user": user.get_username()},
                        by=request.user,
                        reason=reason,
                        params={"user_id": user.pk},
                    )
                )
            except DomainError as exc:
                refused.append(exc.message)
        _requested_message(request, approvals, refused)

    def _refuse_held(self, request, users) -> set[int]:
        """Under a rule that needs no second person, the users whose reset a request still
        waits for are not reset at once (docs/approvals.md, "One open request per object"),
        decided on their locked rows: each is refused in words; their ids."""
        held = set()
        for user in sorted(users, key=lambda u: u.pk):
            _lock_user(user.pk)
            refused = _open_refusal(f"user:{user.pk}", user)
            if refused:
                messages.error(request, refused)
                held.add(user.pk)
        return held

    def delete_model(self, request, obj):
        if not approval_needed(action=ApprovalAction.TWO_FACTOR_RESET):
            if self._refuse_held(request, [obj.user]):
                request._portal_reset_requested = True  # nothing deleted: back to the list
                return None
            return super().delete_model(request, obj)
        self._request_resets(request, [obj.user], str(DELETE_REASON))
        request._portal_reset_requested = True

    def delete_queryset(self, request, queryset):
        if not approval_needed(action=ApprovalAction.TWO_FACTOR_RESET):
            return super().delete_queryset(request, queryset)  # our reset_two_factor
        users = sorted({d.user for d in queryset.select_related("user")}, key=lambda u: u.pk)
        self._request_resets(request, users, str(DELETE_REASON))
        request._portal_reset_requested = True

    def log_deletions(self, request, queryset):
        if getattr(request, "_portal_reset_requested", False):
            return None  # nothing deleted yet: the request is audited
        return super().log_deletions(request, queryset)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "_portal_reset_requested", False):
            return HttpResponseRedirect(reverse("admin:otp_totp_totpdevice_changelist"))
        return super().response_delete(request, obj_display, obj_id)


def _lock_user(user_id: int) -> None:
    """Lock the user whose rights are granted, in the admin's transaction: a grant and a
    request to grant are decided one after the other."""
    get_user_model().objects.select_for_update().filter(pk=user_id).first()


def _open_refusal(object_key: str, user) -> str:
    """The refusal of a grant made at once while a request to grant it is open, or ""."""
    try:
        approval_refuse_open(
            object_key=object_key,
            object_label=gettext("Quyền của %(user)s") % {"user": user.get_username()},
        )
    except DomainError as exc:
        return exc.message
    return ""


def _reason_field(label, help_text) -> forms.CharField:
    """The reason a grant's approval request carries, asked beside the grant itself."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MembershipGrantForm(forms.ModelForm):
    approval_reason = _reason_field(
        _("Lý do cấp vai trò đặc quyền"),
        _(
            "Bắt buộc với vai trò đặc quyền (cán bộ Cục CTS&BMTT, cán bộ Sở KH&CN, quản trị, "
            "cán bộ bảo vệ dữ liệu cá nhân): việc cấp chờ một quản trị viên khác phê duyệt."
        ),
    )

    class Meta:
        model = Membership
        fields = ["user", "role", "organization", "authority", "on_behalf_of"]

    def clean(self):
        data = super().clean()
        role, organization = data.get("role"), data.get("organization")
        if role not in PRIVILEGED_ROLES:
            return data
        if self.instance.pk is not None:
            if self.has_changed() and {"role", "organization", "user"} & set(self.changed_data):
                raise ValidationError(
                    _(
                        "Không đổi một vai trò sang vai trò đặc quyền: hãy thêm vai trò mới "
                        "(chờ phê duyệt) và xóa vai trò cũ."
                    )
                )
            return data
        if (
            approval_needed(action=ApprovalAction.ROLE_GRANT, organization=organization)
            and not (data.get("approval_reason") or "").strip()
        ):
            self.add_error("approval_reason", _("Hãy nêu lý do cấp vai trò đặc quyền."))
        return data


class MembershipApprovalAdmin(MembershipAdmin):
    """A privileged role added here becomes an approval request (approvals/kinds.py runs
    `membership_grant` once approved); the other roles are saved at once, as before."""

    form = MembershipGrantForm

    def _requests_approval(self, obj, change) -> bool:
        return (
            not change
            and obj.role in PRIVILEGED_ROLES
            and approval_needed(action=ApprovalAction.ROLE_GRANT, organization=obj.organization)
        )

    def save_model(self, request, obj, form, change):
        if not change and obj.role in PRIVILEGED_ROLES:
            # decided on the user's locked row, as the request below is: while a request to
            # grant this role is open, the role is not granted by another path, whatever the
            # rule says by then (docs/approvals.md, "One open request per object")
            _lock_user(obj.user_id)
        if not self._requests_approval(obj, change):
            if not change and obj.role in PRIVILEGED_ROLES:
                refused = _open_refusal(
                    membership_key(obj.user_id, obj.role, obj.organization_id), obj.user
                )
                if refused:
                    request._portal_approval, request._portal_refused = None, refused
                    return None
            return super().save_model(request, obj, form, change)
        request._portal_approval = None
        try:
            request._portal_approval = approval_request(
                action=ApprovalAction.ROLE_GRANT,
                object_key=membership_key(obj.user_id, obj.role, obj.organization_id),
                object_label=gettext("%(role)s cho %(user)s tại %(org)s")
                % {
                    "role": obj.get_role_display(),
                    "user": obj.user.get_username(),
                    "org": obj.organization or "—",
                },
                by=request.user,
                reason=form.cleaned_data["approval_reason"],
                organization=obj.organization,
                params={
                    "user_id": obj.user_id,
                    "role": obj.role,
                    "organization_id": obj.organization_id,
                },
            )
        except DomainError as exc:
            request._portal_refused = exc.message

    def save_related(self, request, form, formsets, change):
        if not hasattr(request, "_portal_approval"):
            super().save_related(request, form, formsets, change)

    def log_addition(self, request, obj, message):
        if hasattr(request, "_portal_approval"):
            return None  # nothing added yet: the request is audited
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if not hasattr(request, "_portal_approval"):
            return super().response_add(request, obj, post_url_continue)
        approval = request._portal_approval
        _requested_message(
            request,
            [approval] if approval else [],
            [request._portal_refused] if approval is None else [],
        )
        return HttpResponseRedirect(reverse("admin:agencies_membership_changelist"))


class SuperuserGrantForm(UserChangeForm):
    approval_reason = _reason_field(
        _("Lý do cấp quyền superuser"),
        _(
            "Bắt buộc khi đánh dấu “trạng thái superuser”: quyền này chờ một quản trị viên khác "
            "phê duyệt; các thay đổi khác được lưu ngay."
        ),
    )

    def grants_superuser(self) -> bool:
        """Whether the form ticks "superuser status" on an existing user who had not it."""
        return (
            self.instance.pk is not None
            and "is_superuser" in self.changed_data
            and bool(self.cleaned_data.get("is_superuser"))
        )

    def clean(self):
        data = super().clean()
        if (
            self.grants_superuser()
            and approval_needed(action=ApprovalAction.ROLE_GRANT)
            and not (data.get("approval_reason") or "").strip()
        ):
            self.add_error("approval_reason", _("Hãy nêu lý do cấp quyền superuser."))
        return data


def _with_reason(fieldsets) -> tuple:
    """The user admin's fieldsets with the reason right after the superuser flag."""
    found = []
    for name, options in fieldsets:
        fields = tuple(options["fields"])
        if "is_superuser" in fields:
            at = fields.index("is_superuser") + 1
            fields = (*fields[:at], "approval_reason", *fields[at:])
        found.append((name, {**options, "fields": fields}))
    return tuple(found)


class UserApprovalAdmin(UserAdmin):
    """Ticking "superuser status" on a user becomes an approval request, as a privileged role
    does (approvals/kinds.py runs `superuser_grant` once approved): the user's other changes
    are saved at once, the flag is not. Unticking it is saved at once."""

    form = SuperuserGrantForm
    fieldsets = _with_reason(UserAdmin.fieldsets)

    def save_model(self, request, obj, form, change):
        if change and form.grants_superuser():
            _lock_user(obj.pk)  # as a role grant (MembershipApprovalAdmin.save_model)
            if not approval_needed(action=ApprovalAction.ROLE_GRANT):
                refused = _open_refusal(superuser_key(obj.pk), obj)
                if refused:
                    obj.is_superuser = False  # the other changes are saved, the flag waits
                    super().save_model(request, obj, form, change)
                    request._portal_approval, request._portal_refused = None, refused
                    return None
        if not (
            change and form.grants_superuser() and approval_needed(action=ApprovalAction.ROLE_GRANT)
        ):
            return super().save_model(request, obj, form, change)
        obj.is_superuser = False  # as it was: the flag waits for the approval
        super().save_model(request, obj, form, change)
        request._portal_approval = None
        try:
            request._portal_approval = approval_request(
                action=ApprovalAction.ROLE_GRANT,
                object_key=superuser_key(obj.pk),
                object_label=gettext("Quyền superuser cho %(user)s") % {"user": obj.get_username()},
                by=request.user,
                reason=form.cleaned_data["approval_reason"],
                params={"user_id": obj.pk},
            )
        except DomainError as exc:
            request._portal_refused = exc.message

    def construct_change_message(self, request, form, formsets, add=False):
        # The reason is the request's, not the user's; and when a request was made the flag is
        # not changed yet: the request is audited, the admin's log says the rest.
        dropped = {"approval_reason"} | (
            {"is_superuser"} if hasattr(request, "_portal_approval") else set()
        )
        form.changed_data[:] = [name for name in form.changed_data if name not in dropped]
        return super().construct_change_message(request, form, formsets, add)

    def response_change(self, request, obj):
        if hasattr(request, "_portal_approval"):
            approval = request._portal_approval
            _requested_message(
                request,
                [approval] if approval else [],
                [request._portal_refused] if approval is None else [],
            )
        return super().response_change(request, obj)


for _model, _admin in (
    (TOTPDevice, TwoFactorResetAdmin),
    (Membership, MembershipApprovalAdmin),
    (get_user_model(), UserApprovalAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)
