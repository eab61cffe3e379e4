"""Who may do what with devices and their documents: decided here and nowhere else
(docs/architecture.md §3). Pages fetch through `visible_to` first (out of scope → 404), then call
`require` (in scope but not allowed → 403)."""

from django.core.exceptions import PermissionDenied

from agencies.access import scope_for
from agencies.choices import Role
from devices.choices import ReceiverKind
from devices.lifecycle import MOVES


def is_clerk_of(user, agency) -> bool:
    return agency is not None and scope_for(user).holds(Role.AGENCY_CLERK, agency.path)


def is_head_of(user, agency) -> bool:
    return agency is not None and scope_for(user).holds(Role.AGENCY_HEAD, agency.path)


def clerk_agencies(user) -> tuple[str, ...]:
    """Organisation paths where the user is an agency clerk."""
    return scope_for(user).role_paths.get(Role.AGENCY_CLERK, ())


def is_ca(user) -> bool:
    return scope_for(user).is_ca


def holds(user, role: str, device) -> bool:
    """Whether `user` holds `role` for the device's agency."""
    return device.agency is not None and scope_for(user).holds(role, device.agency.path)


def device_actions(user, device) -> set[str]:
    """The moves the device page may offer this user, from the lifecycle table."""
    return {
        move.name
        for move in MOVES.offered(device, device.status, lambda role: holds(user, role, device))
    }


def is_receiver_of(user, minutes) -> bool:
    """The minutes' receiving side: the CA's operators, or the officers of the agency's
    province when the devices went to the provincial point."""
    scope = scope_for(user)
    if minutes.receiver_kind == ReceiverKind.CA:
        return scope.is_ca
    return scope.holds(Role.PROVINCIAL_OFFICER, minutes.agency.path)


def can_confirm_minutes(user, minutes) -> bool:
    """The receiving side, once the agency head signed and sent the minutes: the CA's
    operators, or the officers of the agency's province when the devices went to the
    provincial point."""
    if minutes.confirmed_at is not None or minutes.sent_at is None:
        return False
    return is_receiver_of(user, minutes)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
