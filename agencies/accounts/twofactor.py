"""The second factor: who needs it, enrolment, verification, recovery codes, reset.

A TOTP device (django-otp, RFC 6238) in an authenticator app, plus 10 single-use recovery codes
(django-otp's static device). Provincial officers, CA operators and administrators must have
one; anyone else may enrol from the account page. Every change and every wrong code is an audit
event; secrets and codes never go into the trail.
"""

import io
import re
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.access import scope_for
from agencies.choices import Role
from portal.audit import audit_record

# Roles whose holders must sign in with a second factor (staff and superusers too).
REQUIRED_ROLES = frozenset({Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR, Role.ADMINISTRATOR})
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Ứng dụng xác thực"
RECOVERY_DEVICE_NAME = "Mã khôi phục"
_SEPARATORS = re.compile(r"[\s\-]+")


def two_factor_required(user) -> bool:
    """Whether the user may not use the portal without a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(scope_for(user).roles & REQUIRED_ROLES)


def totp_device_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def two_factor_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_code(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def format_recovery_code(code: str) -> str:
    """ "abcd2345" as "abcd-2345", easier to read out and type."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


# --- enrolment --------------------------------------------------------------------------------
def totp_enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed device the user is enrolling (one per user, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The secret as typed into an authenticator app, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code, drawn on the server."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]  # drop the XML declaration: it is inlined in HTML


def _new_recovery_codes(user) -> list[str]:
    # The device stays (a session verified with a recovery code stays verified), its codes go.
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_enable(*, device: TOTPDevice, code: str, by) -> list[str] | None:
    """Confirm an enrolment with a first code from the app; returns the new recovery codes, or
    None when the code is wrong (audited as a wrong code)."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(pk=device.pk, user=by, confirmed=False)
        .first()
    )
    if device is None:  # confirmed meanwhile in another tab, or removed
        return None
    if not device.verify_token(normalise_code(code)):
        audit_record(actor=by, action="account.2fa_code_refused", obj=by, after={"step": "enrol"})
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=by).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(by)
    audit_record(
        actor=by,
        action="account.2fa_enabled",
        obj=by,
        after={"device": device.name, "recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user, by) -> list[str]:
    """Replace the user's recovery codes with 10 new ones (the old ones stop working)."""
    codes = _new_recovery_codes(user)
    audit_record(
        actor=by,
        action="account.2fa_recovery_codes_regenerated",
        obj=user,
        after={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def two_factor_disable(*, user, by) -> None:
    """The user turns their second factor off (only when it is not required of them)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=by, action="account.2fa_disabled", obj=user)


@transaction.atomic
def two_factor_reset(*, user, by) -> None:
    """An administrator removes a user's devices (lost phone): the user enrols again at their
    next sign-in if the second factor is required of them."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=by, action="account.2fa_reset", obj=user)


# --- verification -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    ok: bool
    throttled: bool = False
    recovery_code_used: bool = False
    locked_out: bool = False


def _verify(user, code: str):
    """(device that accepted the code or None, whether the device refused to try yet)."""
    model = TOTPDevice if is_totp_code(code) else StaticDevice
    for device in model.objects.select_for_update().filter(user=user, confirmed=True):
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return None, True
        if code and device.verify_token(code):
            return device, False
    return None, False


def code_check(*, user, code: str) -> Verification:
    """Check a current code of the user (to confirm a change on the account page), without
    signing anything in; a wrong code is audited."""
    code = normalise_code(code)
    with transaction.atomic():
        device, throttled = _verify(user, code)
        if device is None:
            audit_record(
                actor=user, action="account.2fa_code_refused", obj=user, after={"step": "confirm"}
            )
    return Verification(ok=device is not None, throttled=throttled)


def second_factor_verify(*, request, user, code: str) -> Verification:
    """The second sign-in step: a 6-digit code from the app or a recovery code (used once).

    On success the session is marked verified through django-otp (`django_otp.login`). A wrong
    code is audited and counts as a failed sign-in for the lockout (django-axes listens to
    `user_login_failed`), so guessing codes locks the account like guessing passwords.
    """
    code = normalise_code(code)
    with transaction.atomic():
        device, throttled = _verify(user, code)
        if device is not None:
            recovery = isinstance(device, StaticDevice)
            if recovery:
                audit_record(
                    actor=user,
                    action="account.2fa_recovery_code_used",
                    obj=user,
                    after={"recovery_codes_left": device.token_set.count()},
                )
        else:
            audit_record(
                actor=user,
                action="account.2fa_code_refused",
                obj=user,
                after={"step": "sign_in", "throttled": throttled},
            )
    if device is not None:
        otp_login(request, device)
        return Verification(ok=True, recovery_code_used=recovery)
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return Verification(
        ok=False, throttled=throttled, locked_out=bool(getattr(request, "axes_locked_out", False))
    )
