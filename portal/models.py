from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.field_crypto import EncryptedBinaryField, EncryptedJSONField
from portal.lib.safetext import SafeJSONEncoder
from portal.texts import shown

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One append-only entry of the audit trail, chained to the previous one by its keyed hash.

    Rows are written only by `portal.audit.audit_record`; the database refuses UPDATE and
    DELETE (migration 0002), and `portal.audit.audit_verify` detects what slips past that.
    `actor` has no database constraint, so deleting a user never touches this table;
    `actor_label` keeps the username as it was.
    """

    seq = models.BigIntegerField(_("số thứ tự"), unique=True, editable=False)
    occurred_at = models.DateTimeField(_("thời điểm"), db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    actor_label = models.CharField(_("tên đăng nhập"), max_length=150, blank=True)
    action = models.CharField(_("hành động"), max_length=100, db_index=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=100, blank=True)
    object_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True)
    before = models.JSONField(_("trước"), null=True, blank=True, encoder=SafeJSONEncoder)
    after = models.JSONField(_("sau"), null=True, blank=True, encoder=SafeJSONEncoder)
    reason = models.TextField(_("lý do"), blank=True)
    request_id = models.CharField(_("mã yêu cầu HTTP"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    prev_hash = models.CharField(_("mã băm trước"), max_length=64)
    # HMAC-SHA256 of the event under the key `key_id` names; plain sha256 for the events
    # written before the chain was keyed (`key_id` empty). See docs/architecture.md §6.
    hash = models.CharField(_("mã băm"), max_length=64)
    key_id = models.CharField(_("mã khóa"), max_length=16, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("sự kiện nhật ký hoạt động")
        verbose_name_plural = _("nhật ký hoạt động")
        ordering = ["seq"]
        # Nobody adds, changes or deletes audit events through permissions: only audit_record.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="portal_audit_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="portal_audit_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The single row holding the last sequence number and hash of the audit chain.

    Without it, deleting the newest events would leave a shorter chain that still verifies.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("đầu chuỗi nhật ký")
        verbose_name_plural = _("đầu chuỗi nhật ký")
        default_permissions = ()
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="portal_audit_head_single_row"),
        ]

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class CalendarOverride(models.Model):
    """One official change to the working-day calendar that the `holidays` library lacks.

    A row wins over the library for its date: `is_working_day=False` turns a working day off
    (a swapped day, an extra day of Tết for civil servants), `True` turns a weekend or library
    holiday into a working day (a Saturday worked in exchange). See `portal.workdays`.
    """

    date = models.DateField(_("ngày"), unique=True)
    is_working_day = models.BooleanField(
        _("là ngày làm việc"),
        default=False,
        help_text=_("Bỏ chọn nếu là ngày nghỉ; chọn nếu là ngày làm bù (ví dụ thứ Bảy làm bù)."),
    )
    note = models.CharField(
        _("ghi chú"),
        max_length=255,
        blank=True,
        help_text=_(
            "Ví dụ: “Nghỉ bù”, “Làm bù thứ Bảy”, kèm số văn bản của cơ quan có thẩm quyền."
        ),
    )

    class Meta:
        verbose_name = _("ngày điều chỉnh lịch làm việc")
        verbose_name_plural = _("lịch làm việc điều chỉnh")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("làm việc") if self.is_working_day else _("nghỉ")
        return f"{self.date:%d/%m/%Y} ({kind})"


class Notification(models.Model):
    """An in-app notice to one user (e-mailed too, see portal.notifications)."""

    class Kind(models.TextChoices):
        """The kinds the notification centre filters on; other notices leave `kind` empty."""

        AWAITING_HEAD = "awaiting_head", _("Văn bản chờ ký")
        RENEWAL = "renewal", _("Gia hạn chứng thư")
        RENEWAL_OVERTAKEN = "renewal_overtaken", _("Gia hạn không còn thực hiện được")
        DEADLINE = "deadline", _("Thời hạn xử lý")
        PROCESSING_FAILED = "processing_failed", _("Xử lý thất bại")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # The text in the default language (e-mail, search, rows from before `message_data`) and
    # the message as data, shown in the reader's language (portal/texts.py).
    message = models.CharField(_("nội dung"), max_length=500)
    message_data = models.JSONField(
        _("nội dung (mã và tham số)"), default=dict, db_default={}, blank=True
    )
    url = models.CharField(_("liên kết"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    # What the notice is about and why, as plain data (this floor knows no app above it):
    # subject "letter:12", "certificate:7", "deadline:3"; kind "awaiting_head", "renewal", ...
    subject = models.CharField(_("đối tượng"), max_length=64, blank=True, default="")
    kind = models.CharField(_("loại"), max_length=32, blank=True, default="")
    # Subject, kind and threshold ("certificate:7:renewal:60"): a sweep that runs twice, or two
    # sweeps at once, insert the same key and the constraint keeps one (docs/processing.md §4).
    key = models.CharField(_("khóa"), max_length=120, blank=True, default="")
    # Set when the reason has passed (the letter was signed, the device handed over).
    closed_at = models.DateTimeField(_("đã đóng lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            models.Index(
                fields=["kind", "subject"],
                condition=Q(closed_at__isnull=True),
                name="notification_open_subject_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~Q(key=""),
                name="notification_unique_user_key",
                violation_error_message=_("Thông báo này đã được gửi cho người dùng."),
            ),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def text(self) -> str:
        """The message in the reader's language (its stored text for rows from before)."""
        return shown(self.message_data, self.message)


