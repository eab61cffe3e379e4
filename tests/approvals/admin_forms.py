"""The admin forms the approval tests post: ticking "superuser status" in the user admin and
asking for a second factor's reset (docs/approvals.md)."""

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import sign_in

REASON = "Quản trị viên dự phòng theo quyết định 7/QĐ-CĐS"


def user_change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def superuser_form(user, reason=REASON, **changes) -> dict:
    """The admin's change form of `user`, as posted, with `changes` (flags and names)."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": changes.get("first_name", user.first_name),
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": joined.strftime("%d/%m/%Y"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "groups": [],
        "user_permissions": [],
        "approval_reason": reason,
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if changes.get(flag, getattr(user, flag)):
            data[flag] = "on"
    return data


def tick_superuser(admin, user, **changes):
    """`admin` ticks "superuser status" of `user` in the user admin (with `changes`)."""
    client = sign_in(Client(), admin)
    return client.post(
        user_change_url(user), superuser_form(user, is_superuser=True, **changes), follow=True
    )


CHANGELIST = reverse("admin:otp_totp_totpdevice_changelist")


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Điện thoại", confirmed=True)


def reset_in_admin(admin, *users, reason="Mất điện thoại, đã xác minh trực tiếp"):
    """`admin` asks in the admin to reset the second factor of `users`, with `reason`."""
    client = sign_in(Client(), admin)
    devices = [confirmed_device(user).pk for user in users]
    asked = client.post(CHANGELIST, {"action": "reset_two_factor", "_selected_action": devices})
    assert asked.status_code == 200 and "Lý do đặt lại" in asked.content.decode()
    done = client.post(
        CHANGELIST,
        {"action": "reset_two_factor", "_selected_action": devices, "reason": reason},
        follow=True,
    )
    # back on the changelist, with the decision's message (not the sign-in page)
    assert done.redirect_chain == [(CHANGELIST, 302)]
    return done
