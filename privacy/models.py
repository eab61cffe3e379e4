"""The register of personal-data incidents (Law 91/2025/QH15, Decree 356/2025/NĐ-CP;
docs/privacy.md): each incident, the 72-hour clock to notify the authority, and its
append-only transitions (recorded → notified → closed); and the requests of data subjects to
correct their own record (submitted → corrected, or letter drafted, or rejected)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.field_crypto import EncryptedCharField
from portal.models import AuditEvent, TransitionLog
from portal.texts import shown
from privacy.choices import (
    DATE_FIELDS,
    AccessChannel,
    CorrectableField,
    CorrectionStatus,
    DataCategory,
    IncidentStatus,
)
from privacy.querysets import AccessQuerySet, CorrectionRequestQuerySet, IncidentQuerySet

# The authority must be told within 72 hours of the incident being detected.
NOTIFY_WITHIN = timedelta(hours=72)


class Incident(models.Model):
    title = models.CharField(_("tên sự cố"), max_length=200)
    detected_at = models.DateTimeField(_("thời điểm phát hiện"))
    occurred_at = models.DateTimeField(_("thời điểm xảy ra (nếu biết)"), null=True, blank=True)
    categories = models.JSONField(_("loại dữ liệu cá nhân bị ảnh hưởng"), default=list)
    subjects_count = models.PositiveIntegerField(_("số chủ thể dữ liệu bị ảnh hưởng (ước tính)"))
    description = models.TextField(_("mô tả sự cố"), max_length=5000)
    consequences = models.TextField(
        _("hậu quả, thiệt hại có thể xảy ra"), max_length=5000, blank=True
    )
    measures = models.TextField(_("biện pháp đã và sẽ thực hiện"), max_length=5000)
    contact = models.CharField(
        _("người phụ trách, thông tin liên hệ"), max_length=255,
        help_text=_("Họ tên, chức vụ, điện thoại, thư điện tử của người phụ trách xử lý sự cố."),
    )  # fmt: skip
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=IncidentStatus.choices,
        default=IncidentStatus.RECORDED,
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    notified_at = models.DateTimeField(_("đã thông báo lúc"), null=True, blank=True)
    notice_reference = models.CharField(
        _("số, ngày văn bản thông báo hoặc cách gửi"), max_length=255, blank=True
    )
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("sự cố dữ liệu cá nhân")
        verbose_name_plural = _("sự cố dữ liệu cá nhân")
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=IncidentStatus.RECORDED) | Q(notified_at__isnull=False),
                name="privacy_incident_notified_has_time",
                violation_error_message=_("Sự cố đã thông báo phải có thời điểm thông báo."),
            ),
            models.CheckConstraint(
                condition=~Q(status=IncidentStatus.CLOSED) | Q(closed_at__isnull=False),
                name="privacy_incident_closed_has_time",
                violation_error_message=_("Sự cố đã kết thúc phải có thời điểm kết thúc."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.title}"

    @property
    def notify_by(self):
        """The deadline to notify the authority: 72 hours after detection."""
        return self.detected_at + NOTIFY_WITHIN

    def time_left(self, now=None) -> timedelta:
        """Until the deadline (negative: overdue); counted to the notification once sent."""
        return self.notify_by - (self.notified_at or now or timezone.now())

    def clock(self, now=None) -> tuple[str, str]:
        """The 72-hour clock as (state, text): "running", "overdue", "in_time" or "late"."""
        left = self.time_left(now)
        minutes = int(abs(left.total_seconds()) // 60)
        span = _("%(hours)d giờ %(minutes)d phút") % {
            "hours": minutes // 60,
            "minutes": minutes % 60,
        }
        if self.notified_at is not None:
            if left.total_seconds() >= 0:
                return "in_time", str(_("Đã thông báo đúng hạn"))
            return "late", str(_("Đã thông báo chậm %(span)s") % {"span": span})
        if left.total_seconds() >= 0:
            return "running", str(_("Còn %(span)s") % {"span": span})
        return "overdue", str(_("Quá hạn %(span)s") % {"span": span})

    @property
    def category_labels(self) -> list[str]:
        labels = dict(DataCategory.choices)
        return [str(labels.get(value, value)) for value in self.categories]


class IncidentTransition(TransitionLog):
    """Append-only log of an incident's status changes (who, when, from, to, note)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    to_status = models.CharField(max_length=16, choices=IncidentStatus.choices)


