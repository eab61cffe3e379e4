"""Outgoing e-mail (docs/mail.md): a transactional outbox like the webhooks' one. An
`OutgoingMail` row is written in the transaction of the change it tells of (a letter signed and
issued), with its recipient, subject, body and references to the stored files it carries; a
task sends it after the commit, and each `MailAttempt` keeps what the mail server answered."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mailing.choices import MailPurpose, MailStatus
from mailing.querysets import OutgoingMailQuerySet

ERROR_LENGTH = 500


class OutgoingMail(models.Model):
    # What the mail is about, as "<model>:<id>" ("cert_request:42"): this app sits below the
    # apps whose objects it mails, so it names them instead of pointing at them.
    about = models.CharField(_("về"), max_length=100)
    # The issuance (the letter's number) whose files it carries: a letter returned, corrected
    # and issued again is mailed again, with its new files.
    issuance = models.CharField(_("lần ban hành"), max_length=64, blank=True)
    purpose = models.CharField(_("mục đích"), max_length=40, choices=MailPurpose.choices)
    recipient = models.EmailField(_("người nhận"))
    recipient_name = models.CharField(_("tên người nhận"), max_length=300, blank=True)
    subject = models.CharField(_("tiêu đề"), max_length=500)
    body = models.TextField(_("nội dung"))
    # [{"name": "Mau01_12-STC-CKS_2026-03-05.pdf", "sha256": "…", "extension": ".pdf",
    #   "content_type": "application/pdf"}, …]: files of the documents' storage, read at
    # sending (never rendered again).
    attachments = models.JSONField(_("tệp đính kèm"), default=list)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("số lần đã gửi"), default=0)
    # The attempt number after which a temporary failure is given up (PORTAL_MAIL_MAX_ATTEMPTS
    # from its start, or from a resend).
    give_up_after = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(_("lần gửi tới"))
    sent_at = models.DateTimeField(_("gửi được lúc"), null=True, blank=True)
    failed_at = models.DateTimeField(_("thất bại lúc"), null=True, blank=True)
    last_smtp_code = models.PositiveIntegerField(_("mã trả lời cuối"), null=True, blank=True)
    last_error = models.CharField(_("lỗi cuối"), max_length=ERROR_LENGTH, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("thư điện tử gửi đi")
        verbose_name_plural = _("thư điện tử gửi đi")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["about", "issuance", "recipient", "purpose"],
                name="mail_one_per_object_recipient_purpose",
                violation_error_message=_("Thư này đã được lập cho người nhận này."),
            )
        ]
        indexes = [
            models.Index(fields=["about"], name="mail_about"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=MailStatus.PENDING),
                name="mail_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.about} → {self.recipient}"


class MailAttempt(models.Model):
    """One try: the mail server's reply code, or why there was none (truncated)."""

    mail = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField(_("lần"))
    started_at = models.DateTimeField(_("lúc"))
    duration_ms = models.PositiveIntegerField(_("thời gian (ms)"), default=0)
    smtp_code = models.PositiveIntegerField(_("mã trả lời"), null=True, blank=True)
    error = models.CharField(_("lỗi"), max_length=ERROR_LENGTH, blank=True)

    class Meta:
        verbose_name = _("lần gửi thư")
        verbose_name_plural = _("lần gửi thư")
        constraints = [
            models.UniqueConstraint(
                fields=["mail", "number"],
                name="mail_one_attempt_per_number",
                violation_error_message=_("Lần gửi này đã được ghi."),
            )
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.smtp_code or ''} {self.error[:60]}"
