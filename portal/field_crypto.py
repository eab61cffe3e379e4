"""Personal data encrypted at rest: model fields whose column holds an authenticated
ciphertext, and the keyed blind index that lets the portal still find a row by an exact value
(docs/privacy-at-rest.md).

- `EncryptedCharField` / `EncryptedDateField` store the value as a token
  "v2:<key id>:<base64 of nonce, ciphertext and tag>" (AES-256-GCM under a key derived from
  the first key of PORTAL_FIELD_KEYS) in a text column, and read it with whichever listed key
  its key id names: the first encrypts, all decrypt, so a backup made before a rotation stays
  readable while its key is listed. Tokens written before this format (Fernet, "gAAAAA…")
  are still read with every listed key (MultiFernet); `rotate_field_keys` rewrites them.
  An empty string stays an empty string (a blank ID is no secret, and `~Q(phone="")` checks
  keep working); NULL stays NULL.
- A field given `blind_index="<name>_index"` keeps that sibling `BlindIndexField` equal to
  HMAC-SHA256(PORTAL_BLIND_INDEX_KEY, NFC(value)): each assignment marks it stale and reading
  it recomputes it, so `full_clean`, `save`, `bulk_create`, `bulk_update` (with the index in
  its fields; `save(update_fields=…)` through `with_blind_indexes`) all see it, and a row
  loaded keeps its stored index at no cost. Filter by the index:
  `filter(national_id_index=blind_index(value))`.
- Any other lookup on an encrypted field (`=`, `__in`, `__startswith`, a transform) raises
  FieldError instead of silently matching nothing: a ciphertext is never equal to a value
  encrypted again. Ordering by one sorts ciphertexts: do not.

Keys come from settings (config/field_keys.py); the marked development keys are used only
where CA_ALLOW_DEV_PASSPHRASE is on, like the CA passphrases.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import unicodedata
from binascii import a2b_base64
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.db.models.query_utils import DeferredAttribute

# Used only where CA_ALLOW_DEV_PASSPHRASE is on (DEBUG, tests without keys): never in
# production, where `check --deploy` refuses them (portal.checks).
DEV_FIELD_KEY = base64.urlsafe_b64encode(b"DEV-ONLY portal field key 000000").decode()
DEV_BLIND_INDEX_KEY = "DEV-ONLY portal blind index key, not for production"  # noqa: S105
MIN_BLIND_INDEX_KEY_LENGTH = 32
# How a stored value is told from one still in clear (the columns hold digits, ISO dates and
# JSON in clear, never these prefixes): the current format's, and every Fernet token's
# version byte 0x80 in urlsafe base64.
TOKEN_PREFIX = "v2:"  # noqa: S105 (not a secret)
FERNET_PREFIX = "gAAAAA"
TOKEN_PREFIXES = (TOKEN_PREFIX, FERNET_PREFIX)
_KID_LENGTH = 8  # hex digits of a key id
_NONCE = 12  # bytes: AES-GCM's 96-bit nonce, random for each value
_HEAD = len(TOKEN_PREFIX) + _KID_LENGTH + 1  # "v2:<kid>:"
# What the key id and the AES key are derived from a listed key with (HKDF-SHA256): the key
# itself is never used for both formats.
_DERIVATION = b"portal.field_crypto v2: AES-256-GCM key and key id"


class FieldKeyError(ImproperlyConfigured):
    """The keys are missing or malformed, or no listed key opens a stored value."""


@dataclass(frozen=True)
class KeyRing:
    """Every listed key made ready once: the first's key id and cipher (encrypting), each
    key's cipher and associated data by the head of its tokens, "v2:<key id>:" (decrypting),
    and the first key's Fernet and every key's MultiFernet (older tokens; files)."""

    keys: tuple[str, ...]
    kid: str
    head: str  # "v2:<first kid>:", what a token under the current key starts with
    cipher: AESGCM
    openers: dict[str, tuple[AESGCM, bytes]]
    first_fernet: Fernet
    fernet: MultiFernet


def _derived(key: str, raw: bytes) -> tuple[str, AESGCM]:
    material = HKDF(algorithm=hashes.SHA256(), length=36, salt=None, info=_DERIVATION).derive(raw)
    return material[32:].hex(), AESGCM(material[:32])


def blind_index_key() -> bytes:
    key = settings.PORTAL_BLIND_INDEX_KEY or ""
    if key:
        return key.encode()
    if settings.CA_ALLOW_DEV_PASSPHRASE:
        return DEV_BLIND_INDEX_KEY.encode()
    raise FieldKeyError(
        "PORTAL_BLIND_INDEX_KEY is not set: personal data cannot be searched without it "
        "(set CA_ALLOW_DEV_PASSPHRASE=1 only on a development machine)"
    )


@lru_cache(maxsize=8)
def _ring_of(listed: tuple[str, ...], dev_allowed: bool) -> KeyRing:
    keys = tuple(key.strip() for key in listed if key.strip())
    if not keys:
        if not dev_allowed:
            raise FieldKeyError(
                "PORTAL_FIELD_KEYS is not set: personal data cannot be encrypted or read without "
                "it (set CA_ALLOW_DEV_PASSPHRASE=1 only on a development machine)"
            )
        keys = (DEV_FIELD_KEY,)
    try:
        fernets = [Fernet(key) for key in keys]
    except ValueError as error:
        raise FieldKeyError(
            "PORTAL_FIELD_KEYS holds a malformed key: each is 32 url-safe base64-encoded bytes "
            "(Fernet.generate_key())"
        ) from error
    derived = [_derived(key, base64.urlsafe_b64decode(key)) for key in keys]
    kid, cipher = derived[0]
    return KeyRing(
        keys=keys,
        kid=kid,
        head=f"{TOKEN_PREFIX}{kid}:",
        cipher=cipher,
        # The first key wins a (vanishingly unlikely) key id shared with another.
        openers={
            f"{TOKEN_PREFIX}{kid}:": (cipher, f"{TOKEN_PREFIX}{kid}:".encode())
            for kid, cipher in reversed(derived)
        },
        first_fernet=fernets[0],
        fernet=MultiFernet(fernets),
    )


# The ring of the listed keys, made on first use and kept: every value read or written asks
# for it, and reading the settings (a LazySettings attribute, a third of a microsecond) for
# each of a thousand rows' values was a sixth of a value's decryption. Settings do not change
# while a process runs; a test that overrides the keys or the development flag
# (`override_settings`, pytest-django's `settings`) sends `setting_changed`, which drops it.
_current: KeyRing | None = None
_RING_SETTINGS = frozenset({"PORTAL_FIELD_KEYS", "CA_ALLOW_DEV_PASSPHRASE"})


def _ring() -> KeyRing:
    global _current
    ring = _current
    if ring is None:
        ring = _current = _ring_of(
            tuple(settings.PORTAL_FIELD_KEYS), bool(settings.CA_ALLOW_DEV_PASSPHRASE)
        )
    return ring


def _forget_ring(*, setting, **kwargs) -> None:
    global _current
    if setting in _RING_SETTINGS:
        _current = None


setting_changed.connect(_forget_ring)


def key_id(key: str) -> str:
    """The key id a token encrypted under `key` names (8 hex digits derived from the key,
    which tell nothing of it)."""
    return _derived(key.strip(), base64.urlsafe_b64decode(key.strip()))[0]


def field_key_ring() -> KeyRing:
    """The listed keys made ready (FieldKeyError when missing or malformed)."""
    return _ring()


def field_keys_fernets() -> tuple[Fernet, MultiFernet]:
    """The first key's Fernet and every key's MultiFernet: the format of the files
    (`EncryptedBinaryField`), whose cost is their bytes, not a value's fixed overhead."""
    ring = _ring()
    return ring.first_fernet, ring.fernet


