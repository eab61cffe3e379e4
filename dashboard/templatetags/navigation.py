"""Template helpers of the base layout (`{% load navigation %}`): the user's roles and the
role-dependent navigation, which names every app's pages and so lives in the roof."""

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agencies.access import scope_for
from agencies.choices import Role
from portal.notifications import unread_count

register = template.Library()

# Roles that work on letters (everyone but a subscriber).
_LETTER_ROLES = (Role.AGENCY_CLERK, Role.AGENCY_HEAD, Role.PROVINCIAL_OFFICER, Role.CA_OPERATOR)

# (label, URL name, roles that see it (None: every signed-in user), view-name prefixes it
# covers). A page belongs to the entry with the longest matching prefix.
NAV = [
    (_("Bảng điều khiển"), "dashboard", None, ("dashboard",)),
    (_("Văn bản đề nghị"), "requests_app:list", _LETTER_ROLES, ("requests_app:",)),
    (
        _("Hộp thư Sở KH&CN"),
        "requests_app:province_inbox",
        (Role.PROVINCIAL_OFFICER,),
        ("requests_app:province_inbox",),
    ),
    (_("Hàng đợi CA"), "requests_app:ca_queue", (Role.CA_OPERATOR,), ("requests_app:ca_queue",)),
    (_("Chứng thư số"), "certificates:list", None, ("certificates:",)),
    # A device's loss, recovery and document-signing pages are paperwork's but read as
    # device pages.
    # the register of every device: plural in English ("Thiết bị" alone is one device elsewhere)
    (pgettext_lazy("menu", "Thiết bị"), "devices:list", None, ("devices:", "paperwork:")),
    (
        _("Sáp nhập"),
        "orgmerge:list",
        (Role.PROVINCIAL_OFFICER, Role.ADMINISTRATOR),
        ("orgmerge:",),
    ),
    (_("Nhu cầu CTS"), "demand:list", (*_LETTER_ROLES, Role.ADMINISTRATOR), ("demand:",)),
    (
        _("Thống kê"),
        "statistics",
        (*_LETTER_ROLES, Role.ADMINISTRATOR),
        ("statistics", "monthly_reports:"),
    ),
    # Letter 86/BCY-CTSBMTT's signing-activity monitor (docs/architecture.md §13).
    (
        _("Giám sát ký số"),
        "signing_monitor",
        (*_LETTER_ROLES, Role.ADMINISTRATOR),
        ("signing_monitor",),
    ),
    # The data protection officer's pages (docs/privacy.md).
    (
        _("Dữ liệu cá nhân"),
        "privacy:incidents",
        (Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR),
        ("privacy:",),
    ),
    # A data subject's correction requests, for their agency's staff (docs/privacy.md).
    (
        _("Yêu cầu đính chính"),
        "corrections:list",
        (Role.AGENCY_CLERK, Role.AGENCY_HEAD),
        ("corrections:",),
    ),
    # Four eyes on irreversible actions: the approvers' queue (docs/approvals.md).
    (
        _("Phê duyệt"),
        "approvals:queue",
        (Role.CA_OPERATOR, Role.PROVINCIAL_OFFICER, Role.ADMINISTRATOR),
        ("approvals:",),
    ),
    (_("Thông báo"), "portal:notifications", None, ("portal:notification",)),
]


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool
    # A count shown after the label ("Thông báo (12)"); None shows nothing.
    badge: int | None = None


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
    for label, name, roles, prefixes in NAV:
        if roles is not None and not scope.has_role(*roles):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        matched = [prefix for prefix in prefixes if current.startswith(prefix)]
        visible.append((label, url, max(matched, key=len, default=""), name))
    best = max((matched for _label, _url, matched, _name in visible), key=len, default="")
    return [
        NavItem(
            str(label),
            url,
            bool(best) and matched == best,
            # Unread and still open notifications: one query per page.
            unread_notifications(context) if name == "portal:notifications" else None,
        )
        for label, url, matched, name in visible
    ]


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The user's unread, still open notifications, counted once per request: the navigation
    and the dashboard's "what needs me now" both show it."""
    request = context["request"]
    if not hasattr(request, "_unread_notifications"):
        # read with the user by portal.backends.PortalBackend; counted here otherwise
        counted = getattr(request.user, "unread_notification_count", None)
        request._unread_notifications = (
            counted if counted is not None else unread_count(request.user)
        )
    return request._unread_notifications
