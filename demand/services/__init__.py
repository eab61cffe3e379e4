"""Writes of demand registration (docs/architecture.md §2.2): each decided on the row as
locked, inside the transaction that changes it, with its audit event."""

from demand.services.campaigns import campaign_close, campaign_open, campaign_remind
from demand.services.deadlines import demand_deadlines_sync
from demand.services.registrations import (
    registration_desk_complete,
    registration_desk_prepare,
    registration_save,
    registration_send_back,
    registration_start,
    registration_submit,
)
from demand.services.summaries import (
    summary_desk_complete,
    summary_desk_prepare,
    summary_inputs,
    summary_pdf,
)

__all__ = [
    "campaign_close",
    "campaign_open",
    "campaign_remind",
    "demand_deadlines_sync",
    "registration_desk_complete",
    "registration_desk_prepare",
    "registration_save",
    "registration_send_back",
    "registration_start",
    "registration_submit",
    "summary_desk_complete",
    "summary_desk_prepare",
    "summary_inputs",
    "summary_pdf",
]
