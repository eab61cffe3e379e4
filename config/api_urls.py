"""The JSON API (session authentication; every endpoint scoped by visible_to) and its
OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from certificates.api.views import CertificateViewSet
from devices.api.views import DeviceViewSet
from requests_app.api.device_flows import DeviceLossView
from requests_app.api.views import CertRequestViewSet

router = DefaultRouter()
router.register("chung-thu", CertificateViewSet, basename="certificate")
router.register("thiet-bi", DeviceViewSet, basename="device")
router.register("van-ban", CertRequestViewSet, basename="cert-request")

urlpatterns = [
    # A loss starts from a device but ends in a letter: a flow of requests_app (§1).
    path("v1/thiet-bi/<int:pk>/bao-mat/", DeviceLossView.as_view(), name="device-loss"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
