"""What the webhook tests share: a subscription made as the administrator makes one."""

from webhooks.choices import EventType
from webhooks.models import Subscription

ALL_TYPES = list(EventType.values)


def subscribe(url="http://127.0.0.1:9/hooks", *, organization=None, types=ALL_TYPES, **fields):
    return Subscription.objects.create(
        name=f"Hệ thống nhận {Subscription.objects.count() + 1}",
        url=url,
        organization=organization,
        event_types=list(types),
        **fields,
    )
