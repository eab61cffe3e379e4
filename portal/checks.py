"""System checks of the portal's own settings (`manage.py check`, run by migrate and runserver)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.audit_keys import key_problems


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
