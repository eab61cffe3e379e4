"""URLs of the flows that start from a device (requests_app/device_flows.py) and of the signing
of the device documents (requests_app/device_signing.py). They keep the device's address, under
/thiet-bi/, though requests_app serves them."""

from django.urls import path

from requests_app.views import device_flows, device_signing

urlpatterns = [
    path(
        "thiet-bi/<int:pk>/khoi-phuc/",
        device_flows.device_recovery_request,
        name="device_recovery",
    ),
    path("thiet-bi/<int:pk>/bao-mat/", device_flows.device_report_loss, name="device_report_loss"),
    # "notice" (Mẫu 07), "minutes" (Mẫu 08), "loss" (Mẫu 09).
    path(
        "thiet-bi/van-ban/<slug:kind>/<int:pk>/ky/",
        device_signing.device_document_sign,
        name="device_document_sign",
    ),
    path(
        "thiet-bi/van-ban/<slug:kind>/<int:pk>/ban-da-ky/",
        device_signing.device_document_signed_pdf,
        name="device_document_signed_pdf",
    ),
    path(
        "thiet-bi/van-ban/<slug:kind>/<int:pk>/chu-ky-so/",
        device_signing.device_document_signing_panel,
        name="device_document_signing_panel",
    ),
    # The agency head's signing at their own desk (requests_app/device_desk.py).
    path(
        "thiet-bi/van-ban/<slug:kind>/<int:pk>/ky-tai-may/chuan-bi/",
        device_signing.device_desk_prepare,
        name="device_desk_prepare",
    ),
    path(
        "thiet-bi/van-ban/<slug:kind>/<int:pk>/ky-tai-may/hoan-tat/",
        device_signing.device_desk_complete,
        name="device_desk_complete",
    ),
    path(
        "thiet-bi/mau-08/<int:pk>/ky-xac-nhan/",
        device_signing.return_minutes_countersign,
        name="return_minutes_countersign",
    ),
]