def encrypt(text: str) -> str:
    ring = _ring()
    nonce = os.urandom(_NONCE)
    sealed = ring.cipher.encrypt(nonce, text.encode(), ring.head.encode())
    return ring.head + binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii")


def _unopened() -> FieldKeyError:
    return FieldKeyError(
        "No key of PORTAL_FIELD_KEYS opens a stored personal-data value: a key it was "
        "encrypted with has been dropped, or the value was altered (docs/privacy-at-rest.md, "
        "rotation)"
    )


def decrypt(token: str) -> str:
    """The clear text of `token`; FieldKeyError when no listed key opens it (its key dropped,
    or the token altered: the authentication tag refuses any change)."""
    ring = _current or _ring()
    opener = ring.openers.get(token[:_HEAD])
    if opener is not None:
        cipher, head = opener
        try:
            blob = a2b_base64(token[_HEAD:], strict_mode=True)
            return cipher.decrypt(blob[:_NONCE], blob[_NONCE:], head).decode()
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise _unopened() from error
    if token.startswith(TOKEN_PREFIX):  # a key id no listed key has
        raise _unopened()
    try:
        return ring.fernet.decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise _unopened() from error


def is_token(raw: str) -> bool:
    """Whether a stored value is encrypted (in either format) rather than still in clear."""
    return raw.startswith(TOKEN_PREFIXES)


