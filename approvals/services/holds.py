"""Whether an object is already held by an open approval request (docs/approvals.md, "One
open request per object"): while a request waits (or is being carried out), nobody acts on
its object by another path, whatever the rules say by then; the action is refused with the
number of the request. The caller decides on the object's locked row (or its owner's), in
the transaction that acts, so a request recorded at the same moment waits for that lock."""

from django.utils.translation import gettext as _

from approvals.models import Approval
from approvals.registry import approval_holders
from portal.errors import DomainError


def approval_open_for(object_key: str) -> Approval | None:
    """The open request whose object is `object_key`, if any."""
    return Approval.objects.open_for(object_key).first()


def _refusal(approval: Approval, label: str) -> DomainError:
    return DomainError(
        _(
            "%(object)s đang chờ phê duyệt theo đề nghị #%(pk)s (%(action)s): chưa thể thực "
            "hiện thao tác khác trên đối tượng này. Hãy chờ kết quả đề nghị đó, hoặc người đề "
            "nghị rút lại đề nghị."
        )
        % {"object": label, "pk": approval.pk, "action": approval.get_action_display()},
        code="approval_open",
    )


def approval_refuse_open(*, object_key: str, object_label: str) -> None:
    """Refuse acting at once on `object_key` while a request on it is open."""
    approval = approval_open_for(object_key)
    if approval is not None:
        raise _refusal(approval, object_label)


def approvals_holding(*, object_type: str, ids) -> dict[int, Approval]:
    """Of the objects of `object_type` numbered `ids`, those an open request acts on (a bulk
    job's request on its certificates), each with that request. One query per holder, and
    one for the requests."""
    ids = list(ids)
    pairs: dict[int, int] = {}
    for holder in approval_holders(object_type):
        for object_id, approval_id in holder(ids):
            pairs.setdefault(object_id, approval_id)
    if not pairs:
        return {}
    found = Approval.objects.open_for_any(set(pairs.values())).in_bulk()
    return {object_id: found[pk] for object_id, pk in pairs.items() if pk in found}


def approvals_refuse_holding(*, object_type: str, ids, label) -> None:
    """Refuse acting on objects an open request holds, naming the first of them
    (`label(object id)` → its name) and the request."""
    held = approvals_holding(object_type=object_type, ids=ids)
    if held:
        object_id = min(held)
        raise _refusal(held[object_id], label(object_id))
