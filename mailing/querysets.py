"""Reads of the outgoing mail (docs/mail.md)."""

from django.db import models
from django.utils import timezone

from mailing.choices import MailStatus


class OutgoingMailQuerySet(models.QuerySet):
    def about(self, about: str):
        """The mails of one object (`about`: "cert_request:42")."""
        return self.filter(about=about)

    def due(self, now=None):
        """Pending mails whose next attempt is due: new, failed and waiting out their backoff,
        or claimed by a worker that never reported back (its lease ran out)."""
        return self.filter(status=MailStatus.PENDING, next_attempt_at__lte=now or timezone.now())