def is_current(token: str) -> bool:
    """Whether `token` is in the current format under the first (current) key: what a
    rotation leaves alone (its content is checked when the rotation decrypts it)."""
    return token.startswith(_ring().head)


def normalized(value) -> str:
    return unicodedata.normalize("NFC", str(value)).strip() if value else ""


def blind_index(value) -> str:
    """The keyed index of `value` (hex HMAC-SHA256 of its NFC form), "" for an empty value."""
    text = normalized(value)
    if not text:
        return ""
    return hmac.new(blind_index_key(), text.encode(), hashlib.sha256).hexdigest()


class _EncryptedExact(Exact):
    """Only `= ""` (a blank value, stored as such) can be compared in the database."""

    def get_prep_lookup(self):
        if self.rhs != "":
            raise _refusal(self.lhs.output_field, "exact")
        return super().get_prep_lookup()


def _refusal(field, lookup: str) -> FieldError:
    return FieldError(
        f"{field.model.__name__}.{field.name} is encrypted: `{lookup}` cannot be computed in "
        "the database. Filter by its blind index (portal.field_crypto.blind_index)."
    )


STALE = "_stale_blind_indexes"  # instance attribute: the indexes to recompute when read


class _IndexingAttribute(DeferredAttribute):
    """Marks the field's blind index stale on every assignment (computed when read: a row
    loaded from the database keeps the index it was stored with, at no HMAC's cost)."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value
        # A new dict each time: a shallow copy of the instance must not share it.
        pending = {**instance.__dict__.get(STALE, {}), self.field.blind_index: self.field.attname}
        instance.__dict__[STALE] = pending


class _IndexAttribute(DeferredAttribute):
    """A blind index: recomputed from its field when that was assigned since. An index set
    explicitly (a row loaded) is taken as is, but the empty default `Model.__init__` sets after
    the field (declaration order) leaves the recomputation pending."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        pending = instance.__dict__.get(STALE, {})
        if self.field.attname in pending:
            source = pending[self.field.attname]
            instance.__dict__[self.field.attname] = blind_index(instance.__dict__.get(source))
            self._done(instance)
        return super().__get__(instance, cls)

    def __set__(self, instance, value):
        # Always in __dict__: Django takes a missing attribute for a deferred field.
        instance.__dict__[self.field.attname] = value
        if value:
            self._done(instance)

    def _done(self, instance):
        pending = instance.__dict__.get(STALE, {})
        if self.field.attname in pending:
            instance.__dict__[STALE] = {
                key: value for key, value in pending.items() if key != self.field.attname
            }


