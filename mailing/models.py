"""Outgoing e-mail (docs/mail.md): a transactional outbox like the webhooks' one. An
`OutgoingMail` row is written in the transaction of the change it tells of (a letter signed and
issued), with its recipient, subject, body and references to the stored files it carries; a
task sends it after the commit, and each `MailAttempt` keeps what the mail server answered."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mailing.choices import MailPurpose, MailStatus
from mailing.querysets import OutgoingMailQuerySet
from portal.outbox.models import (
    Outbox,
    OutboxAttempt,
    OutboxItem,
    one_attempt_per_number,
    pending_due_index,
)


class OutgoingMail(OutboxItem):
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
    # sending (never rendered again); or {"name", "made_by", "source", "extension",
    # "content_type"}: made once by its app at the first attempt (mailing/attachments.py).
    attachments = models.JSONField(_("tệp đính kèm"), default=list)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    # The attempt number after which a temporary failure is given up (PORTAL_MAIL_MAX_ATTEMPTS
    # from its start, or from a resend).
    give_up_after = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("gửi được lúc"), null=True, blank=True)
    failed_at = models.DateTimeField(_("thất bại lúc"), null=True, blank=True)
    last_smtp_code = models.PositiveIntegerField(_("mã trả lời cuối"), null=True, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)

    objects = OutgoingMailQuerySet.as_manager()
    # Its lifecycle is the outbox's (portal/outbox): PORTAL_MAIL_MAX_ATTEMPTS,
    # PORTAL_MAIL_BACKOFF_SECONDS, PORTAL_MAIL_BACKOFF_MAX_SECONDS, PORTAL_MAIL_LEASE_SECONDS.
    outbox = Outbox(
        done=MailStatus.SENT,
        given_up=MailStatus.FAILED,
        limit="give_up_after",
        done_at="sent_at",
        given_up_at="failed_at",
        last_code="last_smtp_code",
        code="smtp_code",
        given_up_action="outgoing_mail.failed",
        settings_prefix="PORTAL_MAIL",
        # a mail given up meanwhile was delivered all the same; a bounce stays
        late_success_from=(MailStatus.PENDING, MailStatus.FAILED),
    )

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
            pending_due_index("mail_pending_due"),
        ]

    def __str__(self) -> str:
        return f"{self.about} → {self.recipient}"


class MailAttempt(OutboxAttempt):
    """One try: the mail server's reply code, or why there was none (truncated)."""

    mail = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="tries")
    smtp_code = models.PositiveIntegerField(_("mã trả lời"), null=True, blank=True)

    class Meta(OutboxAttempt.Meta):
        verbose_name = _("lần gửi thư")
        verbose_name_plural = _("lần gửi thư")
        constraints = [one_attempt_per_number("mail", "mail_one_attempt_per_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.smtp_code or ''} {self.error[:60]}"
