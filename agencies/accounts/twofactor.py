"""The second factor: who needs it, enrolment, verification, recovery codes, reset.

A TOTP device (django-otp, RFC 6238) in an authenticator app, plus 10 single-use recovery codes
(django-otp's static device). Provincial officers, CA operators and administrators must have
one; anyone else may enrol from the account page. Every change and every wrong code is an audit
event; secrets and codes never go into the trail (docs/security.md, "Second factor").

- Enrolment needs what a password thief lacks: a one-time enrolment code issued by an
  administrator (`enrolment_code_issue`) for those who must have a second factor, the password
  typed again for a voluntary enrolment; only then is a fresh secret made and shown. Every
  enrolment is told to the user and their agency.
- Recovery codes and enrolment codes are stored as keyed hashes (HMAC with SECRET_KEY, the
  SECRET_KEY_FALLBACKS still accepted), shown once. A recovery code's hash is kept in
  django-otp's `StaticToken.token` column (16 characters), so its device works as before.
- The authenticator's window is the current 30-second step of real time, one step either way,
  never a step already used (no learned drift: OTP_TOTP_SYNC is off and a stored drift is reset).
- Each factor keeps its own failure count (django-otp's throttle on its device: a doubling wait,
  then a lock for the cool-off after PORTAL_2FA_FAILURE_LIMIT wrong codes in a row); a wrong code
  also counts toward its client address, locked only at PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT
  (agencies/accounts/lockout.py). Nothing here counts toward the password's lockout.
"""

import io
import re
import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import timedelta

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.access import scope_for
from agencies.accounts.lockout import address_failure_record, address_locked
from agencies.choices import Role
from agencies.models import EnrolmentCode, Membership
from agencies.names import account_name
from portal.audit import audit_record
from portal.notifications import notify
from portal.texts import text

