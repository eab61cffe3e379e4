"""Celery tasks of the devices app: thin, idempotent adapters around services
(docs/processing.md §4)."""

from celery import shared_task

from devices.services import device_tokens_key_ahead, return_obligation_notify_overdue
from devices.stock_jobs import stock_import_parse


@shared_task
def return_obligation_notify_overdue_task() -> int:
    """Periodic: tell agencies about return obligations that became overdue (once each)."""
    return return_obligation_notify_overdue()


@shared_task
def stock_import_parse_task(job_id: int) -> str:
    """Read and check the CA's uploaded stock sheet (an import job); a duplicate delivery finds
    the job no longer queued and changes nothing."""
    return stock_import_parse(job_id=job_id)


@shared_task
def device_tokens_key_ahead_task() -> int:
    """Periodic: key ahead the tokens of devices in the CA's stock, a batch a run (docs/ca.md,
    "Subscribers' tokens"); a second run at once finds them keyed, or locked, and skips them."""
    return device_tokens_key_ahead()
