"""URLs of the flows that start from a device (paperwork/flows.py) and of the signing of the
device documents at the desk (paperwork/desk.py). They keep the device's address, under
/thiet-bi/."""

from django.urls import path

from paperwork.views import flows as device_flows
from paperwork.views import signing as device_signing

app_name = "paperwork"

urlpatterns = [
    path(
        "thiet-bi/<int:pk>/khoi-phuc/",
        device_flows.device_recovery_request,
        name="device_recovery",
    ),
    path("thiet-bi/<int:pk>/bao-mat/", device_flows.device_report_loss, name="device_report_loss"),
    # "notice" (Mẫu 07), "minutes" (Mẫu 08), "loss" (Mẫu 09).
    path(
        "thiet-bi/van-ban/<slug:kind>/<int:pk>/ban-da-ky/",
        device_signing.device_document_signed_pdf,
        name="device_document_signed_pdf",
    ),
    # The agency head's signing at their own desk (paperwork/desk.py).
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
    # The receiving side's signature on a Mẫu 08 at its desk, which confirms the receipt.
    path(
        "thiet-bi/mau-08/<int:pk>/ky-xac-nhan/chuan-bi/",
        device_signing.return_minutes_receiver_desk_prepare,
        name="return_minutes_receiver_desk_prepare",
    ),
    path(
        "thiet-bi/mau-08/<int:pk>/ky-xac-nhan/hoan-tat/",
        device_signing.return_minutes_receiver_desk_complete,
        name="return_minutes_receiver_desk_complete",
    ),
]
