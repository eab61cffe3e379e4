"""The devices' PKCS#11 tokens (docs/ca.md, "Subscribers' tokens"): keyed ahead in stock,
personalised at issuance, their user PIN reset on recovery (Mẫu 06), wiped on return (Mẫu 08),
retired when lost (Mẫu 09).

Each key pair is generated inside the token (sensitive, never extractable) and labelled with
the device serial; the CA receives its public key as a PKCS#10 request signed by the token and
the certificate is written back beside the key (same CKA_ID). The security-officer PIN of a
token is HMAC-SHA256(PORTAL_TOKEN_SO_KEY, token serial), derived when needed and never
stored; a new user PIN (8 random digits) is sealed with PORTAL_TOKEN_PIN_KEY until the CA
operator opens its envelope once, at the handover (Mẫu 07), which destroys it.

The token operations cannot roll back with the database: each service does them on the
locked row, and a retried operation finds the token in a state it can start from again (a
certificate written by an issuance the registry rolled back is replaced by the next one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from devices.choices import DeviceStatus, TokenState
from devices.lifecycle import TOKEN_MOVES
from devices.models import Device, DeviceToken
from devices.permissions import is_ca, require
from portal.audit import audit_record
from portal.audit_batch import AuditEntry, audit_record_many
from portal.errors import DomainError
from portal.lib import pkcs11 as p11
from portal.lib.bulk import update_rows

T = TokenState
# Used only where CA_ALLOW_DEV_PASSPHRASE is on (DEBUG, the demo): never in production.
DEV_SO_KEY = "DEV-ONLY mô phỏng: khóa sinh PIN SO của token"  # noqa: S105
DEV_PIN_KEY = "DEV-ONLY mô phỏng: khóa niêm phong PIN"  # noqa: S105
MIN_KEY_LENGTH = 16
# The user PIN of the demo's own devices (`make run`, docs/ca.md): documented, not a secret.
DEMO_PIN = "12345678"  # noqa: S105 - the documented demo PIN
USER_PIN_DIGITS = 8
TOKEN_STORE = "token"  # noqa: S105 - a setting value, not a secret


def token_store_on() -> bool:
    """Whether subscribers' keys are generated in the devices' tokens (the default), not in
    the simulated CA's software key store."""
    return settings.PORTAL_SUBSCRIBER_KEY_STORE == TOKEN_STORE


# --- secrets -------------------------------------------------------------------------------
def _secret(setting: str, dev_default: str) -> bytes:
    value = getattr(settings, setting, "") or ""
    if value:
        if len(value) < MIN_KEY_LENGTH and not settings.CA_ALLOW_DEV_PASSPHRASE:
            raise ImproperlyConfigured(f"{setting} must be at least {MIN_KEY_LENGTH} characters")
        return value.encode()
    if settings.CA_ALLOW_DEV_PASSPHRASE:
        return dev_default.encode()
    raise ImproperlyConfigured(
        f"{setting} is not set: the devices' tokens cannot be used without it "
        "(set CA_ALLOW_DEV_PASSPHRASE=1 only on a development machine)"
    )


def token_so_pin(serial: str) -> str:
    """The security-officer PIN of the token `serial`: derived, never stored."""
    secret = _secret("PORTAL_TOKEN_SO_KEY", DEV_SO_KEY)
    return hmac.new(secret, serial.encode(), hashlib.sha256).hexdigest()[:32]


def _fernet() -> Fernet:
    secret = _secret("PORTAL_TOKEN_PIN_KEY", DEV_PIN_KEY)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"token-pin:" + secret).digest()))


def _seal(pin: str) -> bytes:
    return _fernet().encrypt(pin.encode())


def unseal(envelope: bytes) -> str:
    try:
        return _fernet().decrypt(bytes(envelope)).decode()
    except InvalidToken as exc:
        raise DomainError(
            _("Không mở được phong bì mã PIN (khóa niêm phong đã đổi?)."), code="pin_envelope"
        ) from exc


def new_user_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(USER_PIN_DIGITS))