class NotificationPreference(models.Model):
    """How a user wants to be told: e-mail for each notice, a daily digest. No row: defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("gửi thư điện tử cho từng thông báo"), default=True)
    daily_digest = models.BooleanField(_("gửi bản tổng hợp hằng ngày"), default=False)

    class Meta:
        verbose_name = _("tùy chọn thông báo")
        verbose_name_plural = _("tùy chọn thông báo")
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.user)


class DigestSent(models.Model):
    """One daily digest per user and day: the constraint makes the digest task idempotent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("ngày"))
    sent_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="portal_digest_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day:%d/%m/%Y}"


class DeadlineQuerySet(models.QuerySet):
    def late(self) -> "DeadlineQuerySet":
        """Past their due date and not met: overdue, or already escalated."""
        return self.filter(state__in=[Deadline.State.OVERDUE, Deadline.State.ESCALATED])

    def of_subject(self, subject: str, kinds) -> "DeadlineQuerySet":
        """The deadlines of one subject ("letter:12"), oldest first; `kinds` lets the
        (kind, subject, due_on) constraint's index find them."""
        return self.filter(kind__in=kinds, subject=subject).order_by("opened_at", "pk")


class Deadline(models.Model):
    """One time limit someone must meet (docs/processing.md §4.9): opened, met and escalated
    set-based by the beat sweeps of the app that owns the subject.

    It lives on the ground floor so one sweep escalates every kind; the subject ("letter:12",
    "obligation:3", "certificate:7") and the organisations are plain data, since this floor
    imports no app above it.
    """

    class Kind(models.TextChoices):
        PROVINCE_REVIEW = "province_review", _("Sở KH&CN xem xét")
        CA_PROCESSING = "ca_processing", _("CA xử lý (3 ngày làm việc)")
        RECOVERY = "recovery", _("Khôi phục thiết bị (1 ngày làm việc)")
        DEVICE_RETURN = "device_return", _("Bàn giao lại thiết bị (5 ngày làm việc)")
        DEMAND_RESPONSE = "demand_response", _("Gửi đăng ký nhu cầu chứng thư số")

    class State(models.TextChoices):
        OPEN = "open", _("Đang trong hạn")
        MET = "met", _("Đã hoàn thành")
        OVERDUE = "overdue", _("Quá hạn")
        ESCALATED = "escalated", _("Đã báo cấp trên")

    class Actor(models.TextChoices):
        """Who must act, lowest first: the escalation ladder climbs this order."""

        CLERK = "agency_clerk", _("Cán bộ đầu mối cơ quan")
        HEAD = "agency_head", _("Lãnh đạo cơ quan")
        PROVINCE = "provincial_officer", _("Sở KH&CN")
        CA = "ca_operator", _("CA")

    kind = models.CharField(_("loại hạn"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("đối tượng"), max_length=64)
    label = models.CharField(_("tên"), max_length=255, blank=True)
    url = models.CharField(_("liên kết"), max_length=255, blank=True)
    due_on = models.DateField(_("hạn"))
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=State.choices, default=State.OPEN
    )
    actor = models.CharField(_("bên phải xử lý"), max_length=20, choices=Actor.choices)
    # The agency the subject belongs to (agencies.Organization id, plain data on this floor).
    agency_id = models.BigIntegerField(_("cơ quan"))
    # Overdue steps already escalated: 0 in time, 1 the day after the due date, ...
    level = models.PositiveSmallIntegerField(_("bậc nhắc"), default=0)
    opened_at = models.DateTimeField(_("mở lúc"), default=timezone.now)
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("thời hạn")
        verbose_name_plural = _("thời hạn")
        ordering = ["due_on", "pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(
                fields=["state", "due_on"],
                condition=Q(closed_at__isnull=True),
                name="portal_deadline_open_idx",
            ),
        ]
        constraints = [
            # A letter forwarded again gets a new due date, so a new deadline; a sweep that
            # runs twice inserts the same (kind, subject, due_on) and keeps one.
            models.UniqueConstraint(
                fields=["kind", "subject", "due_on"], name="portal_deadline_once_per_due_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.due_on:%d/%m/%Y}"


class ImportJobQuerySet(models.QuerySet):
    def owned_by(self, user):
        """A user's own jobs: nobody else sees an upload or its parsed rows. Without the file:
        its pages poll the job, and reading it would decrypt up to megabytes each time."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user).defer("content")

    def of(self, kind: str, target_id: int | None = None):
        jobs = self.filter(kind=kind)
        return jobs if target_id is None else jobs.filter(target_id=target_id)

    def unfinished(self):
        """Not final yet (queued, parsing, ready for preview, being confirmed or saved): the
        job may still write to its target (docs/retention.md)."""
        return self.exclude(status__in=ImportJob.FINAL)

    def stalled(self, cutoff):
        """Waiting for the worker or in its hands (parse or save) without a sign of life since
        `cutoff` (a lost task, a dead worker): docs/processing.md §4.7."""
        return self.filter(status__in=ImportJob.RUNNING, touched_at__lt=cutoff)

    def expired(self, cutoff):
        """Created before `cutoff` and not final yet: discarded by the sweep."""
        return self.filter(created_at__lt=cutoff).exclude(
            status__in=(ImportJob.Status.CONFIRMED, ImportJob.Status.DISCARDED)
        )


class ImportJob(models.Model):
    """One uploaded spreadsheet on its way from the upload to the confirmation
    (docs/processing.md §4.7).

    The ground floor holds the file and the parse's outcome; what a row means belongs to the
    app whose `kind` it is (its task parses, its page previews, its service writes). The
    target (a letter) is plain data: this floor knows nothing of the apps above it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ xử lý")
        PARSING = "parsing", _("Đang đọc và kiểm tra tệp")
        READY = "ready", _("Sẵn sàng xem trước")
        # Confirmed by its owner, waiting for the worker to write it; then being written.
        CONFIRMING = "confirming", _("Đang chờ ghi")
        SAVING = "saving", _("Đang ghi")
        FAILED = "failed", _("Không đọc được tệp")
        CONFIRMED = "confirmed", _("Đã xác nhận")
        DISCARDED = "discarded", _("Đã huỷ hoặc hết hạn")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("loại nhập"), max_length=40)
    target_id = models.PositiveBigIntegerField(_("mã đối tượng"), null=True, blank=True)
    file_name = models.CharField(_("tên tệp"), max_length=255)
    # The .xlsx itself, at most portal.lib.xlsx.MAX_BYTES (checked before the job is saved);
    # emptied once parsed, confirmed, discarded or expired. Encrypted: its rows list ID
    # numbers (docs/privacy-at-rest.md).
    content = EncryptedBinaryField(_("nội dung tệp"), default=b"", blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    # Which claim of the job may write (a re-queued job's former worker may not).
    attempt = models.PositiveSmallIntegerField(_("lần chạy"), default=0)
    rows_total = models.PositiveIntegerField(_("số dòng"), default=0)
    rows_done = models.PositiveIntegerField(_("số dòng đã kiểm tra"), default=0)
    # The parsed rows (ID numbers, dates, phones) until confirmed: encrypted like the fields
    # they end in (docs/privacy-at-rest.md).
    result = EncryptedJSONField(_("kết quả"), default=dict, blank=True, encoder=SafeJSONEncoder)
    error = models.TextField(_("lỗi"), blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    touched_at = models.DateTimeField(_("lần cuối có tiến triển"), default=timezone.now)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("lần nhập tệp")
        verbose_name_plural = _("các lần nhập tệp")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["status", "touched_at"], name="portal_importjob_sweep_idx"),
            models.Index(fields=["owner", "kind", "target_id"], name="portal_importjob_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="portal_importjob_done_within_total",
                violation_error_message=_("Số dòng đã kiểm tra vượt quá số dòng của tệp."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    RUNNING = (Status.QUEUED, Status.PARSING, Status.CONFIRMING, Status.SAVING)
    # Nothing more happens to a job in these statuses (the retention sweep may delete it).
    FINAL = (Status.CONFIRMED, Status.DISCARDED, Status.FAILED)

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING


class IdempotencyKey(models.Model):
    """A POST made with an `Idempotency-Key` header (portal/api/idempotency.py): the first one
    inserts this row, and the unique (user, key) constraint decides which of two concurrent
    requests acts; a retry gets the stored response. Kept 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The response replayed for 24 hours, a letter's rows included: encrypted
    # (docs/privacy-at-rest.md).
    body = EncryptedJSONField(null=True, blank=True, encoder=SafeJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="portal_idempotency_one_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.key}"


class ProcessHeartbeatQuerySet(models.QuerySet):
    def seen(self, kind: str, *, within: int, name: str = "") -> "ProcessHeartbeatQuerySet":
        """The processes of `kind` (named `name`, if given) seen in the last `within` seconds,
        by name."""
        found = self.filter(kind=kind, seen_at__gte=timezone.now() - timedelta(seconds=within))
        return (found.filter(name=name) if name else found).order_by("name")


class ProcessHeartbeat(models.Model):
    """A Celery worker's or beat's last sign of life, one row per process name, written every
    few seconds and read by `manage.py heartbeat_check` (docs/deployment.md, "Health")."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("Tiến trình xử lý nền (Celery worker)")
        BEAT = "beat", _("Tiến trình lập lịch (Celery beat)")

    name = models.CharField(_("tiến trình"), max_length=200, unique=True)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    seen_at = models.DateTimeField(_("tín hiệu cuối"))

    objects = ProcessHeartbeatQuerySet.as_manager()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} {timezone.localtime(self.seen_at):%d/%m/%Y %H:%M:%S}"


class WorkLeaseQuerySet(models.QuerySet):
    def live(self, now=None) -> "WorkLeaseQuerySet":
        """Leases not yet run out: their worker renewed them within the lease."""
        return self.filter(expires_at__gt=now or timezone.now())

    def on(self, model: type[models.Model], object_id) -> "WorkLeaseQuerySet":
        """Leases held on the object `object_id` (a value or `OuterRef("pk")`) of `model`."""
        return self.filter(kind=model._meta.label_lower, object_id=object_id)


def worked_on(model: type[models.Model], now=None) -> models.Exists:
    """For a queryset of `model`: whether a worker holds a live lease on the row, that is,
    is carrying it out right now (docs/processing.md §4.5). The stall sweeps exclude those."""
    return models.Exists(WorkLease.objects.live(now).on(model, models.OuterRef("pk")))


class WorkLease(models.Model):
    """A worker's word that it is carrying some work out right now (docs/processing.md §4.5):
    taken when a run starts, renewed from a heartbeat thread every third of
    PORTAL_WORK_LEASE_SECONDS while it runs (however long one step takes), deleted when the
    run ends. Work with a live lease is never taken for stalled; a worker killed leaves its
    lease to run out, and only then is its work queued again. One row per run: two runs of
    the same work (a message delivered twice) hold one each."""

    kind = models.CharField(max_length=64)  # the work's model, `app_label.model`
    object_id = models.BigIntegerField()
    holder = models.CharField(max_length=200)  # host:pid and the run's random part
    taken_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = WorkLeaseQuerySet.as_manager()

    class Meta:
        default_permissions = ()
        indexes = [
            models.Index(fields=["kind", "object_id", "expires_at"], name="work_lease_live_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.holder}"


# Export jobs live in their own package (docs/scale.md §12.5); imported here so Django
# registers the model with the portal app.
class TransitionLog(models.Model):
    """The append-only log of a workflow object's status changes (who, when, from, to, note),
    the one shape of every lifecycle (docs/architecture.md §3): a workflow's log adds the link
    to its object and its statuses as `from_status` and `to_status`."""

    action = models.CharField(max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


from portal.export_jobs.models import ExportJob  # noqa: E402, F401
