"""URLs of the drafting half: the letters list, a new letter, the draft editor, its rows
(htmx), the pickers, the Excel import/export and the upload of a letter signed outside the
portal."""

from django.urls import path

from requests_app.views import desk, drafting, upload

urlpatterns = [
    path("van-ban/", drafting.cert_request_list, name="list"),
    path("van-ban/tao/", drafting.cert_request_create, name="create"),
    path("van-ban/<int:pk>/soan/", drafting.cert_request_edit, name="edit"),
    path("van-ban/<int:pk>/dong/them/", drafting.row_add, name="row_add"),
    path("van-ban/<int:pk>/dong/<int:row_pk>/", drafting.row_show, name="row_show"),
    path("van-ban/<int:pk>/dong/<int:row_pk>/sua/", drafting.row_edit, name="row_edit"),
    path("van-ban/<int:pk>/dong/<int:row_pk>/xoa/", drafting.row_delete, name="row_delete"),
    path("van-ban/<int:pk>/chon/<slug:kind>/", drafting.pick, name="pick"),
    path("van-ban/<int:pk>/nhap-excel/", drafting.excel_import, name="import"),
    path("van-ban/<int:pk>/nhap-excel/<int:job_pk>/", drafting.excel_import_job, name="import_job"),
    path(
        "van-ban/<int:pk>/nhap-excel/<int:job_pk>/xac-nhan/",
        drafting.excel_import_confirm,
        name="import_confirm",
    ),
    path(
        "van-ban/<int:pk>/nhap-excel/<int:job_pk>/huy/",
        drafting.excel_import_discard,
        name="import_discard",
    ),
    path("van-ban/<int:pk>/xuat-excel/", drafting.excel_export, name="export"),
    path("van-ban/<int:pk>/xuat-excel/day-du/", drafting.excel_export_full, name="export_full"),
    path("van-ban/mau-nhap-excel/<str:layout>/", drafting.excel_template, name="import_template"),
    path("van-ban/<int:pk>/ban-da-ky/", upload.letter_signed_upload, name="signed_upload"),
    path("van-ban/<int:pk>/ky/trang-thai/", upload.letter_signing_state, name="signing_state"),
    # The head's "Ký" at their own desk, through the signing client (requests_app/views/desk.py).
    path("ky-tai-may/cho/", desk.desk_wait, name="desk_wait"),
    path("van-ban/<int:pk>/ky-tai-may/chuan-bi/", desk.letter_desk_prepare, name="desk_prepare"),
    path("van-ban/<int:pk>/ky-tai-may/hoan-tat/", desk.letter_desk_complete, name="desk_complete"),
]
