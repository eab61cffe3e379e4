"""A letter (Mẫu 01–06) and its rows, and the log of its status changes (docs/domain.md §3,
docs/architecture.md §3)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from agencies.validators import (
    budget_code_validator,
    mobile_validator,
    national_id_validator,
    tax_code_validator,
    validate_birth_date,
    validate_issue_date,
    validate_official_email,
)
from devices.choices import DeviceKind
from portal.field_crypto import BlindIndexField, EncryptedCharField, EncryptedDateField
from portal.lib.labels import ChoiceLabels
from portal.models import WorkLease
from requests_app.choices import (
    ChangeField,
    FormKind,
    KeyStorage,
    Outcome,
    SimCarrier,
    Status,
)
from requests_app.decisions import decision_of
from requests_app.querysets import (
    CertRequestQuerySet,
    RequestRowQuerySet,
    stall_cutoff,
)


class CertRequest(ChoiceLabels, models.Model):
    """One letter (công văn) of a Mẫu 01–06 kind, with many rows."""

    form = models.CharField(_("mẫu"), max_length=2, choices=FormKind.choices)
    agency = models.ForeignKey(
        "agencies.Organization",
        verbose_name=_("cơ quan đề nghị"),
        on_delete=models.PROTECT,
        related_name="cert_requests",
    )
    status = models.CharField(  # found by `req_status_due_idx` (status first)
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    subject = models.CharField(_("trích yếu (V/v)"), max_length=255, blank=True)
    # Mẫu 01's variant for remote signing (docs/remote-signing.md): every row's key pair is
    # generated in the CA's HSM, no device or carrier; set when the letter is made.
    remote_signing = models.BooleanField(_("ký số tập trung"), default=False, editable=False)

    # Section 1: contact / receiving person (Mẫu 06: the person assisting the recovery).
    contact_name = models.CharField(_("họ và tên người liên hệ"), max_length=128, blank=True)
    # ID number, dates and phones encrypted at rest (docs/privacy-at-rest.md).
    contact_national_id = EncryptedCharField(
        _("số định danh cá nhân"),
        max_length=12,
        blank=True,
        validators=[national_id_validator],
        blind_index="contact_national_id_index",
    )
    contact_national_id_index = BlindIndexField(db_index=False)  # `req_contact_id_idx`
    contact_id_issue_date = EncryptedDateField(
        _("ngày cấp"), null=True, blank=True, validators=[validate_issue_date]
    )
    contact_id_issue_place = models.CharField(_("nơi cấp"), max_length=128, blank=True)
    contact_position = models.CharField(_("chức vụ"), max_length=128, blank=True)
    contact_agency = models.CharField(_("cơ quan công tác"), max_length=255, blank=True)
    contact_mobile = EncryptedCharField(
        _("số điện thoại di động"), max_length=10, blank=True, validators=[mobile_validator]
    )
    contact_email = models.EmailField(
        _("thư điện tử công vụ"), blank=True, validators=[validate_official_email]
    )
    delivery_address = models.CharField(_("địa chỉ nhận"), max_length=255, blank=True)
    # The letter's "Nơi nhận", one recipient a line, as the clerk wrote it; blank = the
    # default list (requests_app.documents.default_recipients; docs/domain.md §3.2).
    recipients = models.TextField(_("nơi nhận"), max_length=1000, blank=True)

    # Set when the agency head signs and numbers the letter.
    number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    # The head signs the issued letter with their own device (at the desk, or outside and
    # uploaded); the signed PDF is a LetterDocument of kind "signed" (docs/documents.md §8).

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người soạn"),
        on_delete=models.PROTECT,
        related_name="drafted_requests",
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)
    forwarded_at = models.DateTimeField(_("chuyển CA lúc"), null=True, blank=True)
    received_on = models.DateField(_("ngày tiếp nhận"), null=True, blank=True)
    due_on = models.DateField(_("hạn xử lý"), null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    # The last sign of life of the letter's processing (started, a chunk committed, queued
    # again): a letter in process without one for a while is stalled (services.processing).
    progress_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The attempts at processing queued since the processor's click or retry (the click, each
    # requeue by the stall sweep or a resume); past PORTAL_PROCESSING_MAX_ATTEMPTS the letter
    # is "processing failed" (services.processing). Decided on the locked row.
    processing_attempts = models.PositiveSmallIntegerField(
        _("số lần xử lý"), default=0, editable=False
    )
    # Why the last attempt failed, as safe text for the page (docs/processing.md §4.5).
    processing_error = models.CharField(_("lỗi xử lý"), max_length=500, blank=True, editable=False)
    # When the retention sweep replaced the personal fields of the letter and its rows by
    # neutral values, its period over (docs/retention.md); empty until then.
    deidentified_at = models.DateTimeField(
        _("ẩn danh hoá lúc"), null=True, blank=True, editable=False
    )
    # The data subject's correction request this Mẫu 04 was drafted for (docs/privacy.md,
    # "The data subject's rights"); read from the request as `change_letter`.
    correction_request = models.OneToOneField(
        "privacy.CorrectionRequest",
        verbose_name=_("yêu cầu đính chính"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_letter",
        editable=False,
    )

    objects = CertRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản đề nghị")
        verbose_name_plural = _("văn bản đề nghị")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remote_signing=False) | Q(form=FormKind.ISSUE_PERSON),
                name="req_remote_signing_is_mau_01",
                violation_error_message=_("Chỉ Mẫu 01 có biến thể ký số tập trung."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="req_status_due_idx"),
            models.Index(
                fields=["progress_at"],
                condition=Q(status="in_process"),
                name="req_in_process_progress_idx",
            ),
            # What the CA sees (`visible_to`), newest first as its lists page through it.
            models.Index(
                fields=["-created_at"],
                condition=Q(forwarded_at__isnull=False),
                name="req_reached_ca_idx",
            ),
            # The letters list's order, newest first, walked by its cursor
            # (docs/scale.md §12.2).
            models.Index(fields=["created_at", "id"], name="req_created_idx"),
            # The agencies of the letters waiting at the CA, for its queue's agency filter,
            # read from the index alone (docs/scale.md §12.2).
            models.Index(
                fields=["agency", "form"],
                condition=Q(
                    forwarded_at__isnull=False,
                    status__in=["forwarded", "in_process", "processing_failed"],
                ),
                name="req_at_ca_agency_idx",
            ),
            models.Index(  # never looked up by "": no entry for a letter without the ID
                fields=["contact_national_id_index"],
                condition=~Q(contact_national_id_index=""),
                name="req_contact_id_idx",
            ),
        ]

    def __str__(self) -> str:
        number = self.number or _("(chưa có số)")
        return f"{self.get_form_display()} {number}"

    def get_form_display(self) -> str:
        """The form's name; Mẫu 01's remote-signing variant says so."""
        label = self._get_FIELD_display(self._meta.get_field("form"))
        if self.remote_signing:
            return _("%(form)s sử dụng ký số tập trung") % {"form": label}
        return label

    @cached_property
    def processed_by_province(self) -> bool:
        """Whether the Sở KH&CN processes the letter itself (Mẫu 04, Mẫu 06 for USB tokens)
        rather than forwarding it to the CA (docs/domain.md §4)."""
        if self.form == FormKind.RENEW_CHANGE:
            return True
        if self.form == FormKind.RECOVER_DEVICE:
            return not self.rows.exclude(device__kind=DeviceKind.USB_TOKEN).exists()
        return False

    def contact_missing(self) -> list[str]:
        """The required fields of section 1 (the contact) still empty: a recovery's helper
        needs no e-mail (docs/domain.md §3)."""
        required = ["contact_name", "contact_mobile"]
        if self.form != FormKind.RECOVER_DEVICE:
            required.append("contact_email")
        return [name for name in required if not getattr(self, name)]

    @property
    def draft_author_id(self) -> int | None:
        """The user whose draft this is (its drafter while it is a draft), None once it is
        submitted: they see its values unmasked (docs/privacy.md §6)."""
        return self.created_by_id if self.status == Status.DRAFT else None

    @property
    def is_stalled(self) -> bool:
        """In process with no sign of life within PORTAL_PROCESSING_STALL_SECONDS, and no
        worker holding a live lease on it (docs/processing.md §4.5)."""
        if self.status != Status.IN_PROCESS:
            return False
        if self.progress_at is not None and self.progress_at >= stall_cutoff():
            return False
        leased = self.__dict__.get("work_leased")  # a queue's annotation (with_queue_figures)
        if leased is None:
            leased = WorkLease.objects.live().on(CertRequest, self.pk).exists()
        return not leased


def _link(to, *, related_name="+", **kwargs) -> models.ForeignKey:
    """A row's optional link to another record, looked up only by a value: indexed where it holds
    one (`LINKS`), so that a row changed writes fewer index entries (docs/retention.md §6)."""
    return models.ForeignKey(to, related_name=related_name, **OPTIONAL_LINK, **kwargs)


OPTIONAL_LINK = {"null": True, "blank": True, "on_delete": models.PROTECT, "db_index": False}
LINKS = ("person", "subject_organization", "certificate", "device", "decided_by")
LINKS += ("result_certificate", "result_device")  # each indexed as "row_<name>_idx"


class RequestRow(ChoiceLabels, models.Model):
    """One row of a letter's table: the union of the Mẫu 01–06 columns.

    Which columns a form uses is `requests_app.columns.FORM_COLUMNS`; each row has its own
    outcome and links to the certificate or device it acted on or produced.
    """

    cert_request = models.ForeignKey(  # found by `row_position_unique` (letter first)
        CertRequest, models.CASCADE, related_name="rows", verbose_name=_("văn bản"), db_index=False
    )
    position = models.PositiveIntegerField(_("STT"))

    # Mẫu 01: a person.
    person = _link("agencies.Person")
    full_name = models.CharField(_("họ và tên"), max_length=128, blank=True)
    date_of_birth = EncryptedDateField(
        _("ngày sinh"), null=True, blank=True, validators=[validate_birth_date]
    )
    national_id = EncryptedCharField(
        _("số định danh cá nhân"),
        max_length=12,
        blank=True,
        validators=[national_id_validator],
        blind_index="national_id_index",
    )
    national_id_index = BlindIndexField(db_index=False)  # `row_national_id_idx`
    # Set by an Excel import that put back the leading zero of an 11-digit number cell;
    # cleared when the clerk saves the row. The letter cannot be submitted while it is set
    # (`rules.confirmation_errors`, docs/domain.md §5.8).
    national_id_unconfirmed = models.BooleanField(
        _("số định danh chưa xác nhận"), default=False, editable=False
    )
    id_issue_date = EncryptedDateField(
        _("ngày cấp"), null=True, blank=True, validators=[validate_issue_date]
    )
    id_issue_place = models.CharField(_("nơi cấp"), max_length=128, blank=True)
    position_title = models.CharField(_("chức vụ"), max_length=128, blank=True)
    mobile = EncryptedCharField(
        _("số điện thoại di động"), max_length=10, blank=True, validators=[mobile_validator]
    )
    old_serial = models.CharField(_("số hiệu chứng thư cũ"), max_length=40, blank=True)
    sim_carrier = models.CharField(
        _("SIM PKI (nhà mạng)"), max_length=16, choices=SimCarrier.choices, blank=True
    )
    sim_keep_number = models.BooleanField(_("chuyển số hiện tại (/cs)"), default=False)

    # Mẫu 02 / 03: an organisation, or a device, service or software.
    subject_organization = _link("agencies.Organization")
    organization_name = models.CharField(_("tên cơ quan, tổ chức"), max_length=255, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    tax_code = models.CharField(
        _("mã số thuế"), max_length=14, blank=True, validators=[tax_code_validator]
    )
    budget_code = models.CharField(
        _("mã quan hệ ngân sách"), max_length=7, blank=True, validators=[budget_code_validator]
    )
    service_name = models.CharField(
        _("tên thiết bị, dịch vụ, phần mềm"), max_length=255, blank=True
    )
    service_version = models.CharField(_("phiên bản"), max_length=64, blank=True)
    domain_or_ip = models.CharField(_("tên miền hoặc địa chỉ IP"), max_length=255, blank=True)
    purpose = models.CharField(_("mục đích sử dụng"), max_length=255, blank=True)
    key_storage = models.CharField(
        _("nơi lưu khóa"), max_length=16, choices=KeyStorage.choices, blank=True
    )

    # Shared by several forms.
    email = models.EmailField(
        _("thư điện tử công vụ"), blank=True, validators=[validate_official_email]
    )
    work_agency = models.CharField(_("cơ quan, tổ chức công tác"), max_length=255, blank=True)
    province_name = models.CharField(_("tỉnh, thành phố"), max_length=128, blank=True)

    # Mẫu 04 / 05 / 06: the certificate or device acted on.
    certificate = _link(
        "certificates.Certificate", related_name="request_rows", verbose_name=_("chứng thư")
    )
    device = _link("devices.Device", related_name="request_rows", verbose_name=_("thiết bị"))
    renew = models.BooleanField(_("gia hạn"), default=False)
    change_info = models.BooleanField(_("thay đổi thông tin"), default=False)
    change_field = models.CharField(
        _("thông tin cần thay đổi"), max_length=32, choices=ChangeField.choices, blank=True
    )
    new_value = models.CharField(_("thông tin mới"), max_length=255, blank=True)
    revoke_reason = models.CharField(_("lý do thu hồi"), max_length=48, blank=True)

    # Outcome, per row.
    outcome = models.CharField(
        _("kết quả"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_note = models.CharField(_("lý do, ghi chú"), max_length=500, blank=True)
    decided_by = _link(settings.AUTH_USER_MODEL)
    decided_at = models.DateTimeField(null=True, blank=True)
    result_certificate = _link(
        "certificates.Certificate",
        related_name="produced_by_rows",
        verbose_name=_("chứng thư kết quả"),
    )
    result_device = _link(
        "devices.Device", related_name="produced_by_rows", verbose_name=_("thiết bị kết quả")
    )
    # True while the row's letter is open and the row is not final: backs the
    # "one open request per certificate / device" constraints below.
    is_open = models.BooleanField(default=True, editable=False)

    objects = RequestRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("dòng đề nghị")
        verbose_name_plural = _("dòng đề nghị")
        ordering = ["cert_request", "position"]
        # The links (`_link`) and the blind index are never looked up as empty: each index
        # holds the rows that have a value, fewer entries to write for each row changed.
        indexes = [
            *(
                models.Index(
                    fields=[f], condition=Q(**{f"{f}__isnull": False}), name=f"row_{f}_idx"
                )
                for f in LINKS
            ),
            models.Index(
                fields=["national_id_index"],
                condition=~Q(national_id_index=""),
                name="row_national_id_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(is_open=True, certificate__isnull=False),
                name="row_one_open_request_per_certificate",
                violation_error_message=_(
                    "Chứng thư này đang có một đề nghị khác chưa xử lý xong."
                ),
            ),
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(is_open=True, device__isnull=False),
                name="row_one_open_request_per_device",
                violation_error_message=_("Thiết bị này đang có một đề nghị khác chưa xử lý xong."),
            ),
            models.UniqueConstraint(
                fields=["cert_request", "position"],
                name="row_position_unique",
                violation_error_message=_("Số thứ tự bị trùng trong văn bản."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cert_request_id}/{self.position}"

    @property
    def decision(self) -> tuple[str, str]:
        """(state, label) of the row as people read it: who decided what.

        The Sở's acceptance goes back to pending when the letter is forwarded (the CA decides
        again, docs/domain.md §4), so a pending row the Sở accepted before the forwarding reads
        "Sở KH&CN đã chấp nhận", not "Chờ xem xét". A decision after the forwarding is the
        CA's. A refusal of the whole letter has no decider and keeps the plain label.
        """
        letter = self.cert_request
        decided = self.decided_by_id is not None and self.decided_at is not None
        by_province = decided and (
            letter.forwarded_at is None or self.decided_at <= letter.forwarded_at
        )
        return decision_of(letter, self.outcome, decided=decided, by_province=by_province)


class Transition(models.Model):
    """Append-only log of a letter's status changes (who, when, from, to, note)."""

    cert_request = models.ForeignKey(
        CertRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    action = models.CharField(max_length=32)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("lịch sử xử lý")
        verbose_name_plural = _("lịch sử xử lý")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
