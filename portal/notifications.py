"""In-app notifications plus e-mail through Django's backend, for every step of a workflow."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils.translation import gettext as _


def notify(*, users: Iterable, message: str, url: str = "") -> int:
    """Tell each user: a Notification row now, an e-mail once the transaction commits.

    Returns the number of users notified. The e-mail is best-effort (the in-app notification
    is the record); a mail server outage never undoes the state change that caused it.
    """
    from portal.models import Notification

    users = [u for u in users if u is not None]
    Notification.objects.bulk_create(
        [Notification(user=user, message=message[:500], url=url) for user in users]
    )
    link = f"{settings.SITE_URL}{url}" if url else settings.SITE_URL
    mails = [
        (
            _("[Cổng chữ ký số] %(message)s") % {"message": message[:120]},
            f"{message}\n\n{link}\n",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        for user in users
        if user.email
    ]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(users)


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read, or all of them; returns how many changed.

    Reading is the user's own view state, not a change to the record, so it is not audited.
    """
    from django.utils import timezone

    from portal.models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
