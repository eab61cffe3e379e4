"""The agency filter every list shares: choices limited to what the user may see."""

from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.models import Organization

AGENCY_KINDS = (OrgKind.AGENCY, OrgKind.MINISTRY)
# A select cannot list tens of thousands of agencies: users who see everything pick a province
# first and get that province's agencies (ministries when no province is picked).
AGENCY_OPTIONS_LIMIT = 300


def agency_choices_within_scope(form, user, *, field: str = "agency") -> None:
    """Limit `form[field]` to the agencies `user` may see (its queryset validates the input;
    its displayed choices, for CA operators and administrators, follow the chosen province)."""
    visible = Organization.objects.visible_to(user).filter(kind__in=AGENCY_KINDS)
    agency = form.fields[field]
    agency.queryset = visible.order_by("name")
    if not scope_for(user).sees_everything:
        # A province's hundreds of agencies as (id, name) pairs: no model instance each.
        agency.widget.choices = [
            ("", _("Tất cả")),
            *visible.order_by("name").values_list("pk", "name"),
        ]
        return
    province = form.data.get("province") if form.data else None
    options = visible.order_by("name")
    options = (
        options.filter(province_id=province)
        if province and str(province).isdigit()
        else options.filter(kind=OrgKind.MINISTRY)
    )
    agency.widget.choices = [("", _("Tất cả"))] + [
        (org.pk, org.name) for org in options[:AGENCY_OPTIONS_LIMIT]
    ]
