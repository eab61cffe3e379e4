"""Helpers shared by the device services."""

from django.utils import timezone

from agencies.models import Organization
from agencies.services import document_number_next
from agencies.validators import nfc
from webhooks.choices import EventType
from webhooks.services import NewEvent


def next_number(model, agency: Organization, code: str) -> str:
    """The next document number of `model` for the agency this year: "<n>/<code>-<agency>".

    Drawn from the agency's counter for the series `code` (one number per document, never
    twice); the (agency, number) constraint of each document backs it up. A year's counter
    starts after the documents made before counters existed.
    """
    year = timezone.localdate().year
    return document_number_next(
        organization=agency,
        series=code,
        year=year,
        start=lambda: model.objects.filter(agency=agency, created_at__year=year).count(),
    )


def clean_text(value: str | None) -> str:
    return nfc(value or "")


def under(obj_agency, agency: Organization) -> bool:
    """Whether `obj_agency` is the agency or one of its units."""
    return obj_agency is not None and obj_agency.is_within(agency)


def obligation_webhook(
    type_: str, *, obligation_id: int, device_id: int, serial: str, agency_id, reason: str, due_on
) -> NewEvent:
    """The signed webhook of a return obligation (docs/webhooks.md): `device.return_due` when
    it opens, `device.return_overdue` once it is overdue; ids, serial, reason and date only."""
    what = "due" if type_ == EventType.DEVICE_RETURN_DUE else "overdue"
    return NewEvent(
        type=type_,
        key=f"obligation:{obligation_id}:{what}",
        organization_id=agency_id,
        data={
            "obligation_id": obligation_id,
            "device_id": device_id,
            "device_serial": serial,
            "agency_id": agency_id,
            "reason": reason,
            "due_on": due_on.isoformat(),
        },
    )