def _refused(error: p11.TokenError, device: Device) -> DomainError:
    messages = {
        "pin_incorrect": _("Mã PIN của thiết bị %(serial)s không đúng."),
        "pin_locked": _("Thiết bị %(serial)s bị khóa (nhập sai mã PIN quá số lần)."),
        "token_missing": _("Không tìm thấy token PKCS#11 của thiết bị %(serial)s."),
        "key_missing": _("Token của thiết bị %(serial)s không còn cặp khóa."),
    }
    message = messages.get(
        error.code, _("Thao tác trên token của thiết bị %(serial)s không thành công.")
    )
    return DomainError(message % {"serial": device.serial}, code=f"token_{error.code}")


def _check_move(token: DeviceToken, action: str) -> None:
    move = TOKEN_MOVES[action]
    if token.state not in move.sources:
        raise DomainError(
            _("Không thể “%(action)s” token của thiết bị %(serial)s đang ở trạng thái “%(state)s”.")
            % {
                "action": move.label,
                "serial": token.device.serial,
                "state": token.get_state_display(),
            },
            code="illegal_token_move",
        )


def _snapshot(token: DeviceToken, device: Device) -> dict:
    return {"device": device.serial, "token": token.serial, "state": token.state}


# --- keying ---------------------------------------------------------------------------------
@dataclass
class _Keyed:
    serial: str
    key_id: bytes
    public_der: bytes
    pin: str


def _token_make(device: Device, algorithm: str) -> _Keyed:
    """A new token labelled with the device serial, its SO PIN the derived one, a user PIN
    of 8 random digits, and a key pair generated inside it."""
    temporary = secrets.token_hex(16)
    pin = new_user_pin()
    try:
        serial = p11.token_create(label=device.serial, so_pin=temporary, user_pin=pin)
        p11.so_pin_change(serial, so_pin=temporary, new_so_pin=token_so_pin(serial))
        return _keypair(device, serial, pin, algorithm)
    except p11.TokenError as error:
        raise _refused(error, device) from error


def _token_rekey(device: Device, token: DeviceToken, algorithm: str) -> _Keyed:
    """A wiped token: a new user PIN (C_InitPIN as the SO), then a new key pair."""
    pin = new_user_pin()
    try:
        p11.pin_reset(token.serial, so_pin=token_so_pin(token.serial), new_pin=pin)
        return _keypair(device, token.serial, pin, algorithm)
    except p11.TokenError as error:
        raise _refused(error, device) from error


def _keypair(device: Device, serial: str, pin: str, algorithm: str) -> _Keyed:
    key_id = secrets.token_bytes(16)
    with p11.session(serial, user_pin=pin, rw=True) as session:
        public_der = p11.keypair_generate(
            session, key_id=key_id, label=device.serial, algorithm=algorithm
        )
    return _Keyed(serial=serial, key_id=key_id, public_der=public_der, pin=pin)


def _apply_keyed(token: DeviceToken, keyed: _Keyed, algorithm: str, now) -> None:
    token.serial = keyed.serial
    token.state = T.STOCK_KEYED
    token.key_algorithm = algorithm
    token.key_id = keyed.key_id.hex()
    token.public_key_der = keyed.public_der
    token.pin_envelope = _seal(keyed.pin)
    token.pin_set_at = token.keyed_at = now
    token.pin_revealed_at = None
    token.is_demo = False


def _key_device(device: Device, token: DeviceToken | None, algorithm: str) -> DeviceToken:
    """Key the (locked) device's token: a new token when it has none, a new key pair on its
    wiped one. Returns the saved row."""
    now = timezone.now()
    if token is None:
        keyed = _token_make(device, algorithm)
        token = DeviceToken(device=device)
        _apply_keyed(token, keyed, algorithm, now)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:
            # Another run gave the device a token meanwhile (`device` is one-to-one): this one
            # goes back to blank, unused, rather than stay keyed for nobody.
            p11.token_wipe(keyed.serial, so_pin=token_so_pin(keyed.serial), label="UNUSED")
            raise
        return token
    _check_move(token, "key")
    keyed = _token_rekey(device, token, algorithm)
    _apply_keyed(token, keyed, algorithm, now)
    token.save()
    return token


