"""PKCS#11 tokens: the key-storage devices and the CA's HSM slot (docs/ca.md, "Keys on tokens").

Private keys are generated inside a token, marked sensitive and not extractable, and used only
through the token: `signing_key` gives a key object that the `cryptography` builders accept
(certificate requests, certificates, CRLs, OCSP responses) and that signs with C_Sign.

The module is a setting (`PKCS11_MODULE`): SoftHSM2 in the demo and the tests, a token vendor's
module or a network HSM's in production. For SoftHSM2 the token store is `PKCS11_TOKEN_DIR`; the
portal writes the `softhsm2.conf` that points at it unless `SOFTHSM2_CONF` is already set.

Cut by job:
- `library`: the loaded library per process (fork, rescan), finding a token by its serial,
  user and public sessions, the errors the floors above turn into Vietnamese messages;
- `lifecycle`: a token's life: created, its PINs reset or changed, wiped;
- `objects`: what a token holds: key pairs generated inside it, certificates beside them;
- `keys`: a token's private key as a `cryptography` private key that signs on the token;
- `slot`: the CA's HSM slot, signed through one long-lived session per process.
"""

from portal.lib.pkcs11.keys import TokenECKey, TokenRSAKey, certified_signing_key, signing_key
from portal.lib.pkcs11.library import (
    TokenError,
    module,
    on_reset,
    rescan,
    session,
    session_public,
    softhsm_conf,
    store_lock,
    token,
    token_flags,
    token_serials,
)
from portal.lib.pkcs11.lifecycle import pin_reset, so_pin_change, token_create, token_wipe
from portal.lib.pkcs11.objects import (
    certificate_of_key,
    certificate_store,
    certificates,
    certificates_remove,
    key_flags,
    key_ids,
    keypair_destroy,
    keypair_generate,
    mac_key,
    mac_key_generate,
    private_key_flags,
)
from portal.lib.pkcs11.slot import shared_session, shared_session_close, slot_mac, slot_signing_key

__all__ = [
    "TokenECKey",
    "TokenError",
    "TokenRSAKey",
    "certificate_of_key",
    "certified_signing_key",
    "certificate_store",
    "certificates",
    "certificates_remove",
    "key_ids",
    "keypair_destroy",
    "keypair_generate",
    "key_flags",
    "mac_key",
    "mac_key_generate",
    "module",
    "on_reset",
    "pin_reset",
    "private_key_flags",
    "rescan",
    "session",
    "session_public",
    "shared_session",
    "shared_session_close",
    "slot_mac",
    "signing_key",
    "slot_signing_key",
    "so_pin_change",
    "softhsm_conf",
    "store_lock",
    "token",
    "token_create",
    "token_flags",
    "token_serials",
    "token_wipe",
]