# Roles whose holders must sign in with a second factor (staff and superusers too).
REQUIRED_ROLES = frozenset(
    {Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER}
)
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Ứng dụng xác thực"
RECOVERY_DEVICE_NAME = "Mã khôi phục"
_SEPARATORS = re.compile(r"[\s\-]+")
# An enrolment code: 12 letters and digits that cannot be mistaken for one another (~59 bits),
# shown as xxxx-xxxx-xxxx.
ENROLMENT_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ENROLMENT_CODE_LENGTH = 12
TOTP_TOLERANCE = 1  # steps either way of real time


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
    """ "abcd2345" as "abcd-2345", easier to read out and type (hyphens and spaces are ignored
    when a code is typed)."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def format_enrolment_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _keys() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _mac(purpose: str, user_id: int, code: str, key: str) -> bytes:
    return salted_hmac(
        f"agencies.accounts.twofactor.{purpose}",
        f"{user_id}:{code}",
        secret=key,
        algorithm="sha256",
    ).digest()


def recovery_code_hash(user_id: int, code: str, key: str | None = None) -> str:
    """What is stored for a recovery code: a keyed hash bound to the user, 16 characters (the
    width of django-otp's token column), never the code."""
    mac = _mac("recovery", user_id, normalise_code(code), key or settings.SECRET_KEY)
    return b32encode(mac[:10]).decode("ascii").lower()


def _recovery_code_hashes(user_id: int, code: str) -> list[str]:
    return [recovery_code_hash(user_id, code, key) for key in _keys()]


def enrolment_code_hash(user_id: int, code: str, key: str | None = None) -> str:
    return _mac("enrolment", user_id, normalise_code(code), key or settings.SECRET_KEY).hex()


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


# --- enrolment --------------------------------------------------------------------------------
def enrolment_code_needed(user) -> bool:
    """Whether enrolling needs an administrator's enrolment code: for everyone who must have a
    second factor (a voluntary enrolment needs the password typed again instead;
    docs/security.md, "Second factor")."""
    return two_factor_required(user)


@transaction.atomic
def enrolment_code_issue(*, user, by) -> str:
    """A new one-time enrolment code for `user` (any older unused one is withdrawn); returns the
    code itself, which is never stored and cannot be shown again."""
    # the user's row locked: two administrators issuing at once take turns (one open code each)
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    EnrolmentCode.objects.select_for_update().filter(
        user=user, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    code = "".join(secrets.choice(ENROLMENT_CODE_ALPHABET) for _ in range(ENROLMENT_CODE_LENGTH))
    row = EnrolmentCode.objects.create(
        user=user,
        digest=enrolment_code_hash(user.pk, code),
        issued_by=by if getattr(by, "pk", None) else None,
        expires_at=now + timedelta(hours=settings.PORTAL_ENROLMENT_CODE_HOURS),
    )
    audit_record(
        actor=by,
        action="account.2fa_enrolment_code_issued",
        obj=user,
        after={"enrolment_code": row.pk, "expires_at": row.expires_at.isoformat()},
    )
    return format_enrolment_code(code)


def _open_codes(user):
    return EnrolmentCode.objects.filter(
        user=user,
        used_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def _enrolment_code_open(*, user, code: str, lock: bool) -> EnrolmentCode | None:
    """The user's unused, unexpired enrolment code matching `code`, if any."""
    rows = _open_codes(user)
    if lock:
        rows = rows.select_for_update()
    candidates = [enrolment_code_hash(user.pk, code, key) for key in _keys()]
    for row in rows:
        if any(constant_time_compare(row.digest, digest) for digest in candidates):
            return row
    return None


def enrolment_start(*, user, enrolment_code: str = "", request=None) -> tuple | None:
    """The first step of an enrolment: with an enrolment code when one is needed (checked here,
    used at confirmation), a fresh secret for the user (any unconfirmed one is dropped, so no
    secret exists before this step). Returns (device, the enrolment code's id or None), or None,
    audited and counted toward the client address, when the code is wrong, used, withdrawn or
    expired. A voluntary enrolment's caller has checked the password again (views.enrol)."""
    code = normalise_code(enrolment_code)
    enrolment = None
    with transaction.atomic():
        if enrolment_code_needed(user):
            if request is not None and address_locked(request):
                return None
            enrolment = _enrolment_code_open(user=user, code=code, lock=False) if code else None
            if enrolment is None:
                audit_record(
                    actor=user,
                    action="account.2fa_enrolment_code_refused",
                    obj=user,
                    after={"step": "start"},
                )
                if request is not None:
                    address_failure_record(request)
                return None
        device = totp_enrolment_device(user=user)
    return device, (enrolment.pk if enrolment is not None else None)


def unconfirmed_device(*, user, pk) -> TOTPDevice | None:
    if not pk:
        return None
    return TOTPDevice.objects.filter(user=user, pk=pk, confirmed=False).first()


def totp_enrolment_device(*, user) -> TOTPDevice:
    """A fresh unconfirmed device for the user (for scripts and tests that enrol directly)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE_NAME, confirmed=False, tolerance=TOTP_TOLERANCE
    )


def secret_base32(device: TOTPDevice) -> str:
    """The secret as typed into an authenticator app, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code, drawn on the server."""
    return address_qr_svg(device.config_url)


def address_qr_svg(address: str) -> str:
    """An otpauth:// (or any) address as an inline SVG QR code, drawn on the server."""
    image = qrcode.make(address, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
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
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=recovery_code_hash(user.pk, code)) for code in codes]
    )
    return codes


def recovery_codes_store(*, user, codes) -> None:
    """Make `codes` recovery codes of the user (hashed), beside any they have: the demo's
    published codes (agencies/demo.py)."""
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    for code in codes:
        StaticToken.objects.get_or_create(device=device, token=recovery_code_hash(user.pk, code))


class EnrolmentRefused(Exception):
    """The enrolment code was missing, wrong, used, withdrawn or expired (nothing changed)."""


def _totp_verify(device: TOTPDevice, code: str) -> bool:
    """django-otp's check within the current step of real time, one step either way, above the
    last step used: a drift learned by an older version is dropped (docs/security.md)."""
    device.drift = 0
    device.tolerance = TOTP_TOLERANCE
    return device.verify_token(code)


def two_factor_enable(
    *, device: TOTPDevice, code: str, by, enrolment_code_id: int | None = None
) -> list[str] | None:
    """Confirm an enrolment with a first code from the app; returns the new recovery codes, or
    None when the code is wrong (audited as a wrong code). For a user who must have a second
    factor, `enrolment_code_id` must be the open enrolment code `enrolment_start` accepted,
    still unused and unexpired on its locked row, and is used here (EnrolmentRefused, audited,
    otherwise). The user and their agency are told of the enrolment."""
    refused = False
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device.pk, user=by, confirmed=False)
            .first()
        )
        if device is None:  # confirmed meanwhile in another tab, or removed
            return None
        enrolment = None
        if enrolment_code_needed(by):
            enrolment = (
                _open_codes(by).select_for_update().filter(pk=enrolment_code_id).first()
                if enrolment_code_id
                else None
            )
            if enrolment is None:
                audit_record(
                    actor=by,
                    action="account.2fa_enrolment_code_refused",
                    obj=by,
                    after={"step": "confirm"},
                )
                refused = True
        if not refused:
            if not _totp_verify(device, normalise_code(code)):
                audit_record(
                    actor=by, action="account.2fa_code_refused", obj=by, after={"step": "enrol"}
                )
                return None
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=by).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(by)
            if enrolment is not None:
                enrolment.used_at = timezone.now()
                enrolment.save(update_fields=["used_at"])
            audit_record(
                actor=by,
                action="account.2fa_enabled",
                obj=by,
                after={
                    "device": device.name,
                    "recovery_codes": len(codes),
                    "enrolment_code": enrolment.pk if enrolment is not None else None,
                },
            )
            _enrolment_notify(user=by)
    if refused:
        raise EnrolmentRefused
    return codes


def _agency_people(user) -> list:
    """Who answers for the user's agency: its heads, or where it has none (a provincial office,
    the CA) its other members."""
    orgs = list(
        Membership.objects.filter(user=user, organization__isnull=False).values_list(
            "organization_id", flat=True
        )
    )
    if not orgs:
        return []
    members = Membership.objects.filter(organization_id__in=orgs, user__is_active=True).exclude(
        user=user
    )
    heads = [m.user for m in members.filter(role=Role.AGENCY_HEAD).select_related("user")]
    return heads or [m.user for m in members.select_related("user")]


