"""Celery tasks of the signed webhooks: thin, idempotent adapters around services, on the
`webhooks` queue (config/queues.py; docs/webhooks.md)."""

from celery import shared_task

from webhooks.services import (
    webhook_deliveries_send,
    webhook_deliveries_sweep,
    webhook_events_fan_out,
)


@shared_task
def webhook_events_fan_out_task() -> int:
    """One delivery per event and subscription that may see it; a second run adds nothing (a
    unique constraint per event and subscription)."""
    return webhook_events_fan_out()


@shared_task
def webhook_deliveries_send_task(delivery_ids: list[int]) -> dict:
    """One attempt at each due delivery of the chunk; a delivered, dead, waiting or claimed
    one is skipped."""
    outcomes = webhook_deliveries_send(delivery_ids=delivery_ids)
    return {str(pk): outcome for pk, outcome in outcomes.items()}


@shared_task
def webhook_deliveries_sweep_task() -> dict:
    """Periodic: fan out and queue again what a lost message or a dead worker left behind."""
    return webhook_deliveries_sweep()
