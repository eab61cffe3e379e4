"""System checks of the portal's own settings (`manage.py check`, run by migrate and runserver)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.audit_keys import key_problems
from portal.field_crypto import (
    DEV_BLIND_INDEX_KEY,
    DEV_FIELD_KEY,
    MIN_BLIND_INDEX_KEY_LENGTH,
    FieldKeyError,
    field_key_ring,
)


@register(Tags.security)
def check_audit_keys(app_configs, **kwargs):
    """Outside DEBUG the audit chain needs a real key of its own (docs/architecture.md §6)."""
    if settings.DEBUG:
        return []
    return [
        Error(
            message,
            hint="Generate a key with `openssl rand -hex 32`, set AUDIT_HMAC_KEY (not SECRET_KEY).",
            id=f"portal.{code}",
        )
        for code, message in key_problems()
    ]


@register(Tags.security, deploy=True)
def check_field_keys(app_configs, **kwargs):
    """Production brings its own keys for the personal data at rest (docs/privacy-at-rest.md):
    the development ones are public, and without keys nothing could be read."""
    errors = []
    keys = [key for key in settings.PORTAL_FIELD_KEYS if key.strip()]
    if not keys:
        errors.append(
            Error(
                "PORTAL_FIELD_KEYS is not set: ID numbers, birth dates and phones cannot be "
                "encrypted at rest.",
                hint="Generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.",
                id="portal.E020",
            )
        )
    elif DEV_FIELD_KEY in keys:
        errors.append(
            Error(
                "PORTAL_FIELD_KEYS holds the public development key.",
                hint="Generate a key of your own and rotate (`manage.py rotate_field_keys`).",
                id="portal.E021",
            )
        )
    else:
        try:
            field_key_ring()
        except FieldKeyError as error:
            errors.append(Error(str(error), id="portal.E022"))
    index_key = settings.PORTAL_BLIND_INDEX_KEY or ""
    if len(index_key) < MIN_BLIND_INDEX_KEY_LENGTH or index_key == DEV_BLIND_INDEX_KEY:
        errors.append(
            Error(
                f"PORTAL_BLIND_INDEX_KEY is {'a development default' if index_key else 'not set'}"
                f" or shorter than {MIN_BLIND_INDEX_KEY_LENGTH} characters.",
                hint="Generate one with `openssl rand -hex 32`, distinct from every other key.",
                id="portal.E023",
            )
        )
    return errors