def _enrolment_notify(*, user) -> None:
    """Tell the user and their agency that an authenticator was enrolled (in the app and by
    e-mail), so that an enrolment by someone else is seen at once."""
    when = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    notify(
        users=[user],
        message=text(
            gettext_noop(
                "Ứng dụng xác thực đã được đăng ký cho tài khoản của bạn lúc %(when)s. Nếu không phải bạn, hãy báo ngay cho quản trị hệ thống."
            ),
            when=when,
        ),
        url=reverse("accounts:account"),
        subject=_("Đăng ký xác thực hai lớp"),
        kind="account.2fa_enabled",
    )
    name = account_name(user)
    notify(
        users=_agency_people(user),
        message=text(
            gettext_noop(
                "Tài khoản %(name)s (%(username)s) của cơ quan đã đăng ký ứng dụng xác thực lúc %(when)s. Nếu người này không đăng ký, hãy báo ngay cho quản trị hệ thống."
            ),
            name=name,
            username=user.get_username(),
            when=when,
        ),
        subject=_("Đăng ký xác thực hai lớp"),
        kind="account.2fa_enabled",
    )


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
    """An administrator removes a user's devices (lost phone) and withdraws any unused
    enrolment code: a user who must have a second factor enrols again with a new enrolment
    code (`enrolment_code_issue`)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    withdrawn = EnrolmentCode.objects.filter(
        user=user, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())
    audit_record(
        actor=by,
        action="account.2fa_reset",
        obj=user,
        after={"enrolment_codes_withdrawn": withdrawn},
    )


# --- verification -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    ok: bool
    throttled: bool = False
    recovery_code_used: bool = False
    locked_out: bool = False  # the client address: signed out, the lockout page
    factor_locked: bool = False  # this factor of the account, for the cool-off


def factor_locked(device) -> bool:
    """PORTAL_2FA_FAILURE_LIMIT wrong codes in a row on this device, the last one within the
    cool-off."""
    if device.throttling_failure_count < settings.PORTAL_2FA_FAILURE_LIMIT:
        return False
    last = device.throttling_failure_timestamp
    return last is not None and last + settings.AXES_COOLOFF_TIME > timezone.now()


def _static_verify(device: StaticDevice, code: str) -> bool:
    """django-otp's `StaticDevice.verify_token` on the hash of the code: the token used is
    deleted, a wrong code counts on this device only."""
    match = device.token_set.filter(token__in=_recovery_code_hashes(device.user_id, code)).first()
    if match is None:
        device.throttle_increment()
        return False
    match.delete()
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return True


def _verify(user, code: str):
    """(device that accepted the code or None, refused to try yet, factor locked). A code of 6
    digits is tried on the authenticator only, anything else on the recovery codes only: each
    factor counts its own failures."""
    totp = is_totp_code(code)
    model = TOTPDevice if totp else StaticDevice
    for device in model.objects.select_for_update().filter(user=user, confirmed=True):
        if factor_locked(device):
            return None, False, True
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return None, True, False
        if not code:
            continue
        accepted = _totp_verify(device, code) if totp else _static_verify(device, code)
        if accepted:
            return device, False, False
    return None, False, False


def code_matches(*, user, code: str):
    """The device that accepts a current code of the user (consuming a recovery code), or None;
    for a re-authentication (agencies/accounts/reauth.py), which audits a refusal itself."""
    with transaction.atomic():
        device, _throttled, _locked = _verify(user, normalise_code(code))
    return device


def code_check(*, user, code: str) -> Verification:
    """Check a current code of the user (to confirm a change on the account page), without
    signing anything in; a wrong code is audited."""
    code = normalise_code(code)
    with transaction.atomic():
        device, throttled, locked = _verify(user, code)
        if device is None:
            audit_record(
                actor=user, action="account.2fa_code_refused", obj=user, after={"step": "confirm"}
            )
    return Verification(ok=device is not None, throttled=throttled, factor_locked=locked)


def second_factor_verify(*, request, user, code: str) -> Verification:
    """The second sign-in step: a 6-digit code from the app or a recovery code (used once).

    On success the session is marked verified through django-otp (`django_otp.login`). A wrong
    code is audited, counts on its own factor's device and toward the client address; the
    password's lockout (django-axes) does not see it, so codes cannot lock another factor, and
    one person's wrong codes cannot lock everyone behind their address.
    """
    if address_locked(request):
        return Verification(ok=False, locked_out=True)
    code = normalise_code(code)
    recovery = False
    with transaction.atomic():
        device, throttled, locked = _verify(user, code)
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
                after={"step": "sign_in", "throttled": throttled, "factor_locked": locked},
            )
            address_failure_record(request)
    if device is not None:
        otp_login(request, device)
        return Verification(ok=True, recovery_code_used=recovery)
    return Verification(ok=False, throttled=throttled, factor_locked=locked)