class CorrectionRequest(models.Model):
    """A person asks their agency to correct one field of their record (docs/privacy.md,
    "The data subject's rights"). The new value is kept encrypted (it may be an ID number or a
    date of birth, docs/privacy-at-rest.md), as canonical text: an ISO date for the dates."""

    person = models.ForeignKey(
        "agencies.Person",
        verbose_name=_("cá nhân"),
        on_delete=models.PROTECT,
        related_name="correction_requests",
    )
    field = models.CharField(
        _("thông tin cần đính chính"), max_length=32, choices=CorrectableField.choices
    )
    new_value = EncryptedCharField(_("thông tin đúng"), max_length=255)
    reason = models.TextField(_("lý do, căn cứ"), max_length=1000)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=CorrectionStatus.choices,
        default=CorrectionStatus.SUBMITTED,
    )  # fmt: skip
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("gửi lúc"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)
    # The clerk's reason for a rejection, or their note on a correction.
    decision_note = models.TextField(_("ý kiến xử lý"), max_length=1000, blank=True)

    objects = CorrectionRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("yêu cầu đính chính dữ liệu cá nhân")
        verbose_name_plural = _("yêu cầu đính chính dữ liệu cá nhân")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "field"],
                condition=Q(status=CorrectionStatus.SUBMITTED),
                name="privacy_correction_one_open_per_field",
                violation_error_message=_(
                    "Bạn đã có một yêu cầu đính chính thông tin này đang chờ xử lý."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status=CorrectionStatus.SUBMITTED) | Q(decided_at__isnull=False),
                name="privacy_correction_decided_has_time",
                violation_error_message=_("Yêu cầu đã xử lý phải có thời điểm xử lý."),
            ),
            models.CheckConstraint(
                condition=~Q(status=CorrectionStatus.REJECTED) | ~Q(decision_note=""),
                name="privacy_correction_rejection_has_reason",
                violation_error_message=_("Từ chối yêu cầu đính chính phải nêu lý do."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status=CorrectionStatus.SUBMITTED),
                name="privacy_correction_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.get_field_display()}"

    @property
    def new_value_display(self) -> str:
        """The new value as people read it: a date as dd/mm/yyyy."""
        if self.field in DATE_FIELDS and self.new_value:
            year, month, day = self.new_value.split("-")
            return f"{day}/{month}/{year}"
        return self.new_value


class CorrectionTransition(TransitionLog):
    """Append-only log of a correction request's status changes (who, when, from, to, note)."""

    correction = models.ForeignKey(
        CorrectionRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=16, choices=CorrectionStatus.choices)
    to_status = models.CharField(max_length=16, choices=CorrectionStatus.choices)


class Access(models.Model):
    """One access to personal data beyond the masked view: a value shown in full, an export or
    a document with full values, an API read, a subject reading their own data
    (docs/privacy.md §access log). Written once, never changed: its event in the audit chain
    carries the same facts and a digest of the subjects, so a row changed or deleted behind
    the portal's back is found (`privacy.access.access_verify`)."""

    at = models.DateTimeField(_("thời điểm"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người truy cập"), null=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        db_index=False,  # privacy_access_actor_at serves it
    )  # fmt: skip
    actor_label = models.CharField(_("tên đăng nhập"), max_length=150, blank=True)
    channel = models.CharField(_("cách truy cập"), max_length=16, choices=AccessChannel.choices)
    # the inventory's keys ("agencies.Person.national_id") of the fields shown in full
    fields = models.JSONField(_("trường dữ liệu"), default=list)
    # The reason as written (a person's own words), or in the default language when the portal
    # gives it (a subject's download); then `reason_data` holds it as data too, shown in the
    # reader's language (portal/texts.py). Both are in the audit event.
    reason = models.TextField(_("lý do"), blank=True)
    reason_data = models.JSONField(
        _("lý do (mã và tham số)"), default=dict, db_default={}, blank=True
    )
    object_type = models.CharField(_("loại đối tượng"), max_length=100, blank=True)
    object_id = models.CharField(_("mã đối tượng"), max_length=64, blank=True)
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True)
    subjects_count = models.PositiveIntegerField(_("số chủ thể"))
    event = models.OneToOneField(
        AuditEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    objects = AccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("lượt truy cập dữ liệu cá nhân")
        verbose_name_plural = _("nhật ký truy cập dữ liệu cá nhân")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["actor", "-at"], name="privacy_access_actor_at"),
            # The officer's search (privacy/filters.py), newest first within each condition:
            # a username typed whole or as a prefix (LIKE 'x%' needs the pattern operators
            # unless the database's collation is C), a channel, an object.
            models.Index(
                fields=["actor_label", "-at", "-id"],
                opclasses=["varchar_pattern_ops", "timestamptz_ops", "int8_ops"],
                name="privacy_access_label_at",
            ),
            models.Index(fields=["channel", "-at", "-id"], name="privacy_access_channel_at"),
            models.Index(
                fields=["object_type", "object_id", "-at", "-id"], name="privacy_access_object_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} · {self.get_channel_display()} · {self.at:%d/%m/%Y %H:%M}"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language (as written when a person wrote it)."""
        return shown(self.reason_data, self.reason)


class AccessSubject(models.Model):
    """Whose data one access showed: the person when the record names one, and the keyed blind
    index of the ID number (docs/privacy-at-rest.md) so that a subject also finds the accesses
    to letters' rows not linked to their person record."""

    access = models.ForeignKey(Access, on_delete=models.DO_NOTHING, related_name="subjects")
    person = models.ForeignKey(
        "agencies.Person", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", db_index=False,  # privacy_accsubj_person serves it
    )  # fmt: skip
    id_index = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "access"], name="privacy_accsubj_person"),
            models.Index(fields=["id_index", "access"], name="privacy_accsubj_index"),
        ]

    def __str__(self) -> str:
        return f"{self.access_id} · {self.person_id or '—'}"
