"""Who may take which action on a letter, decided from the lifecycle table and nowhere else
(docs/architecture.md §3).

Services call `require()` on the letter as locked, inside the transaction that changes it;
pages call `allowed_actions()` to draw their buttons. Out of scope is 404 (`visible_to`), in
scope but not allowed 403, and a right the user had a moment ago (someone else acted first,
or the page was stale) is a message (`Overtaken`), not a 403.
"""

import copy

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from portal.errors import DomainError
from requests_app.lifecycle import ACTIONS, PROCESSOR, SYSTEM, Action


def _role_at(action: Action, cert_request, scope) -> str | None:
    role = action.sources.get(cert_request.status)
    if role == PROCESSOR:
        # Who processes depends on the letter's rows: ask only someone who could be either.
        if not (scope.is_ca or scope.holds(Role.PROVINCIAL_OFFICER, cert_request.agency.path)):
            return None
        return Role.PROVINCIAL_OFFICER if cert_request.processed_by_province else Role.CA_OPERATOR
    return role


def _holds(scope, role: str, cert_request) -> bool:
    # The CA's role holds whatever letter reaches a status the table gives it: a Mẫu 04 never
    # does (`forward` is guarded by `processed_by_province`, docs/domain.md §4).
    if role == Role.CA_OPERATOR:
        return scope.is_ca
    return scope.holds(role, cert_request.agency.path)


def may(user, action: Action, cert_request) -> bool:
    """Whether `user` may take `action` on the letter as it is now."""
    scope = scope_for(user)
    if not scope.is_authenticated:
        return False
    role = _role_at(action, cert_request, scope)
    if role is None or role == SYSTEM:
        return False
    if not _holds(scope, role, cert_request):
        return False
    if action.not_drafter and cert_request.created_by_id == user.pk:
        return False
    return action.passes(cert_request)


def allowed_actions(user, cert_request) -> set[str]:
    return {name for name, action in ACTIONS.items() if may(user, action, cert_request)}


class Overtaken(DomainError):
    """The user had this right in an earlier status of the letter: someone else acted first,
    or the page was stale. Deserves a message, not a 403."""


def _overtaken(user, action: Action, cert_request) -> bool:
    for status in action.states - {cert_request.status}:
        probe = copy.copy(cert_request)
        probe.status = status
        if may(user, action, probe):
            return True
    return False


def require(user, name: str, cert_request) -> Action:
    """Return the action if `user` may take it on the letter now; raise Overtaken when they
    could have in another status of the letter, PermissionDenied (403) otherwise."""
    action = ACTIONS[name]
    if may(user, action, cert_request):
        return action
    if _overtaken(user, action, cert_request):
        raise Overtaken(
            _(
                "Văn bản đã được xử lý hoặc đã chuyển sang bước khác: hiện ở trạng thái “%(status)s”."
            )
            % {"status": cert_request.get_status_display()},
            code="stale_status",
        )
    raise PermissionDenied
