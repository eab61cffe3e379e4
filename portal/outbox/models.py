"""The abstract rows of an outbox (portal/outbox/__init__.py): the fields both outboxes share,
and what each one calls the rest of its lifecycle (`Outbox`), so that the helpers of
portal/outbox/services.py work on either table. Fields, names, indexes and constraints are
those the tables already have: a concrete model keeps its own status field (its choices), its
own names for the fields that differ, and names its index and constraint itself."""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.outbox.querysets import PENDING

ERROR_LENGTH = 500


@dataclass(frozen=True)
class Outbox:
    """What an outbox calls the parts of the shared lifecycle (`OutboxItem.outbox`)."""

    done: str  # the status of a row delivered ("sent", "delivered")
    given_up: str  # the status of a row given up ("failed", "dead")
    limit: str  # the attempt number after which a failure gives the row up
    done_at: str
    given_up_at: str
    last_code: str  # the row's last reply code
    code: str  # the attempt's reply code (also the audit's name for it)
    given_up_action: str  # the audit action of a row given up
    # The settings `<prefix>_MAX_ATTEMPTS`, `_BACKOFF_SECONDS`, `_BACKOFF_MAX_SECONDS` and
    # `_LEASE_SECONDS` (config/settings.py), read at each use.
    settings_prefix: str
    # The statuses a success recorded late (after its lease) still turns into `done`.
    late_success_from: tuple[str, ...] = (PENDING,)


class OutboxItem(models.Model):
    """A row of an outbox: written in the transaction of the change it tells of, attempted by
    a worker after the commit. The concrete model adds `status` (with `PENDING` among its
    choices), the fields `outbox` names, and `objects` from `OutboxQuerySet`; its attempts are
    an `OutboxAttempt` model with `related_name="tries"`."""

    attempts = models.PositiveIntegerField(_("số lần đã gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("lần gửi tới"))
    last_error = models.CharField(_("lỗi cuối"), max_length=ERROR_LENGTH, blank=True)

    outbox: Outbox

    class Meta:
        abstract = True


class OutboxAttempt(models.Model):
    """One try at an outbox's row: when, how long, and the error if any (the reply code is
    the concrete model's, named by `Outbox.code`)."""

    number = models.PositiveIntegerField(_("lần"))
    started_at = models.DateTimeField(_("lúc"))
    duration_ms = models.PositiveIntegerField(_("thời gian (ms)"), default=0)
    error = models.CharField(_("lỗi"), max_length=ERROR_LENGTH, blank=True)

    class Meta:
        abstract = True
        ordering = ["number"]


def pending_due_index(name: str) -> models.Index:
    """The partial index the workers and the sweep read rows due by."""
    return models.Index(fields=["next_attempt_at"], condition=Q(status=PENDING), name=name)


def one_attempt_per_number(row: str, name: str) -> models.UniqueConstraint:
    """One attempt row per (row, number): two workers never record the same attempt."""
    return models.UniqueConstraint(
        fields=[row, "number"],
        name=name,
        violation_error_message=_("Lần gửi này đã được ghi."),
    )
