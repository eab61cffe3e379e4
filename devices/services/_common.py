"""Helpers shared by the device services."""

from django.utils import timezone

from agencies.models import Organization
from agencies.validators import nfc


def next_number(model, agency: Organization, code: str) -> str:
    """The next document number of `model` for the agency this year: "<n>/<code>-<agency>".

    Locks the agency row so that two clerks of one agency never draw the same number; the
    (agency, number) constraint of each document backs it up.
    """
    Organization.objects.select_for_update().filter(pk=agency.pk).first()
    year = timezone.localdate().year
    count = model.objects.filter(agency=agency, created_at__year=year).count()
    return f"{count + 1}/{code}-{agency.short_name or 'CQ'}"


def clean_text(value: str | None) -> str:
    return nfc(value or "")


def under(obj_agency, agency: Organization) -> bool:
    """Whether `obj_agency` is the agency or one of its units."""
    return obj_agency is not None and obj_agency.is_within(agency)
