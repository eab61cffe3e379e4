"""Celery tasks of the outgoing mail: thin, idempotent adapters around services, on the
`mail` queue (config/queues.py; docs/mail.md)."""

from celery import shared_task

from mailing.services import mail_retention_sweep, mail_send, mail_sweep


@shared_task
def mail_send_task(mail_id: int) -> str:
    """One attempt at the mail if it is due; a sent, failed, waiting or claimed one is
    skipped, so a redelivered task sends nothing."""
    return mail_send(mail_id=mail_id)


@shared_task
def mail_sweep_task() -> int:
    """Periodic: queue again the mails a lost message or a dead worker left behind."""
    return mail_sweep()


@shared_task
def mail_retention_sweep_task() -> int:
    """Daily, on the bulk queue: delete the mails past PORTAL_RETENTION_MAIL_DAYS
    (docs/retention.md); a second run finds nothing more."""
    return mail_retention_sweep()
