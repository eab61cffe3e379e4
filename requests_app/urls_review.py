"""URLs of the review half: the letter's read page, workflow actions, per-row decisions,
processing progress and the two work queues."""

from django.urls import path

from requests_app.views import detail, documents, queues, validation, word

urlpatterns = [
    path("van-ban/<int:pk>/", detail.cert_request_detail, name="detail"),
    path("van-ban/<int:pk>/thao-tac/<slug:action>/", detail.cert_request_action, name="action"),
    path("van-ban/<int:pk>/dong/<int:row_pk>/quyet-dinh/", detail.row_decide, name="row_decide"),
    path("van-ban/<int:pk>/tien-do/", detail.cert_request_progress, name="progress"),
    path(
        "van-ban/<int:pk>/tep/<int:version>/",
        documents.letter_document_download,
        name="document",
    ),
    path("van-ban/<int:pk>/docx/", word.letter_docx_download, name="docx"),
    path("van-ban/<int:pk>/xem-truoc.pdf", word.letter_pdf_preview_download, name="pdf_preview"),
    path(
        "van-ban/<int:pk>/kiem-tra-chu-ky/",
        documents.letter_signatures_verify,
        name="verify",
    ),
    path(
        "van-ban/<int:pk>/bao-cao-tham-dinh.json",
        validation.letter_validation_report_json,
        name="validation_report_json",
    ),
    path(
        "van-ban/<int:pk>/bao-cao-tham-dinh.pdf",
        validation.letter_validation_report_pdf,
        name="validation_report_pdf",
    ),
    path("so-khcn/hop-thu/", queues.province_inbox, name="province_inbox"),
    path("ca/hang-doi/", queues.ca_queue, name="ca_queue"),
]
