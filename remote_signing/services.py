"""The remote-signing service's writes (docs/remote-signing.md): the CA issues an activation
code; the holder activates the credential (a signing PIN and an authenticator); each signature
is authorised by the holder for exact hashes with the PIN and a fresh authenticator code, and
signed once in the CA's HSM.

Every decision is taken on the locked row of the credential's control, inside the transaction
that changes it; a refusal is audited (`remote_signature.refused`) in a transaction of its own,
after the one that counted a wrong PIN (and may have locked the credential) has committed.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.oath import TOTP

from certificates.backends import get_backend
from certificates.choices import CertStatus, SigningEventKind
from certificates.desk.models import DeskSigning
from certificates.exceptions import CertificateError
from certificates.models import Certificate
from certificates.services import signing_event_record, signing_events_record_bulk
from devices.choices import CredentialState
from devices.models import Device, RemoteCredential
from devices.services import device_activated, device_lock_itself
from portal.audit import audit_record
from portal.lib.lifecycle import SYSTEM
from remote_signing import rules
from remote_signing.choices import ControlState
from remote_signing.desk import (
    RemoteAnswer,
    desk_answer,
    desk_credential,
    desk_digest_b64,
    desk_mobile_send,
    desk_open,
    desk_sim,
    status_code,
)
from remote_signing.lifecycle import MOVES
from remote_signing.models import SignatureAuthorization, SoleControl
from remote_signing.rules import RemoteSigningRefused

S = ControlState
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read out and typed by hand
CODE_LENGTH = 16
TOTP_STEP = 30
TOTP_TOLERANCE = 1  # one step either way: a phone's clock a little off
# The signing PIN is checked as HMAC-SHA256 keyed in the CA's HSM (`_pin_digest`). A PIN set
# before that is still Django's PBKDF2 hash, whatever PASSWORD_HASHERS says (the tests' MD5),
# until its holder's next right PIN replaces it.
PIN_SCHEME = "hsm-hmac-sha256"
PIN_HASHER = PBKDF2PasswordHasher()


def _keyed(purpose: str, value: str) -> str:
    return salted_hmac(
        f"remote_signing.{purpose}", value, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def _pin_mac(credential: RemoteCredential, salt: str, pin: str) -> str:
    data = "\x00".join(("remote-signing-pin", credential.credential_id, salt, pin))
    try:
        return get_backend().remote_pin_mac(data=data.encode()).hex()
    except CertificateError as error:
        raise RemoteSigningRefused(error.message, code=error.code) from error


def _pin_digest(credential: RemoteCredential, pin: str) -> str:
    """What is kept of a signing PIN (docs/remote-signing.md, "Sole control"): a random salt
    and the HMAC of the credential id, the salt and the PIN under the HSM's PIN key. Without
    the HSM, a stolen database gives no way to try PINs."""
    salt = secrets.token_hex(16)
    return f"{PIN_SCHEME}${salt}${_pin_mac(credential, salt, pin)}"


def _pin_right(control: SoleControl, pin) -> bool:
    """Whether `pin` is the control's signing PIN; a PIN kept in the older form (PBKDF2) is
    kept in the HSM's form from its first right use (the caller saves `pin_hash`)."""
    if not isinstance(pin, str):
        return False
    scheme, _sep, rest = control.pin_hash.partition("$")
    if scheme == PIN_SCHEME:
        salt, _sep, mac = rest.partition("$")
        return constant_time_compare(_pin_mac(control.credential, salt, pin), mac)
    if control.pin_hash and PIN_HASHER.verify(pin, control.pin_hash):
        control.pin_hash = _pin_digest(control.credential, pin)
        return True
    return False


