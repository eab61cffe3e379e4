"""The PKCS#11 side: which tokens are present, which certificates they hold, and signing a
digest with the private key that belongs to one of those certificates.

Every call into the module goes through one lock: the client serves one official, and a
PKCS#11 module is simplest to reason about one call at a time. Nothing here keeps the PIN
beyond the call that uses it, and nothing reads a private key's value (the keys are sensitive
and non-extractable; only their public parts are compared).
"""

import hashlib
import threading
from dataclasses import dataclass

import pkcs11
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as pkcs11_errors

# DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1): CKM_RSA_PKCS signs
# DigestInfo(sha256, digest), which is RSASSA-PKCS1-v1_5 over the already hashed data.
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


class TokenError(Exception):
    """A signing attempt that did not produce a signature. `code` is the protocol's error
    code, `message_key` the key of its Vietnamese text, `retries_left` what the token says
    about the PIN counter (None when it says nothing countable)."""

    def __init__(
        self,
        code: str,
        *,
        message_key: str | None = None,
        retries_left: int | None = None,
        count_low: bool = False,
    ):
        super().__init__(code)
        self.code = code
        self.message_key = message_key or code
        self.retries_left = retries_left
        self.count_low = count_low


@dataclass(frozen=True)
class TokenInfo:
    label: str
    serial: str


@dataclass(frozen=True)
class TokenCertificate:
    token_label: str
    token_serial: str
    der: bytes
    key_id: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def holder(self) -> "Holder":
        """Who the certificate names, in words (`Holder.of`)."""
        return Holder.of(self.der)


@dataclass(frozen=True)
class Holder:
    """A certificate subject as a person reads it: the name (CN), the position (title, when
    the subject carries one) and the agency (its units from the lowest up, then O), never
    the raw distinguished name."""

    name: str
    position: str
    agency: str

    @classmethod
    def of(cls, der: bytes) -> "Holder":
        try:
            subject = x509.load_der_x509_certificate(der).subject
        except ValueError:
            return cls(name="", position="", agency="")

        def values(oid) -> list[str]:
            return [str(a.value).strip() for a in subject.get_attributes_for_oid(oid) if a.value]

        units = values(NameOID.ORGANIZATIONAL_UNIT_NAME)
        return cls(
            name=", ".join(values(NameOID.COMMON_NAME)),
            position=", ".join(values(NameOID.TITLE)),
            agency=", ".join([*reversed(units), *values(NameOID.ORGANIZATION_NAME)]),
        )


def retries_from_flags(flags: int) -> tuple[int | None, bool]:
    """What a token's flags say about the user PIN counter (PKCS#11 CK_TOKEN_INFO flags):
    locked → 0 tries left, final try → 1; "count low" says only that a wrong PIN was entered
    (no number). Returns (retries_left or None, count_low)."""
    if flags & TokenFlag.USER_PIN_LOCKED:
        return 0, False
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return 1, False
    return None, bool(flags & TokenFlag.USER_PIN_COUNT_LOW)


def error_for_login_failure(exc: Exception, flags: int) -> TokenError:
    """Map a failed C_Login (and the token's flags read right after it) to the protocol's
    error: the one place that decides what the official is told."""
    retries_left, count_low = retries_from_flags(flags)
    if isinstance(exc, pkcs11_errors.PinLocked) or retries_left == 0:
        return TokenError("pin_locked", retries_left=0)
    if isinstance(
        exc, pkcs11_errors.PinIncorrect | pkcs11_errors.PinInvalid | pkcs11_errors.PinLenRange
    ):
        return TokenError("pin_incorrect", retries_left=retries_left, count_low=count_low)
    if isinstance(exc, pkcs11_errors.UserPinNotInitialized):
        return TokenError("failed", message_key="pin_not_initialized")
    if isinstance(exc, pkcs11_errors.PinExpired):
        return TokenError("failed", message_key="pin_expired")
    if isinstance(
        exc,
        pkcs11_errors.TokenNotPresent
        | pkcs11_errors.TokenNotRecognised
        | pkcs11_errors.DeviceRemoved
        | pkcs11_errors.SlotIDInvalid,
    ):
        return TokenError("token_missing")
    return TokenError("failed")


def _serial(token) -> str:
    return token.serial.decode("ascii", "replace").strip()


def _attribute(obj, attribute, default=None):
    try:
        return obj[attribute]
    except (pkcs11_errors.AttributeTypeInvalid, pkcs11_errors.AttributeSensitive):
        return default


