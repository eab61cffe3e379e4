"""Template helpers of the base layout: the user's roles and the role-dependent navigation."""

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from agencies.access import scope_for
from agencies.choices import Role

register = template.Library()

# Roles that work on letters (everyone but a subscriber).
_LETTER_ROLES = (Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR)

# (label, URL name, roles that see it (None: every signed-in user), view-name prefix it covers).
# A page belongs to the entry with the longest matching prefix.
NAV = [
    (_("Bảng điều khiển"), "dashboard", None, "dashboard"),
    (_("Văn bản đề nghị"), "requests_app:list", _LETTER_ROLES, "requests_app:"),
    (
        _("Hộp thư Sở KH&CN"),
        "requests_app:province_inbox",
        (Role.PROVINCIAL_OFFICER,),
        "requests_app:province_inbox",
    ),
    (_("Hàng đợi CA"), "requests_app:ca_queue", (Role.CA_OPERATOR,), "requests_app:ca_queue"),
    (_("Chứng thư số"), "certificates:list", None, "certificates:"),
    (_("Thiết bị"), "devices:list", None, "devices:"),
    (_("Thông báo"), "requests_app:notifications", None, "requests_app:notification"),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


@register.simple_tag
def role_labels(user) -> str:
    """The user's roles as one readable line ("Cán bộ đầu mối cơ quan, Thuê bao")."""
    scope = scope_for(user)
    roles = set(scope.roles)
    if scope.is_admin:
        roles.add(Role.ADMINISTRATOR)
    return ", ".join(str(role.label) for role in Role if role in roles)


@register.simple_tag(takes_context=True)
def nav_items(context) -> list[NavItem]:
    """The main navigation for this user: pages their roles use, whose URL exists.

    A URL that is not (yet) routed is left out rather than breaking every page.
    """
    request = context["request"]
    scope = scope_for(request.user)
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    visible = []
    for label, name, roles, prefix in NAV:
        if roles is not None and not scope.has_role(*roles):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        visible.append((label, url, prefix))
    matching = [prefix for _label, _url, prefix in visible if current.startswith(prefix)]
    best = max(matching, key=len, default=None)
    return [NavItem(str(label), url, prefix == best) for label, url, prefix in visible]
