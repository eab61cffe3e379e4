"""System checks of the webhook settings (`manage.py check`, run by migrate and runserver)."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_lease_outlasts_posts(app_configs, **kwargs):
    """A worker's claim on an attempt (the lease) must outlast its post (the timeout) with
    room to record it: a shorter lease lets the sweep hand a delivery still being posted to a
    second worker, which posts it again (docs/webhooks.md, §6)."""
    lease = settings.PORTAL_WEBHOOK_LEASE_SECONDS
    timeout = settings.PORTAL_WEBHOOK_TIMEOUT_SECONDS
    if lease >= 2 * timeout:
        return []
    return [
        Error(
            f"PORTAL_WEBHOOK_LEASE_SECONDS ({lease}) must be at least twice "
            f"PORTAL_WEBHOOK_TIMEOUT_SECONDS ({timeout}).",
            hint="Raise the lease or lower the timeout (.env.example).",
            id="webhooks.E001",
        )
    ]