def device_tokens_key_ahead(
    *, limit: int | None = None, algorithm: str | None = None, by=None
) -> int:
    """Key ahead the tokens of devices in the CA's stock, oldest first: a token for each
    device that has none (or a new key pair on its wiped one), at most `limit`
    (PORTAL_TOKEN_KEY_AHEAD_BATCH); returns how many. Each device in its own transaction,
    locked with SKIP LOCKED: two runs at once never key one device twice, and the one-to-one
    `device` of DeviceToken refuses a second token in any case. Nothing in the software key
    store (docs/ca.md)."""
    if not token_store_on():
        return 0
    limit = settings.PORTAL_TOKEN_KEY_AHEAD_BATCH if limit is None else limit
    algorithm = algorithm or settings.CA_SUBSCRIBER_KEY_ALGORITHM
    done = 0
    while done < limit:
        with transaction.atomic():
            device = (
                Device.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=DeviceStatus.IN_CA_STOCK)
                .filter(Q(token__isnull=True) | Q(token__state=T.WIPED))
                .order_by("pk")
                .first()
            )
            if device is None:
                break
            token = DeviceToken.objects.select_for_update().filter(device=device).first()
            before = token.state if token is not None else ""
            try:
                token = _key_device(device, token, algorithm)
            except IntegrityError:
                continue
            audit_record(
                actor=by,
                action="device_token.key",
                obj=device,
                before={"state": before} if before else None,
                after={**_snapshot(token, device), "algorithm": algorithm},
            )
        done += 1
    return done


# --- personalisation -----------------------------------------------------------------------
@dataclass(frozen=True)
class TokenOrder:
    """One device to personalise: the subject its request names, its key algorithm."""

    device: Device
    subject: x509.Name
    algorithm: str


@dataclass(frozen=True)
class Personalised:
    """What a personalisation gives the CA's registry: the token's public key."""

    device: Device
    public_key_der: bytes


def device_tokens_personalise(
    *,
    orders: Sequence[TokenOrder],
    issue: Callable[[list[bytes]], list[bytes]],
    by,
    audit_into: Sequence[list[AuditEntry]] | None = None,
) -> list[Personalised]:
    """Personalise the devices' tokens, in the caller's transaction: each token's key pair
    (keyed ahead in stock, else generated now) signs a PKCS#10 request on the token; `issue`
    takes the requests (DER, in order) to the CA and gives back the certificates (DER), which
    are written onto the tokens beside their keys (same CKA_ID, label the device serial).

    The user PIN set when the key pair was generated stays sealed for the handover. Events
    `device_token.key` (a token keyed now) and `device_token.personalise`, per device, into
    its list of `audit_into` or recorded here. A retired token (a lost device) or a token
    already personalised is refused with a DomainError, nothing written.
    """
    if not orders:
        return []
    now = timezone.now()
    events: list[list[AuditEntry]] = [[] for _order in orders]
    locked = {
        token.device_id: token
        for token in DeviceToken.objects.select_for_update().filter(
            device__in=[order.device.pk for order in orders]
        )
    }
    tokens: list[DeviceToken] = []
    for index, order in enumerate(orders):
        token = locked.get(order.device.pk)
        if token is not None:
            token.device = order.device
            if token.state != T.WIPED:
                _check_move(token, "personalise")
        if token is None or token.state == T.WIPED:
            before = token.state if token is not None else ""
            token = _key_device(order.device, token, order.algorithm)
            events[index].append(
                AuditEntry(
                    "device_token.key",
                    order.device,
                    before={"state": before} if before else None,
                    after={**_snapshot(token, order.device), "algorithm": order.algorithm},
                )
            )
        tokens.append(token)
    # Every token found before any session opens: finding one another process made may
    # initialise the library again, which closes the sessions of this process.
    for order, token in zip(orders, tokens, strict=True):
        try:
            p11.token(token.serial)
        except p11.TokenError as error:
            raise _refused(error, order.device) from error
    with ExitStack() as stack:
        sessions = []
        requests = []
        for order, token in zip(orders, tokens, strict=True):
            try:
                session = stack.enter_context(
                    p11.session(token.serial, user_pin=unseal(token.pin_envelope), rw=True)
                )
                key = p11.signing_key(
                    session, key_id=token.key_id_bytes, public_der=bytes(token.public_key_der)
                )
                request = (
                    x509.CertificateSigningRequestBuilder()
                    .subject_name(order.subject)
                    .sign(key, hashes.SHA256())
                )
            except p11.TokenError as error:
                raise _refused(error, order.device) from error
            sessions.append(session)
            requests.append(request.public_bytes(serialization.Encoding.DER))
        ders = issue(requests)
        for order, token, session, der in zip(orders, tokens, sessions, ders, strict=True):
            try:
                p11.certificates_remove(session, key_id=token.key_id_bytes)
                p11.certificate_store(
                    session, key_id=token.key_id_bytes, label=order.device.serial, der=der
                )
            except p11.TokenError as error:
                raise _refused(error, order.device) from error
    for index, (order, token) in enumerate(zip(orders, tokens, strict=True)):
        before = token.state
        token.state, token.personalised_at = T.PERSONALISED, now
        events[index].append(
            AuditEntry(
                "device_token.personalise",
                order.device,
                before={"state": before},
                after=_snapshot(token, order.device),
            )
        )
    update_rows(
        DeviceToken,
        ["state", "personalised_at"],
        [(token.pk, token.state, token.personalised_at) for token in tokens],
    )
    if audit_into is None:
        audit_record_many(actor=by, entries=[e for entries in events for e in entries])
    else:
        for into, entries in zip(audit_into, events, strict=True):
            into.extend(entries)
    return [
        Personalised(device=order.device, public_key_der=bytes(token.public_key_der))
        for order, token in zip(orders, tokens, strict=True)
    ]


