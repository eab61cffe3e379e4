"""A merger plan: the sources, the case, the target and the effective date; one planned
action per certificate, device and open letter it touches (docs/domain.md §6)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgmerge.choices import ActionKind, MergerCase, PlanStatus
from orgmerge.querysets import MergerPlanQuerySet, PlannedActionQuerySet
from portal.lib.safetext import SafeJSONEncoder
from portal.models import TransitionLog


class MergerPlan(models.Model):
    case = models.CharField(_("trường hợp"), max_length=1, choices=MergerCase.choices)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # The province whose officers plan and review it; empty for a province-level merger,
    # which only administrators plan.
    province = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("tỉnh, thành phố"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # (a) the new organisation's name; (b) the survivor; (c) the new superior body.
    target_name = models.CharField(_("tên cơ quan mới"), max_length=255, blank=True)
    target = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan tiếp nhận"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merger_plans_received",
    )
    effective_on = models.DateField(_("ngày có hiệu lực"))
    # The editable choices: which organisation certificate survives, who leaves.
    kept_certificate = models.ForeignKey(
        "certificates.Certificate",
        verbose_name=_("chứng thư tổ chức được giữ lại"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leaving_person_ids = models.JSONField(default=list, blank=True, encoder=SafeJSONEncoder)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày lập"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Applying: the last sign of life of the worker (a plan stuck in "applying" is queued
    # again by beat) and how far it got.
    progress_at = models.DateTimeField(null=True, blank=True, editable=False)
    progress_note = models.CharField(max_length=255, blank=True, editable=False)

    objects = MergerPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("phương án sáp nhập")
        verbose_name_plural = _("phương án sáp nhập")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(case="a") | ~Q(target_name=""),
                name="merger_new_name_has_name",
                violation_error_message=_("Trường hợp (a) cần tên cơ quan mới."),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Phương án sáp nhập')} #{self.pk}"


class MergerSource(models.Model):
    plan = models.ForeignKey(MergerPlan, on_delete=models.CASCADE, related_name="sources")
    organization = models.ForeignKey(
        "agencies.Organization", on_delete=models.PROTECT, related_name="merger_sources"
    )
    # True while the plan is draft or applying: backs "one open plan per organisation".
    is_open = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("cơ quan được sáp nhập")
        verbose_name_plural = _("cơ quan được sáp nhập")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "organization"],
                name="merger_source_once_per_plan",
                violation_error_message=_("Cơ quan này đã có trong phương án."),
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_open=True),
                name="merger_one_open_plan_per_source",
                violation_error_message=_("Cơ quan này đang thuộc một phương án sáp nhập khác."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.organization_id}"


class PlannedAction(models.Model):
    plan = models.ForeignKey(MergerPlan, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("việc cần làm"), max_length=16, choices=ActionKind.choices)
    # The source organisation (top of the merged subtree) the thing belongs to: the
    # per-organisation breakdown of the preview.
    source = models.ForeignKey("agencies.Organization", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merger_actions",
    )
    person = models.ForeignKey(
        "agencies.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(
        "devices.Device", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    letter = models.ForeignKey(
        "requests_app.CertRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(max_length=48, blank=True)
    note = models.CharField(max_length=255, blank=True)

    objects = PlannedActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("việc trong phương án")
        verbose_name_plural = _("việc trong phương án")
        ordering = ["plan", "source", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "certificate"],
                condition=Q(certificate__isnull=False),
                name="merger_one_action_per_certificate",
                violation_error_message=_("Mỗi chứng thư chỉ có một việc trong phương án."),
            ),
            models.UniqueConstraint(
                fields=["plan", "device"],
                condition=Q(device__isnull=False, kind=ActionKind.RETURN_DEVICE),
                name="merger_one_return_per_device",
                violation_error_message=_("Mỗi thiết bị chỉ được thu hồi một lần."),
            ),
            models.UniqueConstraint(
                fields=["plan", "letter"],
                condition=Q(letter__isnull=False),
                name="merger_one_move_per_letter",
                violation_error_message=_("Mỗi hồ sơ chỉ được chuyển một lần."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.kind}"


class MergerApplication(models.Model):
    """What applying a plan created, one per plan: the unique plan makes a second application
    (a redelivered task, a double click) fail instead of applying twice."""

    plan = models.OneToOneField(MergerPlan, on_delete=models.PROTECT, related_name="application")
    target = models.ForeignKey("agencies.Organization", on_delete=models.PROTECT, related_name="+")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict, encoder=SafeJSONEncoder)

    class Meta:
        verbose_name = _("kết quả sáp nhập")
        verbose_name_plural = _("kết quả sáp nhập")

    def __str__(self) -> str:
        return f"{self.plan_id} → {self.target_id}"


class PlanTransition(TransitionLog):
    """Append-only log of a plan's status changes (who, when, from, to, note)."""

    plan = models.ForeignKey(MergerPlan, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=PlanStatus.choices)
    to_status = models.CharField(max_length=16, choices=PlanStatus.choices)
