"""The simulated carrier's mobile-signature gateway for SIM PKI (docs/remote-signing.md,
"SIM PKI"): an application provider (the portal) asks a SIM, by its phone number, to sign a
hash; the holder's phone shows the text sent with it and the hash, the holder types the SIM's
PIN, and the SIM signs. Messages in and out are ETSI TS 102 204's MSS_SignatureReq/Resp and
MSS_StatusReq/Resp in a JSON binding (asynchronous client-server mode: the provider asks, then
asks for the status until the answer is there). The SIM is the device's PKCS#11 token
(SoftHSM2 in the demo and the tests), its PIN the token's user PIN handed over with the SIM.

Each decision is taken on the locked rows of the SIM and the request, inside the transaction
that changes them; a refusal is audited (`mobile_signature.refused`) on its own, after the
transaction that counted a wrong PIN (and may have blocked the SIM) has committed.
"""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from devices.choices import DeviceKind, TokenState
from devices.models import Device, DeviceToken
from devices.services import device_lock_itself
from portal.audit import audit_record
from portal.field_crypto import blind_index
from portal.lib import pkcs11
from remote_signing import rules
from remote_signing.choices import MobileState
from remote_signing.models import MobileSignature, SimCard
from remote_signing.rules import RemoteSigningRefused

M = MobileState
MSSP_URI = "http://mss.simulated-carrier.vn"
PKCS1 = "http://uri.etsi.org/TS102204/v1.1.2#PKCS1"
# The signature profile names the hash algorithm of DataToBeSigned by its OID.
PROFILE_PREFIX = "urn:oid:"
DISPLAY_LENGTH = 255
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

# ETSI TS 102 204's status codes the gateway answers with.
STATUS = {
    100: "REQUEST_OK",
    101: "WRONG_PARAM",
    102: "MISSING_PARAM",
    104: "UNAUTHORIZED_ACCESS",
    105: "UNKNOWN_CLIENT",
    109: "UNSUPPORTED_PROFILE",
    208: "EXPIRED_TRANSACTION",
    401: "USER_CANCEL",
    402: "PIN_BLOCKED",
    404: "NO_KEY_FOUND",
    500: "SIGNATURE",
    504: "OUTSTANDING_TRANSACTION",
}
STATE_STATUS = {
    M.OUTSTANDING: 504,
    M.SIGNED: 500,
    M.CANCELLED: 401,
    M.EXPIRED: 208,
    M.PIN_BLOCKED: 402,
}


