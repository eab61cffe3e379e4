"""Celery adapters: one service call each (docs/processing.md §4)."""

from celery import shared_task

from demand.services.deadlines import demand_deadlines_sync, demand_due_soon_remind


@shared_task
def demand_deadlines_sweep_task() -> dict:
    """Beat: open and close the campaigns' deadlines, remind agencies as the date nears;
    idempotent (unique deadlines, keyed notifications)."""
    result = demand_deadlines_sync()
    result["reminded"] = demand_due_soon_remind()
    return result