class _EncryptedMixin:
    """What every encrypted field shares; each field class says how its value is written as
    text before encryption (`_plain`)."""

    encrypted = True

    def __init__(self, *args, blind_index: str = "", **kwargs):
        self.blind_index = blind_index
        if blind_index:
            self.descriptor_class = _IndexingAttribute
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.blind_index:
            kwargs["blind_index"] = self.blind_index
        return name, path, args, kwargs

    def get_internal_type(self):
        return "TextField"  # a token is ~100 characters, whatever the value's length

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _EncryptedExact
        raise _refusal(self, lookup_name)

    def get_transform(self, lookup_name):
        raise _refusal(self, lookup_name)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(self._plain(value))

    def from_db_value(self, value, expression, connection):
        if not value:  # NULL, or "" (a blank value is stored as such)
            return value
        return self._parsed(decrypt(value))


class EncryptedCharField(_EncryptedMixin, models.CharField):
    """A short text (ID number, phone) stored encrypted; validated as a CharField."""

    def _plain(self, value) -> str:
        return str(value)

    @staticmethod
    def _parsed(text: str) -> str:
        return text  # what CharField.to_python makes of a str


class EncryptedDateField(_EncryptedMixin, models.DateField):
    """A date (birth, ID issue) stored encrypted as its ISO text."""

    def _plain(self, value) -> str:
        return value.isoformat()

    def _parsed(self, text: str) -> date:
        # The text `_plain` wrote, read without DateField.to_python's detour through
        # parse_date; anything else still goes that way (and its ValidationError).
        try:
            return date.fromisoformat(text)
        except ValueError:
            return self.to_python(text)


class EncryptedJSONField(_EncryptedMixin, models.JSONField):
    """A JSON document stored encrypted whole (an import's parsed rows between preview and
    confirmation, an API response kept for its idempotency key): read and written whole,
    never queried inside."""

    def _plain(self, value) -> str:
        return json.dumps(value, cls=self.encoder)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        return encrypt(self._plain(value))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(decrypt(value), cls=self.decoder)


class BlindIndexField(models.CharField):
    """The hex HMAC of an encrypted field's value, kept by that field (its `blind_index`)."""

    descriptor_class = _IndexAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_default", "")  # a row written by SQL (a seed) is no error
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if not self.db_index:  # a partial index of the model's instead (never looked up by "")
            kwargs["db_index"] = False  # spelled out, or the default above puts it back
        return name, path, args, kwargs

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            # varchar spelled out: Django adds a second, varchar_pattern_ops index to an
            # indexed "varchar(…)" for LIKE; a blind index is only ever compared whole.
            return f"character varying({self.max_length})"
        return super().db_type(connection)


# What never enters the audit trail, an export job's state or any other JSON in clear: the
# names under which services pass these values around.
PERSONAL_KEYS = frozenset(
    {
        "national_id",
        "contact_national_id",
        "date_of_birth",
        "contact_date_of_birth",
        "id_issue_date",
        "contact_id_issue_date",
        "mobile",
        "contact_mobile",
        "phone",
    }
)


def redacted(values: dict | None) -> dict | None:
    """`values` with each personal value replaced by a short keyed digest: an audit event
    still shows that it changed (the digests differ) without storing it. The digest's key is
    derived for the audit trail alone (`audit_digest`): it cannot be matched against the blind
    index columns."""
    if not values:
        return values
    return {
        key: audit_digest(value)
        if key in PERSONAL_KEYS and value not in (None, "", "None")
        else value
        for key, value in values.items()
    }


def with_blind_indexes(model, names) -> list[str]:
    """`names` (for `save(update_fields=…)`) with the blind index of each encrypted field
    among them: the index must be written with its value."""
    names = list(names)
    for name in list(names):
        index = getattr(model._meta.get_field(name), "blind_index", "")
        if index and index not in names:
            names.append(index)
    return names


# --- Files at rest: the bytes of a document or an uploaded workbook ---------------------------
# A binary column holds the Fernet token's own bytes (its base64 text decoded): the overhead is
# the token's frame, 57 bytes plus 1 to 16 of padding, whatever the file's size (base64 text
# would add a third). A token starts with Fernet's version byte 0x80, which neither a PDF
# ("%PDF") nor a workbook (a zip, "PK") does; its length is 57 plus a multiple of 16.
TOKEN_FRAME = 57  # version (1), timestamp (8), IV (16), HMAC (32)