class Fault(Exception):
    """A request the gateway answers with an error status (and a Vietnamese detail)."""

    def __init__(self, code: int, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def _status(code: int, detail: str = "") -> dict:
    status = {"StatusCode": {"Value": str(code)}, "StatusMessage": STATUS[code]}
    if detail:
        status["StatusDetail"] = detail
    return status


def _part(message, name: str) -> dict:
    part = message.get(name) if isinstance(message, dict) else None
    if not isinstance(part, dict):
        raise Fault(102, _("Thiếu phần “%(name)s” của thông điệp.") % {"name": name})
    return part


def _text(part: dict, name: str, longest: int) -> str:
    value = part.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Fault(102, _("Thiếu “%(name)s”.") % {"name": name})
    if len(value) > longest:
        raise Fault(101, _("“%(name)s” quá dài.") % {"name": name})
    if "\x00" in value:
        raise Fault(101, _("“%(name)s” có ký tự không hợp lệ.") % {"name": name})
    return value.strip()


def _msisdn(value) -> str:
    """A Vietnamese mobile number as the registry keeps it (0 and 9 digits); +84… accepted."""
    number = str(value or "").replace(" ", "")
    if number.startswith("+84"):
        number = "0" + number[3:]
    elif number.startswith("84") and len(number) == 11:
        number = "0" + number[2:]
    if len(number) != 10 or not number.isdigit() or not number.startswith("0"):
        raise Fault(101, _("Số điện thoại (MSISDN) không hợp lệ."))
    return number


def _algorithm(request: dict) -> str:
    profile = request.get("SignatureProfile")
    uri = profile.get("mssURI") if isinstance(profile, dict) else profile
    oid = str(uri or "").removeprefix(PROFILE_PREFIX)
    if not str(uri or "").startswith(PROFILE_PREFIX) or oid not in rules.HASH_ALGORITHMS:
        raise Fault(109, _("Hồ sơ chữ ký không được hỗ trợ: chỉ băm SHA-256, -384 hoặc -512."))
    mss_format = request.get("MSS_Format")
    uri = mss_format.get("mssURI") if isinstance(mss_format, dict) else mss_format
    if uri not in (None, PKCS1):
        raise Fault(109, _("Chỉ hỗ trợ định dạng chữ ký PKCS#1."))
    return oid


def _digest(request: dict, algorithm: str) -> str:
    data = _part(request, "DataToBeSigned")
    if str(data.get("Encoding", "")).lower() != "base64":
        raise Fault(101, _("Dữ liệu cần ký phải mã hóa base64."))
    try:
        rules.decoded_hashes([data.get("Data")], algorithm)
    except RemoteSigningRefused as refused:
        raise Fault(101, refused.message) from refused
    return data["Data"]


def _sim(number: str) -> Device:
    """The SIM with this number whose key is on it. A number moved to a new SIM leaves the old
    one's token wiped or retired; two SIMs with keys on one number are refused, not guessed."""
    found = Device.objects.filter(kind=DeviceKind.SIM_PKI, phone_index=blind_index(number))
    if not found.exists():
        raise Fault(105, _("Số điện thoại này không có SIM ký số."))
    keyed = list(found.filter(token__state=TokenState.PERSONALISED)[:2])
    if not keyed:
        raise Fault(404, _("SIM này chưa có khóa ký số."))
    if len(keyed) > 1:
        raise Fault(101, _("Số điện thoại này có hơn một SIM ký số: đề nghị nhà mạng kiểm tra."))
    return keyed[0]


def _locked_card(device: Device) -> SimCard:
    SimCard.objects.get_or_create(device=device)
    return SimCard.objects.select_for_update().get(device=device)


def _blocked(card: SimCard) -> bool:
    """Whether the SIM's PIN is blocked, on the locked row. The count and the block are about
    one PIN: a new one set since (the recovery of a locked device, Mẫu 06: the CA's security
    officer sets it, sealed for the handover) starts them again."""
    pin_set_at = (
        DeviceToken.objects.filter(device_id=card.device_id)
        .values_list("pin_set_at", flat=True)
        .first()
    )
    if card.pin_set_at != pin_set_at:
        card.pin_set_at, card.failed_pins, card.blocked_at = pin_set_at, 0, None
        card.save(update_fields=["pin_set_at", "failed_pins", "blocked_at"])
    return card.blocked_at is not None


def mss_signature(message: dict, *, ap_id: str) -> dict:
    """MSS_SignatureReq → MSS_SignatureResp: the request kept for the holder's phone
    (status 100 and its MSSP_TransID) or the reason it is not. `ap_id` is the provider the
    transport authenticated. The same AP_TransID asked again with the same hash is answered
    with the first request (a retry), with another hash refused."""
    request = message.get("MSS_SignatureReq") if isinstance(message, dict) else None
    answer = {
        "MajorVersion": "1",
        "MinorVersion": "1",
        "AP_Info": request.get("AP_Info") if isinstance(request, dict) else None,
        "MSSP_Info": {"MSSP_ID": {"URI": MSSP_URI}, "Instant": timezone.now().isoformat()},
    }
    try:
        request = _part(message, "MSS_SignatureReq")
        ap_info = _part(request, "AP_Info")
        if ap_info.get("AP_ID") != ap_id:
            raise Fault(104, _("Nhà cung cấp ứng dụng không được phép gửi yêu cầu này."))
        trans_id = _text(ap_info, "AP_TransID", 64)
        number = _msisdn(_part(request, "MobileUser").get("MSISDN"))
        algorithm = _algorithm(request)
        digest = _digest(request, algorithm)
        display = _text(_part(request, "DataToBeDisplayed"), "Data", DISPLAY_LENGTH)
        found = _signature_kept(ap_id, trans_id, number, algorithm, digest, display)
    except Fault as fault:
        with transaction.atomic():
            audit_record(
                actor=None,
                action="mobile_signature.refused",
                after={"status": fault.code, "ap_id": str(ap_id)[:128]},
                reason=fault.detail,
            )
        return {"MSS_SignatureResp": {**answer, "Status": _status(fault.code, fault.detail)}}
    return {
        "MSS_SignatureResp": {
            **answer,
            "MSSP_TransID": str(found.pk),
            "MobileUser": {"MSISDN": number},
            "Status": _status(100),
        }
    }


def _earlier(ap_id, trans_id, algorithm, digest) -> MobileSignature | None:
    """The request already made under this AP_TransID, if any; one made for another hash is
    a fault, not an answer."""
    earlier = MobileSignature.objects.filter(ap_id=ap_id, ap_trans_id=trans_id).first()
    if earlier is not None and (earlier.digest != digest or earlier.hash_algorithm != algorithm):
        raise Fault(101, _("Mã giao dịch (AP_TransID) này đã dùng cho một mã băm khác."))
    return earlier


def _signature_kept(ap_id, trans_id, number, algorithm, digest, display) -> MobileSignature:
    earlier = _earlier(ap_id, trans_id, algorithm, digest)
    if earlier is not None:
        return earlier
    device = _sim(number)
    now = timezone.now()
    try:
        with transaction.atomic():
            card = _locked_card(device)
            if _blocked(card):
                raise Fault(402, _("SIM đã bị khóa mã PIN: đề nghị mở khóa (Mẫu 06)."))
            kept = MobileSignature.objects.create(
                sim=card, ap_id=ap_id, ap_trans_id=trans_id, hash_algorithm=algorithm,
                digest=digest, display=display, created_at=now,
                expires_at=now + timedelta(seconds=settings.REMOTE_SIGNING_SIM_SECONDS),
            )  # fmt: skip
            audit_record(
                actor=None,
                action="mobile_signature.request",
                obj=device,
                after={"transaction": str(kept.pk), "ap_trans_id": trans_id},
            )
            return kept
    except IntegrityError:  # the same transaction asked twice at once: the first is kept
        return _earlier(ap_id, trans_id, algorithm, digest)


def sent_for(ap_id: str, ap_trans_id: str) -> str | None:
    """The MSSP_TransID the gateway gave the provider's transaction, None if never asked: a
    provider that lost it (a page reloaded) finds it again by its own AP_TransID."""
    found = (
        MobileSignature.objects.filter(ap_id=ap_id, ap_trans_id=ap_trans_id)
        .values_list("pk", flat=True)
        .first()
    )
    return str(found) if found is not None else None


def mss_status(message: dict, *, ap_id: str) -> dict:
    """MSS_StatusReq → MSS_StatusResp: 504 while the phone has not answered, 500 with the
    signature, 401 refused by the holder, 402 the SIM's PIN blocked, 208 expired."""
    answer = {
        "MajorVersion": "1",
        "MinorVersion": "1",
        "MSSP_Info": {"MSSP_ID": {"URI": MSSP_URI}, "Instant": timezone.now().isoformat()},
    }
    try:
        request = _part(message, "MSS_StatusReq")
        answer["AP_Info"] = request.get("AP_Info")
        try:
            trans_id = uuid.UUID(str(request.get("MSSP_TransID")))
        except ValueError:
            raise Fault(101, _("Mã giao dịch (MSSP_TransID) không hợp lệ.")) from None
        found = MobileSignature.objects.filter(pk=trans_id, ap_id=ap_id).first()
        if found is None:
            raise Fault(101, _("Không có giao dịch này."))
    except Fault as fault:
        return {"MSS_StatusResp": {**answer, "Status": _status(fault.code, fault.detail)}}
    state = found.state
    if state == M.OUTSTANDING and found.expires_at <= timezone.now():
        state = M.EXPIRED
    answer["MSSP_TransID"] = str(found.pk)
    answer["Status"] = _status(STATE_STATUS[state])
    if state == M.SIGNED:
        answer["MSS_Signature"] = {"Base64Signature": found.signature}
    return {"MSS_StatusResp": answer}


# --- the holder's phone ------------------------------------------------------------------------
def _refused(error: RemoteSigningRefused, *, device, by, **details) -> RemoteSigningRefused:
    with transaction.atomic():
        audit_record(
            actor=by,
            action="mobile_signature.refused",
            obj=device,
            after={"code": error.code, **details},
            reason=error.message,
        )
    return error


def _locked_request(transaction_id, by) -> tuple[MobileSignature, SimCard]:
    found = (
        MobileSignature.objects.select_for_update(of=("self",))
        .select_related("sim__device__holder")
        .filter(pk=transaction_id)
        .first()
    )
    if found is None:
        raise RemoteSigningRefused(_("Không có yêu cầu ký này."), code="unknown_request")
    holder = found.sim.device.holder
    rules.require_holder(holder.user_id if holder is not None else None, by)
    card = SimCard.objects.select_for_update().get(pk=found.sim_id)
    if found.state != M.OUTSTANDING:
        raise RemoteSigningRefused(_("Yêu cầu ký này đã được trả lời."), code="answered")
    return found, card


def _expired(found: MobileSignature, now) -> bool:
    if found.expires_at > now:
        return False
    found.state, found.answered_at = M.EXPIRED, now
    found.save(update_fields=["state", "answered_at"])
    return True


def _sim_signs(device: Device, pin: str, digest: bytes, hash_name: str) -> bytes:
    """The SIM's signature of the digest, with the PIN typed on the phone: PKCS#1 v1.5 for
    RSA, DER ECDSA for EC. A wrong PIN raises `pkcs11.TokenError` pin_incorrect."""
    token = DeviceToken.objects.filter(device=device, state=TokenState.PERSONALISED).first()
    if token is None:
        raise pkcs11.TokenError("key_missing", "the SIM's token is no longer personalised")
    public = serialization.load_der_public_key(bytes(token.public_key_der))
    algorithm = Prehashed(_HASHES[hash_name]())
    with pkcs11.session(token.serial, user_pin=pin) as session:
        key = pkcs11.signing_key(
            session, key_id=token.key_id_bytes, public_der=bytes(token.public_key_der)
        )
        if isinstance(public, ec.EllipticCurvePublicKey):
            return key.sign(digest, ec.ECDSA(algorithm))
        return key.sign(digest, padding.PKCS1v15(), algorithm)


def _answer(transaction_id, by, act, expired: str) -> None:
    """The frame of every answer on the phone: the request and its SIM locked, an expired
    request closed (committed) and refused, `act(found, card, now)` otherwise; its refusal, or
    the one it returns to be raised after its changes are committed, is audited."""
    failure = None
    device = None
    try:
        with transaction.atomic():
            found, card = _locked_request(transaction_id, by)
            device = card.device
            now = timezone.now()
            if _expired(found, now):
                failure = RemoteSigningRefused(expired, code="expired")
            else:
                failure = act(found, card, now)
    except RemoteSigningRefused as error:
        raise _refused(error, device=device, by=by, transaction=str(transaction_id)) from None
    if failure is not None:
        raise _refused(failure, device=device, by=by, transaction=str(transaction_id))


def sim_sign(*, transaction_id, pin: str, by) -> None:
    """The holder signs on the phone: the SIM signs the request's hash with the PIN typed. A
    wrong PIN is counted on the SIM; the REMOTE_SIGNING_SIM_PIN_TRIES-th in a row blocks it
    (the request then answers 402)."""

    def act(found: MobileSignature, card: SimCard, now) -> RemoteSigningRefused | None:
        if _blocked(card):
            raise RemoteSigningRefused(
                _("SIM đã bị khóa mã PIN: đề nghị mở khóa (Mẫu 06)."), code="pin_blocked"
            )
        try:
            signature = _sim_signs(
                card.device, str(pin), base64.b64decode(found.digest),
                rules.HASH_ALGORITHMS[found.hash_algorithm][0],
            )  # fmt: skip
        except pkcs11.TokenError as error:
            if error.code != "pin_incorrect":
                raise RemoteSigningRefused(
                    _("SIM không ký được (%(code)s).") % {"code": error.code}, code="sim_failed"
                ) from error
            return _wrong_pin(found, card, now, by)
        found.state, found.answered_at = M.SIGNED, now
        found.signature = base64.b64encode(signature).decode("ascii")
        found.save(update_fields=["state", "answered_at", "signature"])
        card.failed_pins = 0
        card.save(update_fields=["failed_pins"])
        audit_record(
            actor=by,
            action="mobile_signature.sign",
            obj=card.device,
            after={"transaction": str(found.pk), "ap_trans_id": found.ap_trans_id},
        )
        return None

    _answer(transaction_id, by, act, _("Yêu cầu ký đã hết hạn: hãy bấm Ký lại trên trang văn bản."))


def _wrong_pin(found: MobileSignature, card: SimCard, now, by) -> RemoteSigningRefused:
    card.failed_pins += 1
    left = settings.REMOTE_SIGNING_SIM_PIN_TRIES - card.failed_pins
    if left > 0:
        card.save(update_fields=["failed_pins"])
        return RemoteSigningRefused(
            _("Mã PIN của SIM không đúng. Còn %(left)s lần thử trước khi SIM bị khóa.")
            % {"left": left},
            code="invalid_pin",
        )
    card.blocked_at = now
    card.save(update_fields=["failed_pins", "blocked_at"])
    device_lock_itself(device=card.device, by=by, note=_("SIM bị khóa mã PIN tại cổng ký số"))
    found.state, found.answered_at = M.PIN_BLOCKED, now
    found.save(update_fields=["state", "answered_at"])
    audit_record(
        actor=by,
        action="sim.pin_block",
        obj=card.device,
        after={"failed_pins": card.failed_pins},
    )
    return RemoteSigningRefused(
        _("Mã PIN của SIM không đúng. SIM đã bị khóa mã PIN: đề nghị mở khóa (Mẫu 06)."),
        code="pin_blocked",
    )


def sim_cancel(*, transaction_id, by) -> None:
    """The holder refuses the request on the phone (the provider hears 401 USER_CANCEL)."""

    def act(found: MobileSignature, card: SimCard, now) -> None:
        found.state, found.answered_at = M.CANCELLED, now
        found.save(update_fields=["state", "answered_at"])
        audit_record(
            actor=by,
            action="mobile_signature.cancel",
            obj=card.device,
            after={"transaction": str(found.pk), "ap_trans_id": found.ap_trans_id},
        )

    _answer(transaction_id, by, act, _("Yêu cầu ký đã hết hạn."))
