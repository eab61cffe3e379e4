"""Bulk jobs: one action on everything a register's filter found, snapshotted as items when
the job is confirmed and carried out in batches by a worker (docs/bulk.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bulk.choices import BulkAction, ItemStatus, JobStatus, Register
from bulk.querysets import BulkItemQuerySet, BulkJobQuerySet


class BulkJob(models.Model):
    register = models.CharField(
        _("sổ"), max_length=24, choices=Register.choices, default=Register.CERTIFICATES
    )
    action = models.CharField(_("thao tác"), max_length=24, choices=BulkAction.choices)
    # The filter as the register's FilterSet reads it (certificates.filters), a query string.
    query = models.TextField(_("bộ lọc"), blank=True)
    # What the action needs: the revocation's Art. 17 case ({"reason": "..."}).
    params = models.JSONField(_("tham số"), default=dict, blank=True)
    reason = models.TextField(_("lý do"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("trạng thái"), max_length=24, choices=JobStatus.choices)
    total = models.PositiveIntegerField(_("số đối tượng"), default=0)
    done_count = models.PositiveIntegerField(_("đã thực hiện"), default=0)
    failed_count = models.PositiveIntegerField(_("không thực hiện được"), default=0)
    skipped_count = models.PositiveIntegerField(_("bỏ qua"), default=0)
    created_at = models.DateTimeField(_("lập lúc"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life of the worker; a queued or running job without one for
    # PORTAL_PROCESSING_STALL_SECONDS is queued again by beat (bulk_jobs_sweep).
    progress_at = models.DateTimeField(null=True, blank=True)
    approval = models.ForeignKey(
        "approvals.Approval", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why it ended as it did (a rejected approval, an error), in words.
    outcome = models.TextField(_("kết quả"), blank=True)
    # The times a worker claimed it (docs/bulk.md, "Guarantees"): counted on the locked job in
    # a transaction of its own, so a batch that raises and is rolled back leaves the count;
    # past PORTAL_BULK_MAX_ATTEMPTS the job ends failed instead of being queued again.
    attempts = models.SmallIntegerField(_("số lần thực hiện"), default=0, editable=False)

    objects = BulkJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("việc hàng loạt")
        verbose_name_plural = _("việc hàng loạt")
        indexes = [
            models.Index(fields=["status", "progress_at"], name="bulk_job_status_progress_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__gte=0),
                name="bulk_job_attempts_not_negative",
                violation_error_message=_("Số lần thực hiện không thể âm."),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_action_display()}"

    @property
    def processed(self) -> int:
        return self.done_count + self.failed_count + self.skipped_count

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100


class BulkItem(models.Model):
    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    object_id = models.BigIntegerField(_("đối tượng"))
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    message = models.CharField(_("ghi chú"), max_length=500, blank=True, default="")

    objects = BulkItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("đối tượng của việc hàng loạt")
        verbose_name_plural = _("đối tượng của việc hàng loạt")
        constraints = [
            # One item per object and job: a resumed job never takes an object twice.
            models.UniqueConstraint(fields=["job", "object_id"], name="bulk_item_one_per_object")
        ]
        indexes = [models.Index(fields=["job", "status", "object_id"], name="bulk_item_todo_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.object_id} {self.status}"


class BulkLetter(models.Model):
    """The draft letter a drafting job made for one agency (docs/bulk.md, "Drafting
    letters"): one per job and agency, so a job run again (its worker killed, its task
    delivered twice) adds its rows to the same letter and never drafts a second."""

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="letters")
    agency = models.ForeignKey("agencies.Organization", on_delete=models.PROTECT, related_name="+")
    cert_request = models.OneToOneField(
        "requests_app.CertRequest", on_delete=models.CASCADE, related_name="bulk_origin"
    )

    class Meta:
        verbose_name = _("văn bản lập từ việc hàng loạt")
        verbose_name_plural = _("văn bản lập từ việc hàng loạt")
        constraints = [
            models.UniqueConstraint(fields=["job", "agency"], name="bulk_letter_one_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.job_id} → {self.cert_request_id}"
