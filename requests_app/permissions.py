"""Who may take which action on a letter: decided here and nowhere else (DESIGN §2.9).

Views call `require()` after fetching the letter through `visible_to` (out of scope → 404);
an in-scope user without the right gets 403. Nobody approves a letter they drafted.
"""

from django.core.exceptions import PermissionDenied

from agencies.access import scope_for
from agencies.choices import Role
from requests_app.choices import EDITABLE_STATUSES, PROVINCE_PROCESSED_FORMS, Status
from requests_app.querysets import CA_FORMS

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
        if cert_request.form in PROVINCE_PROCESSED_FORMS:
            actions.add("process")
        else:
            actions.add("forward")
    if status == Status.FORWARDED and scope.is_ca and cert_request.form in CA_FORMS and not own:
        actions |= {"return", "refuse", "decide_rows", "process"}
    return actions


def require(user, action: str, cert_request) -> None:
    if action not in allowed_actions(user, cert_request):
        raise PermissionDenied
