"""Who may do what with devices and their documents: decided here and nowhere else
(DESIGN §2.9). Pages fetch through `visible_to` first (out of scope → 404), then call
`require` (in scope but not allowed → 403)."""

from django.core.exceptions import PermissionDenied

from agencies.access import scope_for
from agencies.choices import Role
from devices.choices import DeviceStatus, ReceiverKind

D = DeviceStatus


def is_clerk_of(user, agency) -> bool:
    return agency is not None and scope_for(user).holds(Role.AGENCY_CLERK, agency.path)


def clerk_agencies(user) -> tuple[str, ...]:
    """Organisation paths where the user is an agency clerk."""
    return scope_for(user).role_paths.get(Role.AGENCY_CLERK, ())


def is_ca(user) -> bool:
    return scope_for(user).is_ca


def device_actions(user, device) -> set[str]:
    """The actions the device page may offer this user, given the device's state."""
    if not is_clerk_of(user, device.agency):
        return set()
    actions: set[str] = set()
    status = device.status
    if status in (D.DELIVERED_TO_AGENCY, D.RETURNED_TO_AGENCY):
        actions.add("hand_over")
    if status == D.HANDED_TO_SUBSCRIBER:
        actions.add("lock")
    if status == D.LOCKED:
        actions.add("recovery_request")
    if status == D.AWAITING_RETURN:
        actions.add("collect")
    if status in (
        D.DELIVERED_TO_AGENCY,
        D.HANDED_TO_SUBSCRIBER,
        D.LOCKED,
        D.AWAITING_RETURN,
        D.RETURNED_TO_AGENCY,
    ):
        actions.add("report_loss")
    return actions


def can_confirm_minutes(user, minutes) -> bool:
    """The receiving side: the CA's operators, or the officers of the agency's province
    when the devices went to the provincial point."""
    if minutes.confirmed_at is not None:
        return False
    scope = scope_for(user)
    if minutes.receiver_kind == ReceiverKind.CA:
        return scope.is_ca
    return scope.holds(Role.PROVINCIAL_OFFICER, minutes.agency.path)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
