"""Devices' URLs, under /thiet-bi/ (namespace "devices")."""

from django.urls import path

from devices.views import actions, document_lists, documents, inventory, pdfs, stock, word

app_name = "devices"
urlpatterns = [
    # Inventories and a device's page.
    path("thiet-bi/", inventory.device_list, name="list"),
    path("thiet-bi/xuat-day-du/", inventory.device_export_full, name="export_full"),
    path("thiet-bi/co-quan/<int:pk>/", inventory.agency_inventory, name="agency"),
    path("thiet-bi/tinh/<int:pk>/", inventory.province_inventory, name="province"),
    path("thiet-bi/kho-ca/", inventory.ca_stock, name="stock"),
    path("thiet-bi/kho-ca/nhap/", stock.stock_import, name="stock_import"),
    path("thiet-bi/kho-ca/nhap/mau-trong/", stock.stock_template, name="stock_template"),
    path("thiet-bi/kho-ca/nhap/<int:job_pk>/", stock.stock_import_job, name="stock_import_job"),
    path(
        "thiet-bi/kho-ca/nhap/<int:job_pk>/xac-nhan/",
        stock.stock_import_confirm,
        name="stock_import_confirm",
    ),
    path(
        "thiet-bi/kho-ca/nhap/<int:job_pk>/huy/",
        stock.stock_import_discard,
        name="stock_import_discard",
    ),
    path("thiet-bi/<int:pk>/", inventory.device_detail, name="detail"),
    # A clerk's actions on one device. Reporting it lost (Mẫu 09 + Mẫu 05) and asking for its
    # recovery (Mẫu 06) draft letters, so paperwork serves them (paperwork:device_*).
    path("thiet-bi/<int:pk>/bao-khoa/", actions.device_lock, name="lock"),
    path("thiet-bi/<int:pk>/thu-hoi/", actions.device_collect, name="collect"),
    path("thiet-bi/<int:pk>/phong-bi-pin/", actions.device_pin_envelope, name="pin_envelope"),
    # Mẫu 07: handover to subscribers.
    path("thiet-bi/ban-giao/", documents.handover, name="handover"),
    path("thiet-bi/mau-07/", document_lists.notice_list, name="notice_list"),
    path("thiet-bi/mau-07/<int:pk>/", documents.notice_detail, name="notice_detail"),
    path("thiet-bi/mau-07/<int:pk>/in/", documents.notice_print, name="notice_print"),
    path("thiet-bi/mau-07/<int:pk>/pdf/", pdfs.notice_pdf, name="notice_pdf"),
    path("thiet-bi/mau-07/<int:pk>/docx/", word.notice_docx, name="notice_docx"),
    path(
        "thiet-bi/mau-07/<int:pk>/thu/<int:mail_pk>/gui-lai/",
        documents.document_mail_resend,
        {"kind": "notice"},
        name="notice_mail_resend",
    ),
    # Return obligations and Mẫu 08.
    path("thiet-bi/thu-hoi/", documents.returns, name="returns"),
    path("thiet-bi/mau-08/", document_lists.minutes_list, name="minutes_list"),
    path("thiet-bi/mau-08/lap/", documents.minutes_create, name="minutes_create"),
    path("thiet-bi/mau-08/<int:pk>/", documents.minutes_detail, name="minutes_detail"),
    path("thiet-bi/mau-08/<int:pk>/in/", documents.minutes_print, name="minutes_print"),
    path("thiet-bi/mau-08/<int:pk>/pdf/", pdfs.minutes_pdf, name="minutes_pdf"),
    path("thiet-bi/mau-08/<int:pk>/docx/", word.minutes_docx, name="minutes_docx"),
    path(
        "thiet-bi/mau-08/<int:pk>/thu/<int:mail_pk>/gui-lai/",
        documents.document_mail_resend,
        {"kind": "minutes"},
        name="minutes_mail_resend",
    ),
    # Mẫu 09: lost devices.
    path("thiet-bi/mau-09/", document_lists.loss_list, name="loss_list"),
    path("thiet-bi/mau-09/<int:pk>/", documents.loss_detail, name="loss_detail"),
    path("thiet-bi/mau-09/<int:pk>/in/", documents.loss_print, name="loss_print"),
    path("thiet-bi/mau-09/<int:pk>/pdf/", pdfs.loss_pdf, name="loss_pdf"),
    path("thiet-bi/mau-09/<int:pk>/docx/", word.loss_docx, name="loss_docx"),
    path(
        "thiet-bi/mau-09/<int:pk>/thu/<int:mail_pk>/gui-lai/",
        documents.document_mail_resend,
        {"kind": "loss"},
        name="loss_mail_resend",
    ),
]