def device_token_certificate_replace(*, device: Device, der: bytes, by) -> bool:
    """A renewal or change of information certifies the same key again: its certificate
    replaces the old one on the token (public objects: no PIN needed). False for a device
    without a personalised token."""
    with transaction.atomic():
        token = DeviceToken.objects.select_for_update().filter(device=device).first()
        if token is None or token.state != T.PERSONALISED:
            return False
        token.device = device
        try:
            with p11.session_public(token.serial) as session:
                p11.certificates_remove(session, key_id=token.key_id_bytes)
                p11.certificate_store(
                    session, key_id=token.key_id_bytes, label=device.serial, der=der
                )
        except p11.TokenError as error:
            raise _refused(error, device) from error
        audit_record(
            actor=by,
            action="device_token.certificate_replace",
            obj=device,
            after=_snapshot(token, device),
        )
    return True


# --- device operations ----------------------------------------------------------------------
def _locked_token(device: Device) -> DeviceToken | None:
    token = DeviceToken.objects.select_for_update().filter(device=device).first()
    if token is not None:
        token.device = device
    return token


def device_token_pin_reset(*, device: Device, by, document_ref: str = "") -> DeviceToken | None:
    """Recovery of a locked device (Mẫu 06): the security officer sets a new user PIN
    (C_InitPIN), sealed for its handover like the first. None for a device without a token
    (a key in the software store)."""
    with transaction.atomic():
        token = _locked_token(device)
        if token is None:
            return None
        _check_move(token, "pin_reset")
        pin = new_user_pin()
        try:
            p11.pin_reset(token.serial, so_pin=token_so_pin(token.serial), new_pin=pin)
        except p11.TokenError as error:
            raise _refused(error, device) from error
        token.pin_envelope = _seal(pin)
        token.pin_set_at = timezone.now()
        token.pin_revealed_at = None
        token.is_demo = False
        token.save(update_fields=["pin_envelope", "pin_set_at", "pin_revealed_at", "is_demo"])
        audit_record(
            actor=by,
            action="device_token.pin_reset",
            obj=device,
            after=_snapshot(token, device),
            reason=document_ref,
        )
    return token


