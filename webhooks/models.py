"""Signed webhooks (docs/webhooks.md): the transactional outbox (`Event`, written in the
transaction of the change it tells of), the subscriptions an administrator keeps, and one
`Delivery` per event and subscription with every `DeliveryAttempt` it took."""

import base64
import secrets
import uuid

from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Organization
from portal.outbox.models import (
    Outbox,
    OutboxAttempt,
    OutboxItem,
    one_attempt_per_number,
    pending_due_index,
)
from webhooks.choices import DeliveryStatus, EventType
from webhooks.querysets import DeliveryQuerySet, EventQuerySet, SubscriptionQuerySet

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class Subscription(models.Model):
    """Another system's endpoint: which events it wants, of which part of the tree.

    An event reaches it only when the event's organisation lies at or below `organization`
    (a province: everything in the province); without one it sees the whole country, as the CA
    does. Created and changed by administrators only (the Django admin)."""

    name = models.CharField(_("tên hệ thống nhận"), max_length=200)
    url = models.URLField(
        _("địa chỉ nhận (URL)"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Chỉ http:// hoặc https://; không theo chuyển hướng."),
    )
    secret = models.CharField(
        _("khóa bí mật"),
        max_length=100,
        default=new_secret,
        help_text=_("Trao cho hệ thống nhận để kiểm tra chữ ký (whsec_…)."),
    )
    event_types = models.JSONField(_("loại sự kiện"), default=list)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("phạm vi tổ chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        help_text=_("Để trống: toàn quốc (như Cục CTS&BMTT)."),
    )
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("đăng ký webhook")
        verbose_name_plural = _("đăng ký webhook")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def reaches(self, event: "Event") -> bool:
        """Whether this subscription is active and `covers` the event."""
        return self.is_active and self.covers(event)

    def covers(self, event: "Event") -> bool:
        """Whether `event` is of a wanted type and inside this subscription's subtree, and
        happened after the subscription was made (active or not). Checked again at sending and
        at replay: an administrator may have narrowed the subscription since the fan-out."""
        if event.type not in self.event_types:
            return False
        if event.occurred_at < self.created_at:
            return False
        if self.organization_id is None:
            return True
        return event.organization is not None and event.organization.is_within(self.organization)


class Event(models.Model):
    """One row of the outbox, written in the transaction of the change it tells of: rolled
    back with it, committed with it. `key` makes recording idempotent (a repeated sweep
    records nothing twice)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("loại"), max_length=40, choices=EventType.choices)
    key = models.CharField(max_length=150, unique=True)
    occurred_at = models.DateTimeField(_("lúc"))
    # The organisation whose subtree the event belongs to (the letter's or certificate's agency,
    # the obligation's). No database constraint: an event outlives a merged organisation.
    organization = models.ForeignKey(
        Organization,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    data = models.JSONField(default=dict)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("sự kiện webhook")
        verbose_name_plural = _("sự kiện webhook")
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(fanned_out_at__isnull=True),
                name="webhook_event_not_fanned_out",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.key}"

    @property
    def message_id(self) -> str:
        """The `webhook-id`: the same for every attempt and every subscriber."""
        return f"msg_{self.uid.hex}"


class Delivery(OutboxItem):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("trạng thái"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    # The attempt number after which a failure sends the delivery to the dead letters
    # (PORTAL_WEBHOOK_MAX_ATTEMPTS from its start, or from its replay).
    dead_after = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(_("gửi được lúc"), null=True, blank=True)
    dead_at = models.DateTimeField(_("thất bại lúc"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("mã trả lời cuối"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()
    # Its lifecycle is the outbox's (portal/outbox): PORTAL_WEBHOOK_MAX_ATTEMPTS,
    # PORTAL_WEBHOOK_BACKOFF_SECONDS, PORTAL_WEBHOOK_BACKOFF_MAX_SECONDS,
    # PORTAL_WEBHOOK_LEASE_SECONDS.
    outbox = Outbox(
        done=DeliveryStatus.DELIVERED,
        given_up=DeliveryStatus.DEAD,
        limit="dead_after",
        done_at="delivered_at",
        given_up_at="dead_at",
        last_code="last_status_code",
        code="status_code",
        given_up_action="webhook_delivery.dead",
        settings_prefix="PORTAL_WEBHOOK",
    )

    class Meta:
        verbose_name = _("lượt gửi webhook")
        verbose_name_plural = _("lượt gửi webhook")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"],
                name="webhook_one_delivery_per_event_and_subscription",
                violation_error_message=_("Sự kiện này đã có lượt gửi cho đăng ký này."),
            )
        ]
        indexes = [pending_due_index("webhook_delivery_pending_due")]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.subscription}"


class DeliveryAttempt(OutboxAttempt):
    """One try: what the receiver answered (status code) or why nothing was answered."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    status_code = models.PositiveIntegerField(_("mã trả lời"), null=True, blank=True)

    class Meta(OutboxAttempt.Meta):
        verbose_name = _("lần gửi webhook")
        verbose_name_plural = _("lần gửi webhook")
        constraints = [one_attempt_per_number("delivery", "webhook_one_attempt_per_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:60]}"
