"""The agency filter every list shares: choices limited to what the user may see."""

from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import OrgKind
from agencies.models import Organization

AGENCY_KINDS = (OrgKind.AGENCY, OrgKind.MINISTRY)
# A select cannot list tens of thousands of agencies: users who see everything pick a province
# first and get that province's agencies (ministries when no province is picked).
AGENCY_OPTIONS_LIMIT = 300


def agency_options(organizations) -> list[tuple[int, str]]:
    """(pk, label) pairs for a select of agencies, read as plain tuples: the name, then the
    official code when the agency has one ("Sở Tài chính · 000.00.05.H29")."""
    return [
        (pk, f"{name} · {code}" if code else name)
        for pk, name, code in organizations.values_list("pk", "name", "code")
    ]


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
            *agency_options(visible.order_by("name")),
        ]
        return
    province = form.data.get("province") if form.data else None
    options = visible.order_by("name")
    options = (
        options.filter(province_id=province)
        if province and str(province).isdigit()
        else options.filter(kind=OrgKind.MINISTRY)
    )
    agency.widget.choices = [("", _("Tất cả")), *agency_options(options[:AGENCY_OPTIONS_LIMIT])]
