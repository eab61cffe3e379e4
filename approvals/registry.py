"""What each kind of approval does once approved, registered by the app that owns the action
(docs/approvals.md): the apps above register theirs in their `AppConfig.ready`, this app the
accounts' own (`approvals.kinds`). The approvals app never imports them: it calls what they
registered."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from portal.errors import DomainError


@dataclass(frozen=True)
class ApprovalKind:
    action: str
    # Roles whose holders may approve: the CA operator's and the administrator's anywhere, an
    # organisation's roles for the request's organisation (agencies.access.Scope.holds).
    approver_roles: tuple[str, ...]
    # Carries the action out as its requester, inside the run's transaction:
    # run(approval, requester, approver) -> the outcome in words. A DomainError fails the
    # request with its message, changing nothing else; any other error rolls the action back
    # and the run is tried again, PORTAL_APPROVAL_RUN_MAX_ATTEMPTS times in all
    # (approvals/services/running.py).
    run: Callable
    # Where the object can be seen (the approver's page links to it); "" when nowhere.
    url: Callable = lambda approval: ""
    # Called when the request ends without running (rejected, expired, withdrawn), inside that
    # move's transaction: what waited for it is released (a bulk job cancelled).
    closed: Callable = lambda approval: None
    # What the requests are about, the part of `object_key` before ":" ("bulk_job"): one
    # action may have kinds for several objects (a bulk job, a registered revocation); ""
    # for a kind that serves every object of its action.
    object_type: str = ""


_KINDS: dict[tuple[str, str], ApprovalKind] = {}


def approval_kind_register(kind: ApprovalKind) -> None:
    _KINDS[(kind.action, kind.object_type)] = kind


def approval_kind(action: str, object_key: str = "") -> ApprovalKind:
    """The kind carrying out `action` on the object named by `object_key`: the one registered
    for its type, else the action's general one."""
    object_type = object_key.partition(":")[0]
    kind = _KINDS.get((action, object_type)) or _KINDS.get((action, ""))
    if kind is None:
        raise DomainError(
            _("Thao tác “%(action)s” không thuộc diện phê duyệt.") % {"action": action},
            code="unknown_action",
        )
    return kind


def approval_kinds() -> dict[tuple[str, str], ApprovalKind]:
    return dict(_KINDS)


# What open requests hold beyond their own object (docs/approvals.md, "One open request per
# object"): a bulk job's request holds its certificates, a registration's its certificates.
# Per object type ("certificate"), the functions the owning apps register: ids → (object id,
# request id) pairs, for those of `ids` that an open (pending or approved) request acts on.
_HOLDERS: dict[str, list[Callable]] = {}


def approval_holder_register(object_type: str, holder: Callable) -> None:
    holders = _HOLDERS.setdefault(object_type, [])
    if holder not in holders:
        holders.append(holder)


def approval_holders(object_type: str) -> list[Callable]:
    return list(_HOLDERS.get(object_type, ()))
