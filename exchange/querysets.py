"""Reads of the exchange that other queries take in (docs/architecture.md §3)."""

from django.apps import apps  # models looked up: the models module sits above this one
from django.db.models import Exists, OuterRef, Subquery

from agencies.choices import OrgKind


def letter_page_facts() -> dict:
    """Read in the letter's own query: whether a receiver's status message came back
    (`edxml_status_received`), and the name and official e-mail of its province's Sở KH&CN
    (`province_office_name`, `province_office_email`: the card names an office that could
    not be mailed)."""
    EdxmlMessage = apps.get_model("exchange", "EdxmlMessage")
    Organization = apps.get_model("agencies", "Organization")
    office = (
        Organization.objects.active()
        .filter(kind=OrgKind.PROVINCIAL_OFFICE, parent=OuterRef("agency__province"))
        .order_by("pk")
    )
    status = EdxmlMessage.objects.filter(
        letter=OuterRef("pk"),
        direction=EdxmlMessage.Direction.RECEIVED,
        kind=EdxmlMessage.Kind.STATUS,
    )
    return {
        "edxml_status_received": Exists(status),
        "province_office_name": Subquery(office.values("name")[:1]),
        "province_office_email": Subquery(office.values("official_email")[:1]),
    }