def _normalised_code(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def _refused(error: RemoteSigningRefused, *, credential, by, **details) -> RemoteSigningRefused:
    """Audit a refusal on its own (the transaction that decided it may have rolled back)."""
    with transaction.atomic():
        audit_record(
            actor=by,
            action="remote_signature.refused",
            obj=credential,
            after={"code": error.code, **details},
            reason=error.message,
        )
    return error


def _locked_control(credential: RemoteCredential) -> SoleControl:
    """The credential's control, made on first use, locked; a destroyed credential (its
    certificate revoked) is refused."""
    SoleControl.objects.get_or_create(credential=credential)
    control = (
        SoleControl.objects.select_for_update(of=("self",))
        .select_related("credential__device__holder")
        .get(credential=credential)
    )
    if control.credential.state == CredentialState.DESTROYED:
        raise RemoteSigningRefused(
            _("Khóa ký số đã bị hủy cùng chứng thư bị thu hồi."), code="revoked"
        )
    return control


def _holder_id(control: SoleControl) -> int | None:
    holder = control.credential.device.holder
    return holder.user_id if holder is not None else None


def _check_move(control: SoleControl, name: str) -> None:
    if SYSTEM not in MOVES[name].roles_from(control.state):
        rules.require_signing_state(control.state)
        raise RemoteSigningRefused(
            _("Không thể “%(move)s” khi khóa ký số đang “%(state)s”.")
            % {"move": MOVES[name].label, "state": control.get_state_display()},
            code="illegal_move",
        )


def _valid_certificate(control: SoleControl, now) -> Certificate:
    certificate = (
        Certificate.objects.on_device(control.credential.device)
        .filter(status=CertStatus.VALID, not_after__gt=now)
        .first()
    )
    if certificate is None:
        raise RemoteSigningRefused(
            _("Chứng thư của khóa ký số này không còn hiệu lực."), code="certificate_invalid"
        )
    return certificate


def _to_monitor(control: SoleControl, kind: str, now) -> None:
    """A lock or a reopening on the signing monitor, under the credential's latest
    certificate and its agency (docs/remote-signing.md, "Mẫu 06")."""
    device = control.credential.device
    certificate = Certificate.objects.on_device(device).first()
    signing_event_record(kind=kind, certificate=certificate, agency=device.agency, at=now)


def _lock(control: SoleControl, now, by, reason: str = "", **after) -> None:
    """Lock the credential (saved by the caller) and its device with it: the device page and
    the registers show it locked, and only a Mẫu 06 recovery reopens it."""
    control.state, control.locked_at = S.LOCKED, now
    device_lock_itself(device=control.credential.device, by=by)
    _to_monitor(control, SigningEventKind.REMOTE_LOCK, now)
    audit_record(
        actor=by,
        action="remote_credential.lock",
        obj=control.credential,
        before={"state": S.ACTIVE},
        after={"state": S.LOCKED, **after},
        reason=reason,
    )


# --- activation ---------------------------------------------------------------------------
def activation_code_issue(*, credential: RemoteCredential, by) -> str:
    """A new one-time activation code for the credential, shown once to the CA operator who
    hands it to the holder apart from anything else (as an enrolment code): the first, or one
    replacing a lost or expired one, or the one after a Mẫu 06 reopened a locked credential
    (`credential_reopen`). Any older code is withdrawn. Returns the code, never stored."""
    with transaction.atomic():
        control = _locked_control(credential)
        _check_move(control, "code_issue")
        before = {"state": control.state}
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = timezone.now()
        control.state = S.AWAITING_ACTIVATION
        control.code_digest = _keyed("activation", f"{control.pk}:{code}")
        control.code_expires_at = now + timedelta(hours=settings.REMOTE_SIGNING_CODE_HOURS)
        control.pin_hash = control.totp_key = ""
        control.totp_last_step = -1
        control.failed_pins = 0
        control.locked_at = None
        control.save()
        audit_record(
            actor=by,
            action="remote_credential.code_issue",
            obj=credential,
            before=before,
            after={"state": control.state, "expires_at": control.code_expires_at.isoformat()},
        )
    return "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def credential_activate(*, credential: RemoteCredential, code: str, pin: str, by) -> str:
    """The holder activates their credential with the CA's activation code and chooses a
    signing PIN; a new authenticator secret is made. Returns the secret (base32) for the
    holder's authenticator app, shown once."""
    try:
        with transaction.atomic():
            control = _locked_control(credential)
            rules.require_holder(_holder_id(control), by)
            _check_move(control, "activate")
            now = timezone.now()
            given = _keyed("activation", f"{control.pk}:{_normalised_code(code)}")
            if (
                not control.code_digest
                or not constant_time_compare(given, control.code_digest)
                or control.code_expires_at is None
                or now >= control.code_expires_at
            ):
                raise RemoteSigningRefused(
                    _("Mã kích hoạt không đúng hoặc đã hết hạn."), code="invalid_activation_code"
                )
            rules.require_pin_policy(pin)
            key = secrets.token_bytes(20)
            control.state = S.ACTIVE
            control.code_digest, control.code_expires_at = "", None
            control.pin_hash = _pin_digest(credential, pin)
            control.totp_key = key.hex()
            control.totp_last_step = -1
            control.failed_pins = 0
            control.activated_at = now
            control.save()
            audit_record(
                actor=by,
                action="remote_credential.activate",
                obj=credential,
                before={"state": S.AWAITING_ACTIVATION},
                after={"state": control.state},
            )
            device_activated(device=credential.device, by=by)  # in the holder's hands
    except RemoteSigningRefused as error:
        raise _refused(error, credential=credential, by=by) from None
    return base64.b32encode(key).decode("ascii")


def credential_lock(*, credential: RemoteCredential, by) -> None:
    """The holder locks their own active credential at once ("lock now": a phone lost, a PIN
    seen): nothing signs with it until a Mẫu 06 reopens it and the holder activates it again
    (also the way to a new PIN when the holder forgot theirs)."""
    try:
        with transaction.atomic():
            control = _locked_control(credential)
            rules.require_holder(_holder_id(control), by)
            _check_move(control, "lock")
            _lock(control, timezone.now(), by, reason=_("Người giữ khóa tự khóa"))
            control.save(update_fields=["state", "locked_at"])
    except RemoteSigningRefused as error:
        raise _refused(error, credential=credential, by=by) from None


def credential_reopen(*, device: Device, by, document_ref: str = "") -> SoleControl:
    """The CA's processing of a Mẫu 06 row for a remote credential (docs/remote-signing.md,
    "Mẫu 06"): the credential is reopened whatever its state (the row asks for a locked
    device; a clerk may have recorded it locked while its credential was active), its PIN and
    authenticator withdrawn; the CA then issues a new activation code and the holder activates
    again. Called by the letter's processing before the device's own move (`device_recover`),
    in its transaction. A destroyed credential (its certificate revoked) is refused."""
    credential = RemoteCredential.objects.filter(device=device).first()
    if credential is None:
        raise RemoteSigningRefused(
            _("Thiết bị này không có khóa ký số tập trung."), code="no_credential"
        )
    with transaction.atomic():
        control = _locked_control(credential)
        _check_move(control, "reopen")
        before = control.state
        control.state = S.AWAITING_ACTIVATION
        control.pin_hash = control.totp_key = control.code_digest = ""
        control.code_expires_at = None
        control.totp_last_step = -1
        control.failed_pins = 0
        control.locked_at = None
        control.save()
        _to_monitor(control, SigningEventKind.REMOTE_UNLOCK, timezone.now())
        audit_record(
            actor=by,
            action="remote_credential.reopen",
            obj=credential,
            before={"state": before},
            after={"state": control.state},
            reason=document_ref,
        )
    return control


# --- signing ------------------------------------------------------------------------------
def _totp_step(control: SoleControl, otp: str) -> int | None:
    """The time step of a good authenticator code, newer than the last one taken; None for a
    wrong, reused or malformed code."""
    if not isinstance(otp, str) or len(otp) != 6 or not otp.isdigit():
        return None
    totp = TOTP(bytes.fromhex(control.totp_key), step=TOTP_STEP)
    if not totp.verify(int(otp), tolerance=TOTP_TOLERANCE, min_t=control.totp_last_step + 1):
        return None
    return totp.t()  # the step matched: `verify` set the drift to it


def signature_authorize(
    *, credential: RemoteCredential, hashes, hash_algorithm: str, pin: str, otp: str, by
) -> str:
    """The holder's consent to sign exactly `hashes` (base64 digests of `hash_algorithm`, an
    OID) with their signing PIN and a fresh authenticator code: returns a token good once for
    REMOTE_SIGNING_AUTHORIZATION_SECONDS (the CSC API's SAD). A wrong PIN is counted and the
    REMOTE_SIGNING_MAX_PIN_TRIES-th in a row locks the credential; every refusal is audited."""
    details = {"hashes": len(hashes) if isinstance(hashes, list | tuple) else 0}
    failure = None
    try:
        rules.decoded_hashes(hashes, hash_algorithm)
        with transaction.atomic():
            control = _locked_control(credential)
            rules.require_holder(_holder_id(control), by)
            _check_move(control, "authorize")
            now = timezone.now()
            _valid_certificate(control, now)
            if not _pin_right(control, pin):
                control.failed_pins += 1
                failure = rules.wrong_pin(control.failed_pins)
                if failure.code == "locked":
                    _lock(control, now, by, failed_pins=control.failed_pins)
                control.save(update_fields=["failed_pins", "state", "locked_at"])
            else:
                step = _totp_step(control, otp)
                if step is None:
                    raise RemoteSigningRefused(
                        _("Mã xác thực không đúng hoặc đã dùng."), code="invalid_otp"
                    )
                token = secrets.token_urlsafe(32)
                SignatureAuthorization.objects.create(
                    control=control,
                    digest=_keyed("authorization", token),
                    hash_algorithm=hash_algorithm,
                    hashes=list(hashes),
                    created_at=now,
                    expires_at=now
                    + timedelta(seconds=settings.REMOTE_SIGNING_AUTHORIZATION_SECONDS),
                )
                control.failed_pins = 0
                control.totp_last_step = step
                control.save(update_fields=["failed_pins", "totp_last_step", "pin_hash"])
                audit_record(
                    actor=by,
                    action="remote_signature.authorize",
                    obj=credential,
                    after={**details, "hash_algorithm": hash_algorithm},
                )
                return token
    except RemoteSigningRefused as error:
        raise _refused(error, credential=credential, by=by, **details) from None
    raise _refused(failure, credential=credential, by=by, **details)


def hashes_sign(
    *, credential: RemoteCredential, token: str, hashes, hash_algorithm: str, by, monitor=True
) -> list[bytes]:
    """Sign `hashes` in the CA's HSM under the holder's authorisation `token`: they must be
    exactly the hashes it covers, it must be unused and unexpired, and the credential still
    its holder's, active, with a valid certificate. The authorisation is used up by the
    signature; returns the signatures in the order of `hashes`. Each signature reaches the
    signing monitor as a `remote` event, unless `monitor` is off (a portal document, whose
    own completion records it as signed at the portal)."""
    details = {"hashes": len(hashes) if isinstance(hashes, list | tuple) else 0}
    try:
        digests = rules.decoded_hashes(hashes, hash_algorithm)
        with transaction.atomic():
            control = _locked_control(credential)
            rules.require_holder(_holder_id(control), by)
            rules.require_signing_state(control.state)
            authorization = (
                SignatureAuthorization.objects.select_for_update()
                .filter(control=control, digest=_keyed("authorization", str(token)))
                .first()
            )
            if authorization is None:
                raise RemoteSigningRefused(
                    _("Xác nhận ký không hợp lệ."), code="invalid_authorization"
                )
            now = timezone.now()
            rules.require_usable_authorization(authorization.used_at, authorization.expires_at, now)
            rules.require_same_hashes(
                authorization.hashes, authorization.hash_algorithm, digests, hash_algorithm
            )
            certificate = _valid_certificate(control, now)
            try:
                signatures = get_backend().remote_hashes_sign(
                    credential_id=credential.credential_id,
                    public_key_der=bytes(credential.public_key_der),
                    digests=digests,
                    hash_name=rules.HASH_ALGORITHMS[hash_algorithm][0],
                )
            except CertificateError as error:
                raise RemoteSigningRefused(error.message, code=error.code) from error
            authorization.used_at = now
            authorization.signatures = {
                base64.b64encode(digest).decode("ascii"): base64.b64encode(sig).decode("ascii")
                for digest, sig in zip(digests, signatures, strict=True)
            }
            authorization.save(update_fields=["used_at", "signatures"])
            control.last_used_at = now
            control.save(update_fields=["last_used_at"])
            if monitor:
                signing_events_record_bulk(
                    events=[
                        {"kind": SigningEventKind.REMOTE, "certificate": certificate, "at": now}
                        for _signature in signatures
                    ]
                )
            audit_record(
                actor=by,
                action="remote_signature.sign",
                obj=credential,
                after={**details, "hash_algorithm": hash_algorithm},
            )
    except RemoteSigningRefused as error:
        raise _refused(error, credential=credential, by=by, **details) from None
    return signatures


# --- the portal's own documents -----------------------------------------------------------


def _desk_signing_open(desk_signing_id, by) -> DeskSigning:
    desk_signing = (
        DeskSigning.objects.select_related("certificate__device")
        .filter(pk=desk_signing_id, user=by)
        .first()
    )
    if desk_signing is None:
        raise RemoteSigningRefused(_("Không tìm thấy yêu cầu ký."), code="not_found")
    if not desk_open(desk_signing):
        raise RemoteSigningRefused(
            _("Yêu cầu ký này đã kết thúc hoặc hết hạn: hãy bấm Ký lại trên trang văn bản."),
            code="finished",
        )
    return desk_signing


def desk_mobile_ask(*, desk_signing_id, short_hash: str, by) -> str:
    """Ask the signer's SIM PKI, through the carrier's gateway, to sign the digest of the
    portal's desk signing request `desk_signing_id`; returns the gateway's MSSP_TransID. Asked
    again (the page reloaded), the gateway answers with the first request. The signature is
    read back by `desk_answer` and completed by the document's own service
    (docs/remote-signing.md, "SIM PKI")."""
    desk_signing = _desk_signing_open(desk_signing_id, by)
    device = desk_sim(desk_signing)
    if device is None:
        raise RemoteSigningRefused(
            _("Chứng thư dùng để ký văn bản này không ở trên SIM PKI."), code="not_sim"
        )
    answer = desk_mobile_send(desk_signing, device, short_hash)
    if status_code(answer) != 100:
        refusal = RemoteSigningRefused(
            answer["Status"].get("StatusDetail") or answer["Status"]["StatusMessage"],
            code=f"mss_{answer['Status']['StatusCode']['Value']}",
        )
        with transaction.atomic():
            audit_record(
                actor=by,
                action="mobile_signature.refused",
                obj=device,
                after={"code": refusal.code, "desk_signing": str(desk_signing.pk)},
                reason=refusal.message,
            )
        raise refusal
    return answer["MSSP_TransID"]


def desk_digest_sign(*, desk_signing_id, pin: str, otp: str, by) -> RemoteAnswer:
    """Sign the digest of the portal's desk signing request `desk_signing_id` (a letter at
    "Ký", a device document, a report) in the CA's HSM, authorised by its signer with the
    signing PIN and a fresh authenticator code for exactly that digest. The request itself is
    then completed by its document's own service, with the same checks as a token's answer
    (docs/remote-signing.md, "Signing in the portal")."""
    desk_signing = _desk_signing_open(desk_signing_id, by)
    credential = desk_credential(desk_signing)
    if credential is None:
        raise RemoteSigningRefused(
            _("Chứng thư dùng để ký văn bản này không phải chứng thư ký số tập trung."),
            code="not_remote",
        )
    if desk_answer(desk_signing) is not None:
        raise RemoteSigningRefused(
            _("Văn bản đã được ký: hãy quay lại trang văn bản."), code="already_signed"
        )
    hashes = [desk_digest_b64(desk_signing)]
    token = signature_authorize(
        credential=credential, hashes=hashes, hash_algorithm=rules.SHA256, pin=pin, otp=otp, by=by
    )
    [signature] = hashes_sign(
        credential=credential, token=token, hashes=hashes, hash_algorithm=rules.SHA256, by=by,
        monitor=False,
    )  # fmt: skip
    return RemoteAnswer(
        desk_signing_id=str(desk_signing.pk),
        signature=signature,
        certificate_der=bytes(desk_signing.certificate.der),
    )
