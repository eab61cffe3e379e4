"""A device document leaves the agency: the Mẫu 07 notice and the Mẫu 09 minutes go to the CA,
the Mẫu 08 minutes to their receiving side. Sending follows the agency head's signature, which
paperwork/desk.py puts on the document (devices sits below the signing library and
never signs); this records the sending and tells the receivers."""

from django.db import transaction
from django.utils import timezone

from devices import notify
from devices.models import HandoverNotice, LossReport, ReturnMinutes
from devices.services.mail import device_document_mail_queue
from portal.audit import audit_record

ACTIONS = {
    HandoverNotice: "handover_notice.send",
    LossReport: "loss_report.send",
    ReturnMinutes: "return_minutes.send",
}


def device_document_mark_sent(*, document, by) -> bool:
    """Record that `document` was sent now, once: False when it had been sent already.
    Called inside the signing transaction, which holds the document's row lock."""
    model = type(document)
    if model not in ACTIONS:
        raise TypeError(f"not a device document: {document!r}")
    with transaction.atomic():
        locked = model.objects.select_for_update().select_related("agency").get(pk=document.pk)
        if locked.sent_at is not None:
            return False
        locked.sent_at = timezone.now()
        locked.save(update_fields=["sent_at"])
        audit_record(
            actor=by,
            action=ACTIONS[model],
            obj=locked,
            after={"number": locked.number, "sent_at": locked.sent_at},
        )
        if model is HandoverNotice:
            notify.handover_notice_sent(locked, locked.items.count())
        elif model is LossReport:
            notify.loss_reported(locked)
        else:
            notify.return_minutes_made(locked, locked.items.count())
        # E-mailed to the receiving side with its signed PDF (docs/mail.md), sent after the
        # commit.
        device_document_mail_queue(locked)
    document.sent_at = locked.sent_at
    return True