def device_token_pin_reveal(*, device: Device, by) -> str:
    """Open the PIN envelope of a personalised (or recovered) device, once, for the CA
    operator to hand over with the device (Mẫu 07): the sealed PIN is destroyed as it is
    shown. Audited without the PIN."""
    require(is_ca(by))
    with transaction.atomic():
        token = _locked_token(device)
        if token is None:
            raise DomainError(_("Thiết bị này không có token PKCS#11."), code="no_token")
        _check_move(token, "pin_reveal")
        if not token.pin_envelope:
            raise DomainError(
                _("Phong bì mã PIN của thiết bị %(serial)s đã được mở và hủy.")
                % {"serial": device.serial},
                code="pin_envelope_opened",
            )
        pin = unseal(token.pin_envelope)
        token.pin_envelope = b""
        token.pin_revealed_at = timezone.now()
        token.save(update_fields=["pin_envelope", "pin_revealed_at"])
        audit_record(
            actor=by, action="device_token.pin_reveal", obj=device, after=_snapshot(token, device)
        )
    return pin


def _token_close(
    device: Device,
    *,
    move: str,
    state: str,
    stamp: str,
    by,
    document_ref: str,
    erase: Callable[[DeviceToken], None] | None = None,
) -> DeviceToken | None:
    """Move the device's token to `state` for good (`move` of the token's table, audited as
    `device_token.<move>`): its PIN envelope destroyed, no longer a demo device, the time
    in the `stamp` field; `erase` first clears what else the move destroys. None for a device
    without a token."""
    with transaction.atomic():
        token = _locked_token(device)
        if token is None:
            return None
        before = token.state
        _check_move(token, move)
        if erase is not None:
            erase(token)
        token.state = state
        token.pin_envelope, token.is_demo = b"", False
        setattr(token, stamp, timezone.now())
        token.save()
        audit_record(
            actor=by,
            action=f"device_token.{move}",
            obj=device,
            before={"state": before},
            after=_snapshot(token, device),
            reason=document_ref,
        )
    return token


def device_token_wipe(*, device: Device, by, document_ref: str = "") -> DeviceToken | None:
    """A device returned to the CA (Mẫu 08): its token is re-initialised with the SO PIN,
    every key and certificate on it destroyed, before the device can be keyed again. None
    for a device without a token."""

    def erase(token: DeviceToken) -> None:
        try:
            p11.token_wipe(token.serial, so_pin=token_so_pin(token.serial), label=device.serial)
        except p11.TokenError as error:
            raise _refused(error, device) from error
        token.key_id, token.public_key_der, token.pin_revealed_at = "", b"", None

    return _token_close(
        device,
        move="wipe",
        state=T.WIPED,
        stamp="wiped_at",
        by=by,
        document_ref=document_ref,
        erase=erase,
    )


def device_token_retire(*, device: Device, by, document_ref: str = "") -> DeviceToken | None:
    """A lost device (Mẫu 09): its token is out of the CA's hands for good. The row stays
    (its serial can never be given to another device) and no move starts from retired, so
    it is never personalised again. None for a device without a token."""
    return _token_close(
        device,
        move="retire",
        state=T.RETIRED,
        stamp="retired_at",
        by=by,
        document_ref=document_ref,
    )


def device_token_demo_pin_set(*, device: Device, by) -> DeviceToken | None:
    """A demo device (`make run`): its user PIN becomes the documented DEMO_PIN, so that the
    desk signing can be shown with it, and the row says it is a demo device."""
    with transaction.atomic():
        token = _locked_token(device)
        if token is None:
            return None
        _check_move(token, "pin_reset")
        try:
            p11.pin_reset(token.serial, so_pin=token_so_pin(token.serial), new_pin=DEMO_PIN)
        except p11.TokenError as error:
            raise _refused(error, device) from error
        token.pin_envelope, token.is_demo = b"", True
        token.pin_set_at = timezone.now()
        token.save(update_fields=["pin_envelope", "is_demo", "pin_set_at"])
        audit_record(
            actor=by,
            action="device_token.demo_pin",
            obj=device,
            after={**_snapshot(token, device), "demo": True},
        )
    return token