def is_token_bytes(raw: bytes) -> bool:
    """Whether `raw` has the shape of a Fernet token's bytes (not whether a key opens it)."""
    return len(raw) >= TOKEN_FRAME + 16 and raw[0] == 0x80 and (len(raw) - TOKEN_FRAME) % 16 == 0


def encrypt_bytes(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(field_keys_fernets()[0].encrypt(data))


def decrypt_bytes(raw: bytes) -> bytes:
    try:
        return field_keys_fernets()[1].decrypt(base64.urlsafe_b64encode(raw))
    except InvalidToken as error:
        raise FieldKeyError(
            "No key of PORTAL_FIELD_KEYS opens a stored file: a key it was encrypted with has "
            "been dropped (docs/privacy-at-rest.md, rotation)"
        ) from error


def rotated_bytes(raw: bytes) -> bytes:
    """`raw` as it should be stored: itself when under the first key (its MAC checked, nothing
    decrypted), else encrypted again under the first key (FieldKeyError when no key opens it)."""
    current, every = field_keys_fernets()
    token = base64.urlsafe_b64encode(raw)
    try:
        current.extract_timestamp(token)  # verifies the MAC only
    except InvalidToken:
        pass
    else:
        return raw
    try:
        return base64.urlsafe_b64decode(every.rotate(token))
    except InvalidToken as error:
        raise FieldKeyError(
            "No key of PORTAL_FIELD_KEYS opens a stored file: a key it was encrypted with has "
            "been dropped (docs/privacy-at-rest.md, rotation)"
        ) from error


class _EncryptedBinaryExact(Exact):
    """Only `= b""` (an emptied file, stored as such) can be compared in the database."""

    def get_prep_lookup(self):
        if not isinstance(self.rhs, bytes | bytearray | memoryview) or len(self.rhs):
            raise _refusal(self.lhs.output_field, "exact")
        return super().get_prep_lookup()


class EncryptedBinaryField(models.BinaryField):
    """Bytes (a PDF kept in its row, an uploaded workbook) stored encrypted whole in a binary
    column: read and written whole, never compared but with b"" (an empty file stays empty,
    NULL stays NULL). `rotate_field_keys` and the data migrations read such a column one row
    at a time (portal.field_rotation): a file may be megabytes."""

    encrypted = True
    encrypted_binary = True
    blind_index = ""

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _EncryptedBinaryExact
        raise _refusal(self, lookup_name)

    def get_transform(self, lookup_name):
        raise _refusal(self, lookup_name)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        data = bytes(value)
        return connection.Database.Binary(encrypt_bytes(data) if data else b"")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        raw = bytes(value)
        return decrypt_bytes(raw) if raw else b""


# --- The audit trail's digests of personal values ----------------------------------------------
# Events used to store "hmac:" and the first 16 hex digits of the value's blind index: a copy of
# the database alone joined them with the index columns (`national_id_index LIKE 'ab12…%'`) and
# named the person behind an event. The digest is now an HMAC under a key of its own, derived
# from the blind index key by HKDF under a distinct label: it shares nothing with any index
# column, and there is no new secret to deploy, rotate or keep apart from the backups (whoever
# holds the blind index key could compute the indexes anyway). Its prefix "hmac2:" tells it from
# the old digests, which stay in their events: the chain's MACs cover them.
AUDIT_DIGEST_PREFIX = "hmac2:"
_AUDIT_DIGEST_INFO = b"portal audit digest of personal values v1"


@lru_cache(maxsize=4)
def _audit_digest_key(index_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AUDIT_DIGEST_INFO).derive(
        index_key
    )


def audit_digest(value) -> str:
    """The audit trail's short keyed digest of a personal value (NFC, trimmed, as the index)."""
    mac = hmac.new(_audit_digest_key(blind_index_key()), normalized(value).encode(), hashlib.sha256)
    return f"{AUDIT_DIGEST_PREFIX}{mac.hexdigest()[:16]}"
