"""Celery adapters (docs/processing.md §4): a primary key in, one service call, idempotent."""

import logging

from celery import shared_task

from certificates import services
from certificates.deadlines import renewal_ladder_sweep
from certificates.desk.services import desk_signing_sweep
from certificates.models import CertificateAuthority

log = logging.getLogger(__name__)


@shared_task(name="certificates.tasks.crl_publish_task")
def crl_publish_task(authority_id: int) -> int | None:
    """Regenerate a CA's CRL after a revocation batch; a redelivery publishes nothing new."""
    authority = CertificateAuthority.objects.public().filter(pk=authority_id).first()
    if authority is None:
        log.warning("crl_publish_task: no CA with id %s", authority_id)
        return None
    return services.crl_publish(authority=authority).number


@shared_task(name="certificates.tasks.crl_refresh_task")
def crl_refresh_task() -> None:
    """Periodic: republish CRLs that changed or are past half their life."""
    services.crl_refresh_due()


@shared_task(name="certificates.tasks.certificate_expire_due_task")
def certificate_expire_due_task() -> int:
    """Periodic: mark certificates whose validity has ended as expired."""
    return services.certificate_expire_due()


@shared_task(name="certificates.tasks.renewal_ladder_sweep_task")
def renewal_ladder_sweep_task() -> int:
    """Beat: tell agencies and subscribers the renewal rung each certificate reached
    (docs/domain.md §5.9). Takes no rows; idempotent by the notification key, so a redelivery
    after a lost worker inserts nothing twice."""
    return renewal_ladder_sweep()


@shared_task(name="certificates.tasks.device_key_pool_fill_task")
def device_key_pool_fill_task() -> int:
    """Beat: top up the simulated CA's key pool (docs/scale.md §12.3), a batch at a
    time; takes no rows, so a doubled run at most generates a batch more than the target."""
    return services.device_key_pool_fill()


@shared_task(name="certificates.tasks.timestamp_unit_ensure_task")
def timestamp_unit_ensure_task() -> int | None:
    """Beat: replace the TSA's certificate before it ends (CA_TSA_RENEW_DAYS) or after the
    issuing CA rotated; idempotent: the unit is decided under its row lock and one unit is
    active at a time (a constraint)."""
    created = services.timestamp_unit_ensure()
    return created.pk if created is not None else None


@shared_task(name="certificates.tasks.desk_signing_sweep_task")
def desk_signing_sweep_task() -> int:
    """Beat: expire desk signing requests past their deadline and empty old PDF bytes
    (certificates/desk/services.py); idempotent, takes rows under skip-locked locks."""
    return desk_signing_sweep()


@shared_task(name="certificates.tasks.remote_keys_sweep_task")
def remote_keys_sweep_task() -> int:
    """Beat: destroy the remote-signing slot's keys the registry does not account for
    (certificates/services/remote_sweep.py); safe to run twice at once."""
    return len(services.remote_keys_sweep().destroyed)
