"""Moving a letter by the lifecycle table, decided under the lock (docs/architecture.md §3).

Every service that acts on a letter does so inside `acting()`: it locks the letter's row
(`select_for_update`), checks the actor's right, the action's required reason and the
letter's own rules on the *locked* row, and only then lets the service change it; `move()`
writes the new status, an append-only `Transition` and the audit event, whose "before" is
the locked value, and, for the moves other systems are told of, the webhook event (the
table's `webhook`), all in the move's transaction. Of two people acting at once exactly one moves the letter; the other is
told someone acted first.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import DomainError
from requests_app import extensions
from requests_app.lifecycle import ACTIONS
from requests_app.models import CertRequest, Transition
from requests_app.permissions import require
from webhooks.services import webhook_event_record


def require_reason(note: str) -> None:
    if not (note or "").strip():
        raise DomainError(_("Hãy ghi rõ lý do."), code="note_required")


def lock(cert_request):
    """The letter's row, locked until the end of the current transaction."""
    # `of`: the letter's row only, never its agency's (which every insert pointing at the
    # agency must share-lock: locking it would serialise them and deadlock with the worker).
    return (
        CertRequest.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=cert_request.pk)
    )


@contextmanager
def acting(
    cert_request, name: str, *, by, note: str = "", check: Callable | None = None
) -> Iterator:
    """Lock the letter and decide `by`'s action `name` on it; yield the locked letter.

    `check(locked)` applies the letter's own rules (rows valid, contact complete…) and raises
    DomainError to refuse. Everything the body writes commits with the decision, or nothing.
    """
    with transaction.atomic():
        locked = lock(cert_request)
        action = require(by, name, locked)
        if action.reason_required:
            require_reason(note)
        if check is not None:
            check(locked)
        if name == "edit":
            # Whatever the body changes (the contact, rows added, edited, deleted or imported)
            # is a change of the draft: the retention sweep keeps a draft changed within its
            # period, judged by `updated_at` (docs/retention.md).
            locked.updated_at = timezone.now()
            CertRequest.objects.filter(pk=locked.pk).update(updated_at=locked.updated_at)
        yield locked
    _refresh(cert_request, locked)


def move(locked, name: str, *, by, note: str = "", **fields) -> None:
    """Move the locked letter by action `name` (checked by `acting`, or a move of the portal
    itself), recording the transition and the audit event."""
    action = ACTIONS[name]
    before = locked.status
    if before not in action.sources:
        raise DomainError(
            _("Không thể “%(action)s”: văn bản đang ở trạng thái “%(status)s”.")
            % {"action": action.label, "status": locked.get_status_display()},
            code="stale_status",
        )
    locked.status = action.target
    for name_, value in fields.items():
        setattr(locked, name_, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    transition = Transition.objects.create(
        cert_request=locked,
        from_status=before,
        to_status=action.target,
        action=name,
        by=by,
        note=note,
    )
    audit_record(
        actor=by,
        action=f"cert_request.{name}",
        obj=locked,
        before={"status": before},
        after={"status": action.target, **{k: str(v) for k, v in fields.items()}},
        reason=note,
    )
    # what the floors above do on a move, in its transaction (a letter that came from
    # another system tells its sender: docs/exchange.md)
    extensions.moved(locked, name, by=by, note=note)
    if action.webhook:
        webhook_event_record(
            type=action.webhook,
            key=f"cert_request:{locked.pk}:transition:{transition.pk}",
            organization_id=locked.agency_id,
            data={
                "letter_id": locked.pk,
                "form": locked.form,
                "number": locked.number,
                "action": name,
                "status": action.target,
                "previous_status": before,
            },
        )


def _refresh(cert_request, locked) -> None:
    """Give the caller's object the locked row's values (it may be shown right after)."""
    if cert_request is not locked:
        cert_request.__dict__.update(
            {f.attname: getattr(locked, f.attname) for f in locked._meta.concrete_fields}
        )
