"""Who may take which action on a letter: decided here and nowhere else (DESIGN §2.9).

Views call `require()` after fetching the letter through `visible_to` (out of scope → 404);
an in-scope user without the right gets 403. Nobody approves a letter they drafted.
"""

import copy

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agencies.access import scope_for
from agencies.choices import Role
from portal.errors import DomainError
from requests_app.choices import CA_FORMS, EDITABLE_STATUSES, Status

REVIEW_ACTIONS = {"return", "refuse", "forward", "process", "decide_rows"}


def allowed_actions(user, cert_request) -> set[str]:
    scope = scope_for(user)
    if not scope.is_authenticated:
        return set()
    path = cert_request.agency.path
    status = cert_request.status
    own = cert_request.created_by_id == user.pk
    actions: set[str] = set()

    if scope.holds(Role.AGENCY_CLERK, path):
        if status in EDITABLE_STATUSES:
            actions |= {"edit", "submit"}
        if status in (Status.DRAFT, Status.AWAITING_HEAD):
            actions.add("cancel")
    if scope.holds(Role.AGENCY_HEAD, path) and status == Status.AWAITING_HEAD and not own:
        actions |= {"issue", "send_back"}
    if status == Status.PROVINCE_REVIEW and scope.holds(Role.PROVINCIAL_OFFICER, path) and not own:
        actions |= {"return", "refuse", "decide_rows"}
        if cert_request.processed_by_province:
            actions.add("process")
        else:
            actions.add("forward")
    if status == Status.FORWARDED and scope.is_ca and cert_request.form in CA_FORMS and not own:
        actions |= {"return", "refuse", "decide_rows", "process"}
    return actions


DECIDE_STATUSES = frozenset({Status.PROVINCE_REVIEW, Status.FORWARDED})


class Overtaken(DomainError):
    """The user had this right in an earlier status of the letter: someone else acted first,
    or the page was stale. Deserves a message, not a 403."""


def overtaken(user, action: str, cert_request) -> bool:
    from requests_app.workflow import MOVES

    if action == "edit":
        statuses = {Status.DRAFT}
    elif action in MOVES:
        statuses = MOVES[action].sources
    else:
        statuses = DECIDE_STATUSES
    for status in statuses - {cert_request.status}:
        probe = copy.copy(cert_request)
        probe.status = status
        if action in allowed_actions(user, probe):
            return True
    return False


def require(user, action: str, cert_request) -> None:
    """Raise PermissionDenied (403) unless the user may take `action` now, or Overtaken when
    they could have in an earlier status of the letter."""
    if action in allowed_actions(user, cert_request):
        return
    if overtaken(user, action, cert_request):
        raise Overtaken(
            _(
                "Văn bản đã được xử lý hoặc đã chuyển sang bước khác: hiện ở trạng thái “%(status)s”."
            )
            % {"status": cert_request.get_status_display()},
            code="stale_status",
        )
    raise PermissionDenied
