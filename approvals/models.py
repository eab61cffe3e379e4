"""Approval requests: an irreversible action recorded by one person, carried out only once a
second person approves it (docs/approvals.md)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from approvals.choices import OPEN_STATUSES, RULED_ACTIONS, ApprovalAction, ApprovalStatus
from approvals.querysets import ApprovalQuerySet
from portal.models import TransitionLog


class ApprovalRule(models.Model):
    """Whether an action needs a second person, for one organisation (and all under it) or
    everywhere (no organisation); the most specific rule applies, and an action no rule names
    follows `approvals.choices.DEFAULT_RULES`. A rule's own change has no rule: it always needs
    a second person (`approvals.services.rule_changes`)."""

    action = models.CharField(_("thao tác"), max_length=48, choices=RULED_ACTIONS)
    organization = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("áp dụng cho cơ quan, tổ chức"),
        help_text=_("Để trống: áp dụng chung toàn quốc."),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    required = models.BooleanField(_("cần người thứ hai phê duyệt"), default=True)
    above = models.PositiveIntegerField(
        _("chỉ khi số đối tượng vượt quá"),
        default=0,
        help_text=_("0: mọi trường hợp. Ví dụ 50: thu hồi từ 51 chứng thư số trở lên."),
    )
    expires_hours = models.PositiveIntegerField(
        _("hết hạn chờ duyệt sau (giờ)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )

    class Meta:
        verbose_name = _("quy tắc phê duyệt")
        verbose_name_plural = _("quy tắc phê duyệt")
        constraints = [
            models.UniqueConstraint(
                fields=["action"],
                condition=Q(organization__isnull=True),
                name="approval_rule_one_national",
                violation_error_message=_("Đã có quy tắc chung cho thao tác này."),
            ),
            models.UniqueConstraint(
                fields=["action", "organization"],
                condition=Q(organization__isnull=False),
                name="approval_rule_one_per_organization",
                violation_error_message=_("Đã có quy tắc cho thao tác này tại cơ quan này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.organization or _('toàn quốc')}"


class Approval(models.Model):
    action = models.CharField(_("thao tác"), max_length=48, choices=ApprovalAction.choices)
    # What the request is about, as "<label>:<pk>" ("certificate:12", "bulk_job:3"): one open
    # request per object (constraint below).
    object_key = models.CharField(_("đối tượng"), max_length=64)
    object_label = models.CharField(_("đối tượng"), max_length=255)
    # What the kind's `run` needs beyond the object (a reason code, a role), never personal data.
    params = models.JSONField(default=dict, blank=True)
    count = models.PositiveIntegerField(_("số đối tượng"), default=1)
    organization = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan, tổ chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )  # fmt: skip
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đề nghị"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("đề nghị lúc"), auto_now_add=True)
    reason = models.TextField(_("lý do đề nghị"), max_length=1000)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người phê duyệt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("quyết định lúc"), null=True, blank=True)
    decision_note = models.TextField(_("ý kiến"), max_length=1000, blank=True)
    ran_at = models.DateTimeField(_("thực hiện lúc"), null=True, blank=True)
    outcome = models.TextField(_("kết quả"), blank=True)
    # Runs of the approved request claimed so far, counted on the locked row and committed
    # before its action runs, so that an action that raises (its work rolled back) or a worker
    # that dies still counts; past PORTAL_APPROVAL_RUN_MAX_ATTEMPTS the request fails
    # (approvals/services/running.py, docs/approvals.md).
    run_attempts = models.SmallIntegerField(_("số lần thực hiện"), default=0, editable=False)
    # The class of the last attempt's unexpected error, never its message (which may hold
    # personal data): what the page and the final outcome say. Cleared when the next attempt
    # is claimed, so an attempt whose worker died leaves none.
    run_error = models.CharField(
        _("lỗi của lần thực hiện gần nhất"), max_length=100, blank=True, editable=False
    )
    # When the last attempt was claimed (set with `run_attempts`, on the locked row): a claim
    # younger than PORTAL_APPROVAL_RUN_STALL_SECONDS is being run, or has just failed and
    # waits for the stall sweep, so another delivery neither counts nor fails it, and the
    # sweep waits that long after it (docs/approvals.md, "A run that keeps failing").
    run_claimed_at = models.DateTimeField(
        _("lần thực hiện gần nhất bắt đầu lúc"), null=True, blank=True, editable=False
    )

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("đề nghị phê duyệt")
        verbose_name_plural = _("đề nghị phê duyệt")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_key"],
                condition=Q(status__in=OPEN_STATUSES),
                name="approval_one_open_per_object",
                violation_error_message=_("Đã có một đề nghị phê duyệt đang mở cho đối tượng này."),
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="approval_not_by_requester",
                violation_error_message=_(
                    "Người đề nghị không thể tự quyết định đề nghị của mình."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=ApprovalStatus.REJECTED) | ~Q(decision_note=""),
                name="approval_rejection_has_reason",
                violation_error_message=_("Từ chối phải nêu lý do."),
            ),
            models.CheckConstraint(
                condition=Q(run_attempts__gte=0),
                name="approval_run_attempts_not_negative",
                violation_error_message=_("Số lần thực hiện không thể âm."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(status=ApprovalStatus.PENDING),
                name="approval_pending_idx",
            ),
            models.Index(fields=["requested_by", "requested_at"], name="approval_requester_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.get_action_display()} · {self.object_label}"


class ApprovalTransition(TransitionLog):
    """Append-only log of a request's status changes (who, when, from, to, note)."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=ApprovalStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ApprovalStatus.choices)