class Tokens:
    """The tokens reachable through one PKCS#11 module (optionally only those with a label),
    but for those whose label is in `exclude_labels` (tokens on the same module that are not
    the signer's own: a demo's CA slot and system seal)."""

    def __init__(
        self,
        module_path: str,
        *,
        token_label: str | None = None,
        exclude_labels: frozenset[str] = frozenset(),
    ):
        self._lib = pkcs11.lib(module_path)
        self._label = token_label
        self._excluded = frozenset(exclude_labels)
        self._lock = threading.Lock()

    def _present(self):
        tokens = []
        for slot in self._lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except pkcs11_errors.PKCS11Error:
                # Pulled out (a real token) or deleted (SoftHSM2 answers CKR_GENERAL_ERROR)
                # since the module listed the slot: not present.
                continue
            if not token.flags & TokenFlag.TOKEN_INITIALIZED:
                continue  # an empty slot (SoftHSM2 always offers one)
            if token.label in self._excluded:
                continue
            if self._label is None or token.label == self._label:
                tokens.append(token)
        return tokens

    def _by_serial(self, serial: str):
        for token in self._present():
            if _serial(token) == serial:
                return token
        raise TokenError("token_missing")

    def present(self) -> list[TokenInfo]:
        with self._lock:
            return [TokenInfo(label=t.label, serial=_serial(t)) for t in self._present()]

    def certificates(self) -> list[TokenCertificate]:
        """Every X.509 certificate object on every present token (public objects: no PIN)."""
        found = []
        with self._lock:
            for token in self._present():
                try:
                    with token.open() as session:
                        for obj in session.get_objects(
                            {
                                Attribute.CLASS: ObjectClass.CERTIFICATE,
                                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                            }
                        ):
                            found.append(
                                TokenCertificate(
                                    token_label=token.label,
                                    token_serial=_serial(token),
                                    der=bytes(obj[Attribute.VALUE]),
                                    key_id=bytes(_attribute(obj, Attribute.ID, b"") or b""),
                                )
                            )
                except pkcs11_errors.PKCS11Error:
                    # A token pulled out while being read is simply not listed.
                    continue
        return found

    def find_certificate(self, sha256_hex: str) -> TokenCertificate | None:
        for certificate in self.certificates():
            if certificate.sha256 == sha256_hex:
                return certificate
        return None

    def sign(self, certificate: TokenCertificate, digest: bytes, pin: str) -> bytes:
        """Sign a SHA-256 digest with the key of `certificate` on its token, check the signature
        with the certificate's public key, and return it (RSA: PKCS#1 v1.5; EC: DER (r, s))."""
        cert = x509.load_der_x509_certificate(certificate.der)
        public_key = cert.public_key()
        with self._lock:
            token = self._by_serial(certificate.token_serial)
            if token.flags & TokenFlag.USER_PIN_LOCKED:
                raise TokenError("pin_locked", retries_left=0)
            try:
                session = token.open(user_pin=pin)
            except pkcs11_errors.PKCS11Error as exc:
                flags = self._flags_after_failure(certificate.token_serial)
                # python-pkcs11 leaves the session of a failed C_Login open; a token has few
                # sessions to give, so finalize and initialise the module again (closing all).
                self._lib.reinitialize()
                raise error_for_login_failure(exc, flags) from None
            try:
                with session:
                    key = _private_key(session, certificate.key_id, public_key)
                    signature = _sign_with(key, public_key, digest)
            except TokenError:
                raise
            except pkcs11_errors.PKCS11Error as exc:
                raise error_for_login_failure(exc, 0) from None
        _verify(public_key, signature, digest)
        return signature

    def _flags_after_failure(self, serial: str) -> int:
        # The token object caches the flags it was read with: ask the slot again.
        try:
            return int(self._by_serial(serial).flags)
        except TokenError:
            return 0


def _private_key(session, key_id: bytes, public_key):
    """The private key sharing the certificate's CKA_ID and public key; failing that, any
    private key on the token whose public part matches the certificate's."""
    # A session runs one object search at a time (C_FindObjects): finish each search before
    # _matches starts its own.
    if key_id:
        template = {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id}
        for key in list(session.get_objects(template)):
            if _matches(session, key, public_key):
                return key
    for key in list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})):
        if _matches(session, key, public_key):
            return key
    raise TokenError("failed", message_key="key_missing")


def _matches(session, key, public_key) -> bool:
    if isinstance(public_key, rsa.RSAPublicKey):
        if key.key_type != KeyType.RSA:
            return False
        modulus = _attribute(key, Attribute.MODULUS)
        return (
            modulus is not None and int.from_bytes(modulus, "big") == public_key.public_numbers().n
        )
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if key.key_type != KeyType.EC:
            return False
        # An EC private key object holds no public point: find the public key object with the
        # same CKA_ID and compare its point with the certificate's.
        key_id = _attribute(key, Attribute.ID, b"")
        if not key_id:
            return False
        from_cert = public_key.public_bytes(
            encoding=serialization.Encoding.X962,
            format=serialization.PublicFormat.UncompressedPoint,
        )
        for pub in list(
            session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: key_id})
        ):
            point = _attribute(pub, Attribute.EC_POINT, b"") or b""
            # CKA_EC_POINT is a DER OCTET STRING around the point (some modules omit the wrapper).
            if point == from_cert or point.endswith(from_cert) and len(point) - len(from_cert) <= 3:
                return True
        return False
    return False


def _sign_with(key, public_key, digest: bytes) -> bytes:
    if isinstance(public_key, rsa.RSAPublicKey):
        return key.sign(SHA256_DIGEST_INFO_PREFIX + digest, mechanism=Mechanism.RSA_PKCS)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        raw = key.sign(digest, mechanism=Mechanism.ECDSA)
        half = len(raw) // 2
        return utils.encode_dss_signature(
            int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        )
    raise TokenError("failed")


def _verify(public_key, signature: bytes, digest: bytes) -> None:
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            public_key.verify(signature, digest, ec.ECDSA(prehashed))
    except InvalidSignature:
        raise TokenError("failed") from None
