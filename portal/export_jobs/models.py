"""An export job: a list export too large for a web request, built by the worker into a file
of the private export folder (docs/scale.md §12.5). Registered by portal/models.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportJobQuerySet(models.QuerySet):
    def owned_by(self, user):
        """A user's own jobs: nobody else sees a job, its progress or its file."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)

    def stalled(self, cutoff):
        """Queued or building without a sign of life since `cutoff` (a lost task, a dead
        worker)."""
        return self.filter(
            status__in=(ExportJob.Status.QUEUED, ExportJob.Status.BUILDING), touched_at__lt=cutoff
        )

    def expired(self, cutoff):
        """Created before `cutoff` and not expired yet: the sweep deletes their files."""
        return self.filter(created_at__lt=cutoff).exclude(status=ExportJob.Status.EXPIRED)


class ExportJob(models.Model):
    """A list page's export as its owner asked for it: the page (`path`) and its filters
    (`query`) frozen at the click, replayed by the worker for the owner, so the list's own
    FilterSet and `visible_to(owner)` decide the rows when the file is built."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        BUILDING = "building", _("Đang tạo tệp")
        READY = "ready", _("Sẵn sàng tải về")
        FAILED = "failed", _("Không tạo được tệp")
        EXPIRED = "expired", _("Đã hết hạn")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("danh sách"), max_length=255)
    # The list's path within the site (`request.path_info`: what `resolve` takes).
    path = models.CharField(_("trang danh sách"), max_length=255)
    query = models.TextField(_("bộ lọc"), blank=True)
    language = models.CharField(_("ngôn ngữ"), max_length=8, default="vi")
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    # Which claim of the job may write (a re-queued job's former worker may not).
    attempt = models.PositiveSmallIntegerField(_("lần chạy"), default=0)
    rows_total = models.PositiveIntegerField(_("số dòng ước tính"), default=0)
    rows_done = models.PositiveIntegerField(_("số dòng đã ghi"), default=0)
    # The file in the `exports` storage (empty until ready, again once expired) and its download
    # name.
    stored_name = models.CharField(_("tệp lưu"), max_length=100, blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("kích thước (byte)"), default=0)
    error = models.TextField(_("lỗi"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    touched_at = models.DateTimeField(_("lần cuối có tiến triển"), default=timezone.now)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("lần xuất Excel")
        verbose_name_plural = _("các lần xuất Excel")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["status", "touched_at"], name="portal_exportjob_sweep_idx"),
            models.Index(fields=["created_at"], name="portal_exportjob_created_idx"),
        ]
        constraints = [
            # A stored file belongs to one job, so its owner is the only one who can fetch it.
            models.UniqueConstraint(
                fields=["stored_name"],
                condition=~Q(stored_name=""),
                name="portal_exportjob_one_job_per_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(stored_name=""),
                name="portal_exportjob_ready_has_file",
                violation_error_message=_("Một lần xuất đã xong phải có tệp."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)

    @property
    def list_url(self) -> str:
        """The list page with the filters of the export (without `xuat`)."""
        query = QueryDict(self.query, mutable=True)
        query.pop("xuat", None)
        url = get_script_prefix() + self.path.lstrip("/")
        return f"{url}?{query.urlencode()}" if query else url
