"""Writes of an outbox (portal/outbox/__init__.py), shared by the e-mail and the webhook
outboxes (docs/mail.md §3, docs/webhooks.md §3). Each works on a row of an `OutboxItem` model
and reads what the outbox calls its statuses and fields from the model's `outbox`, its
settings from `<settings_prefix>_*`. Nothing here is locked while a receiver answers: a row is
claimed in one UPDATE, then the caller sends, then records the attempt."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.audit import audit_record
from portal.lib.backoff import doubling_backoff
from portal.outbox.models import ERROR_LENGTH, OutboxItem
from portal.outbox.querysets import PENDING

RETRY = "retry"
SKIPPED = "skipped"


class AttemptOutcome(Protocol):
    """What an outbox's sending says of one attempt."""

    ok: bool
    permanent: bool  # a refusal for good: no further attempt
    error: str
    duration_ms: int

    @property
    def code(self) -> int | None:
        """The receiver's reply code, if it answered."""


def _setting(row_or_model, name: str) -> int:
    return getattr(settings, f"{row_or_model.outbox.settings_prefix}_{name}")


def outbox_lease(model) -> timedelta:
    """How long a worker's claim holds (`<prefix>_LEASE_SECONDS`)."""
    return timedelta(seconds=_setting(model, "LEASE_SECONDS"))


def outbox_backoff(model, attempt_in_round: int) -> timedelta:
    """The wait after the n-th failed attempt of a round: `<prefix>_BACKOFF_SECONDS` doubled
    at each failure, at most `<prefix>_BACKOFF_MAX_SECONDS`."""
    return doubling_backoff(
        attempt_in_round,
        base=_setting(model, "BACKOFF_SECONDS"),
        most=_setting(model, "BACKOFF_MAX_SECONDS"),
    )


def _as_read(row: OutboxItem, now: datetime):
    """The row if it is still due and as it was read (attempts and limit): one another worker
    attempted, or a resend or replay reopened, since is left alone."""
    limit = row.outbox.limit
    return (
        type(row)
        .objects.due(now)
        .filter(pk=row.pk, attempts=row.attempts, **{limit: getattr(row, limit)})
    )


def outbox_claim(*, row: OutboxItem, now: datetime) -> bool:
    """Claim the next attempt at `row` in one UPDATE, before anything is sent: attempts + 1
    and the next attempt pushed a lease ahead, only if the row is still due and as it was
    read. True (and `row.attempts` counts the claimed attempt) when this caller holds it: a
    second worker or a redelivered task finds it claimed, and a worker that dies leaves it
    to the sweep once the lease runs out."""
    claimed = _as_read(row, now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + outbox_lease(row)
    )
    if claimed:
        row.attempts += 1
    return bool(claimed)


def outbox_attempt_record(
    *,
    row: OutboxItem,
    outcome: AttemptOutcome,
    started_at: datetime,
    on_retry: Callable[[int, timedelta], None],
) -> str:
    """Record the attempt `row.attempts` claimed by this caller (one attempt row, unique per
    row and number) and its outcome; the row's new status, or "retry":

    - a success marks the row done, even when the attempt outlasted its lease and another
      worker has claimed a further one since (that one's record finds it done), and from
      the statuses the outbox lists in `late_success_from`;
    - a permanent failure, or a failure of the round's last attempt, gives the row up
      (audited), unless another worker moved it on meanwhile;
    - any other failure waits the doubling backoff; `on_retry(pk, wait)` is called after the
      commit (to queue the retry with its countdown, or leave it to the sweep)."""
    outbox = row.outbox
    number = row.attempts
    now = timezone.now()
    code, error = outcome.code, outcome.error[:ERROR_LENGTH]
    model = type(row)
    mine = model.objects.filter(pk=row.pk, attempts=number, status=PENDING)
    with transaction.atomic():
        row.tries.create(
            number=number,
            started_at=started_at,
            duration_ms=outcome.duration_ms,
            error=error,
            **{outbox.code: code},
        )
        fields = {outbox.last_code: code, "last_error": error}
        if outcome.ok:
            model.objects.filter(pk=row.pk, status__in=outbox.late_success_from).update(
                status=outbox.done, **{outbox.done_at: now, outbox.given_up_at: None}, **fields
            )
            return str(outbox.done)
        if outcome.permanent or number >= getattr(row, outbox.limit):
            if mine.update(status=outbox.given_up, **{outbox.given_up_at: now}, **fields):
                audit_record(
                    actor=None,
                    action=outbox.given_up_action,
                    obj=row,
                    after={"attempts": number, outbox.code: code},
                    reason=error,
                )
            return str(outbox.given_up)
        in_round = number - (getattr(row, outbox.limit) - _setting(row, "MAX_ATTEMPTS"))
        wait = outbox_backoff(row, in_round)
        if mine.update(next_attempt_at=now + wait, **fields):
            transaction.on_commit(lambda: on_retry(row.pk, wait))
        return RETRY


def outbox_give_up(*, row: OutboxItem, now: datetime, reason: str) -> str:
    """Give up a due row whose attempts are all spent without an outcome recorded (workers
    that died while sending it), rather than claim it for ever; audited. The row's new status,
    or "skipped" when another worker moved it on meanwhile."""
    outbox = row.outbox
    with transaction.atomic():
        given_up = _as_read(row, now).update(
            status=outbox.given_up, **{outbox.given_up_at: now}, last_error=reason[:ERROR_LENGTH]
        )
        if not given_up:
            return SKIPPED
        audit_record(
            actor=None,
            action=outbox.given_up_action,
            obj=row,
            after={"attempts": row.attempts, outbox.code: None},
            reason=reason,
        )
    return str(outbox.given_up)


def outbox_sweep(
    *, model, now: datetime, limit: int, on_due: Callable[[Sequence[int]], None]
) -> list[int]:
    """Beat's safety net: the pending rows overdue by more than a lease (their message lost
    with the broker, their worker dead, their retry left to the sweep), at most `limit`, oldest
    first, handed to `on_due` after the commit. Each is marked due at `now` in the transaction
    that picks it (rows another sweep holds are skipped): the next sweeps leave it to that
    message for a lease instead of queueing it again every minute, while the worker still
    finds it due."""
    stale = now - outbox_lease(model)
    with transaction.atomic():
        due = list(
            model.objects.due(stale)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        model.objects.filter(pk__in=due).update(next_attempt_at=now)
        transaction.on_commit(lambda: on_due(due))
    return due
