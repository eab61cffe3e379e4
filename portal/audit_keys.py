"""The keys of the audit chain (docs/architecture.md §6).

Each event's `hash` is an HMAC-SHA256 under the current key, `AUDIT_HMAC_KEY`; the event stores
the key's id, a fingerprint derived from the key itself, so no id can be set that does not match.
Retired keys stay in `AUDIT_HMAC_KEYS_OLD` (oldest first) so their events still verify.

Keys are ranked: legacy unkeyed events (empty key id) first, then the old keys in the order
listed, then the current key. Along the chain the rank never goes down, so someone holding a
retired key, or none, cannot append events after the first event of a newer key.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Used only when DEBUG and AUDIT_HMAC_KEY is unset (settings); a system check refuses it
# anywhere else. Public, hence worthless as a key.
DEV_AUDIT_HMAC_KEY = "DEV-ONLY-insecure-audit-hmac-key-never-use-in-production"
MIN_KEY_LENGTH = 32
LEGACY_KEY_ID = ""
LEGACY_RANK = 0


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes
    rank: int


def key_id_of(secret: str) -> str:
    """A 16-hex-digit fingerprint of the key; reveals nothing about it."""
    return hmac.new(secret.encode(), b"portal audit key id", hashlib.sha256).hexdigest()[:16]


def keyring() -> dict[str, AuditKey]:
    """Every key the chain may use, by id: the old ones, then the current one (highest rank)."""
    secrets = [*settings.AUDIT_HMAC_KEYS_OLD, settings.AUDIT_HMAC_KEY]
    ring: dict[str, AuditKey] = {}
    for rank, secret in enumerate(secrets, start=LEGACY_RANK + 1):
        if secret:
            key_id = key_id_of(secret)
            ring.pop(key_id, None)  # listed twice: its latest place counts
            ring[key_id] = AuditKey(key_id, secret.encode(), rank)
    return ring


def current_key() -> AuditKey:
    secret = settings.AUDIT_HMAC_KEY
    if not secret:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY is not set: the audit trail cannot record events. "
            "Generate one with `openssl rand -hex 32`."
        )
    return keyring()[key_id_of(secret)]


def mac(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def key_problems() -> list[tuple[str, str]]:
    """(code, message) for each thing wrong with the configured keys; empty when all is well."""
    problems = []
    current = settings.AUDIT_HMAC_KEY
    if not current:
        problems.append(("E001", "AUDIT_HMAC_KEY is not set: audited writes will fail."))
    elif len(current) < MIN_KEY_LENGTH:
        problems.append(("E002", f"AUDIT_HMAC_KEY is shorter than {MIN_KEY_LENGTH} characters."))
    old_short = [
        i for i, key in enumerate(settings.AUDIT_HMAC_KEYS_OLD, 1) if len(key) < MIN_KEY_LENGTH
    ]
    if old_short:
        problems.append(
            ("E003", f"AUDIT_HMAC_KEYS_OLD has keys shorter than {MIN_KEY_LENGTH}: {old_short}.")
        )
    if not settings.DEBUG and DEV_AUDIT_HMAC_KEY in [current, *settings.AUDIT_HMAC_KEYS_OLD]:
        problems.append(("E004", "The public development audit key is configured outside DEBUG."))
    return problems
