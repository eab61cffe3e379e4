"""Every write on devices (docs/architecture.md §2.2): keyword-only, typed `<entity>_<verb>`
functions.

State changes go through the lifecycle table (`devices.lifecycle.MOVES`), each closing the open
custody record and opening the next, with an audit event. The documents of a device's life
(Mẫu 07, 08, 09) and the CA's stock import are built on those moves.
"""

from devices.services.credentials import (
    CredentialRecord,
    device_credentials_destroy,
    device_credentials_record,
)
from devices.services.custody import (
    MOVES,
    device_activated,
    device_await_return,
    device_collect,
    device_deliver_for_certificate,
    device_hand_over,
    device_lock,
    device_lock_itself,
    device_recover,
    device_register_stock,
    device_transfer_agency,
)
from devices.services.delivery import DeliveryOrder, device_deliver_for_certificates
from devices.services.documents import device_document_pdf, device_document_render
from devices.services.handover import handover_notice_create
from devices.services.loss import loss_report_attach_revocation, loss_report_create
from devices.services.mail import (
    device_document_mail_resend,
    device_document_mails,
    may_resend_device_mail,
)
from devices.services.returns import (
    device_return_obligation_open,
    return_minutes_confirm,
    return_minutes_create,
    return_obligation_notify_overdue,
)
from devices.services.returns_bulk import ReturnOpening, device_return_obligations_open
from devices.services.sending import device_document_mark_sent
from devices.services.stock import (
    StockImportRefused,
    StockRow,
    device_import_stock,
    stock_rows_check,
)
from devices.services.tokens import (
    DEMO_PIN,
    Personalised,
    TokenOrder,
    device_token_certificate_replace,
    device_token_demo_pin_set,
    device_token_pin_reset,
    device_token_pin_reveal,
    device_token_retire,
    device_token_wipe,
    device_tokens_key_ahead,
    device_tokens_personalise,
    token_store_on,
)

__all__ = [
    "CredentialRecord",
    "device_credentials_destroy",
    "device_credentials_record",
    "device_document_mail_resend",
    "device_document_mails",
    "may_resend_device_mail",
    "DEMO_PIN",
    "Personalised",
    "TokenOrder",
    "device_token_certificate_replace",
    "device_token_demo_pin_set",
    "device_token_pin_reset",
    "device_token_pin_reveal",
    "device_token_retire",
    "device_token_wipe",
    "device_tokens_key_ahead",
    "device_tokens_personalise",
    "token_store_on",
    "MOVES",
    "DeliveryOrder",
    "ReturnOpening",
    "StockImportRefused",
    "StockRow",
    "device_await_return",
    "device_transfer_agency",
    "device_collect",
    "device_deliver_for_certificate",
    "device_deliver_for_certificates",
    "device_document_mark_sent",
    "device_document_pdf",
    "device_document_render",
    "device_hand_over",
    "device_import_stock",
    "device_lock",
    "device_activated",
    "device_lock_itself",
    "device_recover",
    "device_register_stock",
    "device_return_obligation_open",
    "device_return_obligations_open",
    "handover_notice_create",
    "loss_report_attach_revocation",
    "loss_report_create",
    "return_minutes_confirm",
    "return_minutes_create",
    "return_obligation_notify_overdue",
    "stock_rows_check",
]
