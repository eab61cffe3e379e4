"""The simulated CA's remote-signing slot (docs/remote-signing.md): the keys of the
subscribers' remote-signing credentials (device kind RSSP), in an HSM token of their own.

One token, labelled RSSP_HSM_TOKEN_LABEL, apart from the CA's own (its PINs are RSSP_HSM_PIN
and RSSP_HSM_SO_PIN), made by the key ceremony or on first use. Each credential's key pair is
generated inside it, sensitive and never extractable, its CKA_ID the credential id's 16 bytes
and its CKA_LABEL their hex; the slot signs the PKCS#10 request the CA certifies, and the key
objects are destroyed when the certificate is revoked. The slot also holds one secret key, made
with the slot, that keys the signing PINs' check (`remote_pin_mac`). The slot is reached through
one long-lived session per process (`portal.lib.pkcs11.shared_session`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from contextlib import suppress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from django.conf import settings
from django.utils.translation import gettext as _

from certificates.backends.base import RemoteKey
from certificates.backends.ca_keys import secret, token_labelled
from certificates.exceptions import CertificateError
from portal.lib import pkcs11

# Used only where CA_ALLOW_DEV_PASSPHRASE is on (DEBUG, the demo): never in production.
DEV_RSSP_HSM_PIN = "DEV-ONLY-rssp-hsm-user-pin"
DEV_RSSP_HSM_SO_PIN = "DEV-ONLY-rssp-hsm-so-pin"
CREDENTIAL_ID_BYTES = 16
# The CKA_ID of the slot's one secret key (HMAC-SHA256), which keys the signing PINs' check;
# 22 bytes, so it is never a credential's 16.
PIN_KEY_ID = b"remote-signing-pin-mac"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def slot_pin() -> str:
    return secret("RSSP_HSM_PIN", DEV_RSSP_HSM_PIN)


def slot_serial() -> str:
    """The remote-signing slot: the token labelled RSSP_HSM_TOKEN_LABEL, made on first use
    with its PIN key."""
    return token_labelled(
        settings.RSSP_HSM_TOKEN_LABEL,
        so_pin=lambda: secret("RSSP_HSM_SO_PIN", DEV_RSSP_HSM_SO_PIN),
        user_pin=slot_pin,
        made=_pin_key_generate,
    )


def _pin_key_generate(serial: str) -> None:
    pkcs11.mac_key_generate(
        pkcs11.shared_session(serial, user_pin=slot_pin()), key_id=PIN_KEY_ID, label="pin-mac"
    )


def _unavailable(error: pkcs11.TokenError) -> CertificateError:
    return CertificateError(
        _("Không dùng được HSM ký số tập trung (%(code)s): kiểm tra token và mã PIN của nó.")
        % {"code": error.code},
        code="remote_slot_unavailable",
    )


def remote_keys_generate(*, subjects: Sequence[x509.Name], algorithm: str) -> list[RemoteKey]:
    """A key pair per subject generated in the slot, each with its PKCS#10 request signed in
    the slot. A failure destroys the pairs made so far: nothing is left half done."""
    made: list[bytes] = []
    keys = []
    try:
        serial = slot_serial()
        pin = slot_pin()
        for subject in subjects:
            key_id = secrets.token_bytes(CREDENTIAL_ID_BYTES)
            public_der = pkcs11.keypair_generate(
                pkcs11.shared_session(serial, user_pin=pin),
                key_id=key_id,
                label=key_id.hex(),
                algorithm=algorithm,
            )
            made.append(key_id)
            key = pkcs11.slot_signing_key(
                serial, user_pin=pin, key_id=key_id, public_der=public_der
            )
            request = x509.CertificateSigningRequestBuilder().subject_name(subject)
            keys.append(
                RemoteKey(
                    credential_id=key_id.hex(),
                    public_key_der=public_der,
                    csr_der=request.sign(key, hashes.SHA256()).public_bytes(
                        serialization.Encoding.DER
                    ),
                )
            )
    except pkcs11.TokenError as error:
        with suppress(CertificateError):
            remote_keys_destroy(credential_ids=[key_id.hex() for key_id in made])
        raise _unavailable(error) from error
    return keys


def remote_hashes_sign(
    *, credential_id: str, public_key_der: bytes, digests: Sequence[bytes], hash_name: str
) -> list[bytes]:
    """Each digest signed in the slot with the credential's key (PKCS#1 v1.5 for RSA, DER ECDSA
    for EC); a key the slot no longer holds (a revoked credential) is refused."""
    algorithm = Prehashed(_HASHES[hash_name]())
    try:
        key = pkcs11.slot_signing_key(
            slot_serial(),
            user_pin=slot_pin(),
            key_id=bytes.fromhex(credential_id),
            public_der=public_key_der,
        )
        if isinstance(key, rsa.RSAPrivateKey):
            return [key.sign(digest, padding.PKCS1v15(), algorithm) for digest in digests]
        return [key.sign(digest, ec.ECDSA(algorithm)) for digest in digests]
    except pkcs11.TokenError as error:
        if error.code == "key_missing":
            raise CertificateError(
                _("Khóa ký số không còn trong HSM (chứng thư đã bị thu hồi?)."), code="key_missing"
            ) from error
        raise _unavailable(error) from error


def remote_key_ids() -> list[str]:
    """The credential ids (hex) of every private key in the slot."""
    try:
        session = pkcs11.shared_session(slot_serial(), user_pin=slot_pin())
        return [key_id.hex() for key_id in pkcs11.key_ids(session)]
    except pkcs11.TokenError as error:
        raise _unavailable(error) from error


def remote_pin_mac(*, data: bytes) -> bytes:
    """HMAC-SHA256 of `data` keyed by the slot's PIN key, which never leaves the HSM: the
    signing PIN's check (docs/remote-signing.md, "Sole control"). A slot made before the
    key existed gets it on first use."""
    try:
        serial = slot_serial()
        try:
            return pkcs11.slot_mac(serial, user_pin=slot_pin(), key_id=PIN_KEY_ID, data=data)
        except pkcs11.TokenError as error:
            if error.code != "key_missing":
                raise
        with pkcs11.store_lock():  # looked for again and made by one process at a time
            try:
                return pkcs11.slot_mac(serial, user_pin=slot_pin(), key_id=PIN_KEY_ID, data=data)
            except pkcs11.TokenError as error:
                if error.code != "key_missing":
                    raise
            _pin_key_generate(serial)
        return pkcs11.slot_mac(serial, user_pin=slot_pin(), key_id=PIN_KEY_ID, data=data)
    except pkcs11.TokenError as error:
        raise _unavailable(error) from error


def remote_pin_key_flags() -> dict[str, bool] | None:
    """What the slot reports of its PIN key, for a security review; None without one."""
    try:
        session = pkcs11.shared_session(slot_serial(), user_pin=slot_pin())
        return pkcs11.key_flags(pkcs11.mac_key(session, PIN_KEY_ID))
    except pkcs11.TokenError as error:
        if error.code == "key_missing":
            return None
        raise _unavailable(error) from error


def remote_keys_destroy(*, credential_ids: Sequence[str]) -> int:
    """Destroy the key objects of the credentials (private key, public key, certificates);
    returns how many objects went (a credential already destroyed counts none)."""
    if not credential_ids:
        return 0
    try:
        session = pkcs11.shared_session(slot_serial(), user_pin=slot_pin())
        return sum(
            pkcs11.keypair_destroy(session, key_id=bytes.fromhex(credential_id))
            for credential_id in credential_ids
        )
    except pkcs11.TokenError as error:
        raise _unavailable(error) from error


def remote_key_flags(*, credential_id: str) -> dict[str, bool] | None:
    """What the slot reports of a credential's private key (extractable, sensitive, …), for a
    security review; None when the slot holds no such key."""
    try:
        session = pkcs11.shared_session(slot_serial(), user_pin=slot_pin())
        return pkcs11.private_key_flags(session, key_id=bytes.fromhex(credential_id))
    except pkcs11.TokenError as error:
        if error.code == "key_missing":
            return None
        raise _unavailable(error) from error
