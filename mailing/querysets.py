"""Reads of the outgoing mail (docs/mail.md)."""

from portal.outbox.querysets import OutboxQuerySet


class OutgoingMailQuerySet(OutboxQuerySet):
    """`due()` is the outbox's (portal/outbox/querysets.py)."""

    def about(self, about: str):
        """The mails of one object (`about`: "cert_request:42")."""
        return self.filter(about=about)
