"""Every write on letters and their rows (docs/architecture.md §3). Views, API, commands and
tasks call these; each decides the actor's right on the letter as locked, moves it through
the lifecycle table and records an audit event."""

from requests_app.services.archive import (
    letter_archive_and_report,
    letter_archive_extend,
    letters_archive_due,
)
from requests_app.services.corrections import correction_request_draft_letter
from requests_app.services.desk import (
    DeskRound,
    letter_awaiting_seal,
    letter_desk_complete,
    letter_desk_prepare,
)
from requests_app.services.documents import (
    enqueue_document_render,
    letter_document_render,
    letter_document_render_missing,
)
from requests_app.services.drafting import (
    CONTACT_FIELDS,
    cert_request_create,
    cert_request_update,
    row_delete,
    row_save,
    rows_add_many,
    rows_replace,
)
from requests_app.services.processing import (
    QueueUnavailable,
    cert_request_process,
    cert_request_resume,
    cert_request_resume_stalled,
    cert_request_retry,
    cert_request_run_processing,
    enqueue_processing,
)
from requests_app.services.review import (
    cert_request_accept_valid_rows,
    cert_request_cancel,
    cert_request_forward,
    cert_request_issue,
    cert_request_refuse,
    cert_request_return,
    cert_request_send_back,
    cert_request_submit,
    request_rows_stop,
    row_decide,
)
from requests_app.services.signing import letter_signed_current, letter_signed_store
from requests_app.services.upload import letter_signed_accept, letter_signed_upload
from requests_app.services.verification import (
    check_signed,
    letter_report_if_missing,
    letter_signed_verify,
    letter_verification_current,
)

__all__ = [
    "request_rows_stop",
    "CONTACT_FIELDS",
    "QueueUnavailable",
    "cert_request_accept_valid_rows",
    "cert_request_cancel",
    "cert_request_create",
    "cert_request_forward",
    "cert_request_issue",
    "cert_request_process",
    "cert_request_refuse",
    "cert_request_resume",
    "cert_request_resume_stalled",
    "cert_request_retry",
    "cert_request_return",
    "cert_request_run_processing",
    "cert_request_send_back",
    "cert_request_submit",
    "cert_request_update",
    "correction_request_draft_letter",
    "enqueue_document_render",
    "enqueue_processing",
    "check_signed",
    "letter_document_render",
    "letter_document_render_missing",
    "letter_signed_current",
    "letter_signed_store",
    "letter_signed_upload",
    "letter_signed_accept",
    "letter_desk_prepare",
    "letter_awaiting_seal",
    "letter_desk_complete",
    "DeskRound",
    "letter_signed_verify",
    "letter_verification_current",
    "letter_report_if_missing",
    "letter_archive_and_report",
    "letter_archive_extend",
    "letters_archive_due",
    "row_decide",
    "row_delete",
    "row_save",
    "rows_add_many",
    "rows_replace",
]
