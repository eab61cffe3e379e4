"""URLs of the flows that start from a device (requests_app/device_flows.py). They keep the
device's address, under /thiet-bi/<pk>/, though requests_app serves them."""

from django.urls import path

from requests_app.views import device_flows

urlpatterns = [
    path(
        "thiet-bi/<int:pk>/khoi-phuc/",
        device_flows.device_recovery_request,
        name="device_recovery",
    ),
    path("thiet-bi/<int:pk>/bao-mat/", device_flows.device_report_loss, name="device_report_loss"),
]
